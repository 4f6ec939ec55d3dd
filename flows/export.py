"""Prefect flows that export flagged threads to the archive bucket.

``export_threads`` is the nightly job (and what ``somearkiv demo`` runs); ``export_thread`` is the
on-demand deployment an editor's flag triggers. Business logic lives in exporters/.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.states import State

from exporters.package import BuiltPackage
from pipeline.export import (
    ExportConfig,
    ExportResult,
    ExportRun,
    stage_thread,
    unchanged_result,
    upload_package,
    written_result,
)
from pipeline.settings import Settings
from sources.folder import FlaggedThread, load_catalog
from storage.config import S3Config
from storage.factory import open_sink


@task(name="build-package")
def build_package_task(
    item: FlaggedThread, media_dir: Path, bucket: str, s3: S3Config, config: ExportConfig, exported_at: datetime
) -> BuiltPackage | None:
    """Render the PDF/A and Noark XML of one thread into a staged package (None: unchanged)."""
    return stage_thread(
        item.load(),
        item.flag,
        sink=open_sink(bucket, s3),
        media_dir=media_dir,
        config=config,
        exported_at=exported_at,
    )


@task(name="upload-package", retries=3, retry_delay_seconds=[1, 2, 4])
def upload_package_task(built: BuiltPackage, bucket: str, s3: S3Config) -> ExportResult:
    """Put the staged package into the bucket, manifest last (retried: this is network I/O)."""
    return written_result(built, upload_package(built, open_sink(bucket, s3)))


def _markdown(results: list[ExportResult], failures: list[tuple[str, str]], bucket: str) -> str:
    lines = [
        "# Eksport til arkiv",
        "",
        f"Bøtte: `{bucket}`",
        "",
        "| Tråd | Pakke | Status | Kommentarer | Sider | Byte |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.title} | `{r.package_id}` | {'skrevet' if r.status == 'written' else 'uendret'} "
            f"| {r.comments} | {r.pages or ''} | {r.bytes or ''} |"
        )
    for key, message in failures:
        lines.append(f"| {key} | – | **feilet**: {message.splitlines()[0][:200]} | | | |")
    return "\n".join(lines) + "\n"


def _error_text(state: State) -> str:
    try:
        state.result()
    except Exception as exc:  # the failure we are reporting
        return f"{type(exc).__name__}: {exc}"
    return state.message or "ukjent feil"


@flow(name="export-threads", log_prints=True)
def export_threads(
    bucket: str | None = None, source_dir: str | None = None, threads: list[str] | None = None
) -> ExportRun:
    """Export every flagged thread (or the named ones) of a capture folder; one failure doesn't stop the rest."""
    logger = get_run_logger()
    settings = Settings()
    bucket_url = bucket or settings.bucket
    s3 = settings.s3()
    config = ExportConfig(work_dir=settings.work_dir, noark=settings.noark(), pdfa_part=settings.pdfa_part)
    catalog = load_catalog(Path(source_dir) if source_dir else settings.samples_dir)
    exported_at = datetime.now(UTC)
    results: list[ExportResult] = []
    failures = [] if threads else [(path.name, error) for path, error in catalog.broken]
    uploads = []
    for item in catalog.select(threads):
        built_state = build_package_task(
            item, catalog.media_dir, bucket_url, s3, config, exported_at, return_state=True
        )
        if built_state.is_failed():
            failures.append((item.key, _error_text(built_state)))
            continue
        built = built_state.result()
        if built is None:
            results.append(unchanged_result(item.load(), open_sink(bucket_url, s3)))
            continue
        uploads.append((item, upload_package_task.submit(built, bucket_url, s3)))
    for item, future in uploads:
        future.wait()
        state = future.state
        if state.is_failed():
            failures.append((item.key, _error_text(state)))
        else:
            results.append(state.result())
    for key, message in failures:
        logger.error("tråd %s feilet: %s", key, message)
    create_markdown_artifact(
        key="export-summary", markdown=_markdown(results, failures, bucket_url), description="Eksportoppsummering"
    )
    return ExportRun(results=results, failures=failures)


@flow(name="export-thread")
def export_thread(
    thread_id: str, reason: str = "journal-required", bucket: str | None = None, source_dir: str | None = None
) -> ExportRun:
    """On-demand export of one flagged thread (by key like ``facebook-123`` or platform id)."""
    get_run_logger().info("eksport på forespørsel: %s (%s)", thread_id, reason)
    return export_threads(bucket=bucket, source_dir=source_dir, threads=[thread_id])
