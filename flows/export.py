"""Prefect flows that export flagged threads to the archive bucket.

``export_threads`` is the nightly job (and what ``somearkiv demo`` runs); ``export_thread`` is the
on-demand deployment an editor's flag triggers. Business logic lives in pipeline/ and exporters/.

A run takes its flags from the workflow database (``pipeline.flagged``: every pending or re-flagged flag whose
thread has a capture in the capture folder, and exported flags whose høringsfrist has not passed, re-exported
as a new package version only when the capture changed) and from the folder's ``flags.json``; each exported
database flag becomes ``exported``. Without a usable database (not created yet) only ``flags.json`` is read,
with a warning. A run reads the catalog once (each capture parsed once), stages packages in a folder of its own, and
stops starting work at its deadline (``SOMEARKIV_RUN_DEADLINE_MINUTES``): each task gets the time left as
its timeout, and threads not reached are reported as not exported. One thread's failure never stops the
others, and the run always ends with its per-thread summary (the ``export-summary`` artifact). Input that
stops the whole run (no ``threads/``, an unreadable ``flags.json``, an unknown ``--thread``) ends the flow
run in a Failed state whose message is that one line, without a traceback.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run
from prefect.states import Failed

from exporters.package import BuiltPackage
from pipeline.export import (
    Deadline,
    ExportConfig,
    ExportResult,
    ExportRun,
    private_staging,
    stage_thread,
    summary_markdown,
    upload_package,
    written_result,
)
from pipeline.flagged import ExportSelection, record_exports, select_for_export
from pipeline.package_index import sync_index
from pipeline.settings import Settings
from schemas.errors import SomearkivError
from schemas.text import escape_unsafe
from schemas.thread import Flag, Thread
from sources.folder import Catalog, load_catalog
from storage.config import S3Config, TimestampConfig
from storage.factory import open_sink
from workflow.accounts import noark_targets
from workflow.claims import ClaimRegistry, run_holder
from workflow.db import Database, current_revision, make_engine

OSLO = ZoneInfo("Europe/Oslo")  # høringsfrist is a date in Norway


@task(name="build-package", cache_policy=NONE)
def build_package_task(
    thread: Thread, flag: Flag, media_dir: Path | None, bucket: str, s3: S3Config, config: ExportConfig,
    exported_at: datetime, claims: ClaimRegistry | None = None,
) -> BuiltPackage | ExportResult:
    """Render the PDF/A and Noark XML of one thread into a staged package (or: unchanged in the bucket)."""
    return stage_thread(
        thread, flag, sink=open_sink(bucket, s3), media_dir=media_dir, config=config, exported_at=exported_at,
        claims=claims,
    )


@task(name="upload-package", retries=3, retry_delay_seconds=[1, 2, 4], cache_policy=NONE)
def upload_package_task(
    built: BuiltPackage, bucket: str, s3: S3Config, timestamps: TimestampConfig | None = None,
    claims: ClaimRegistry | None = None,
) -> ExportResult:
    """Put the staged package into the bucket, manifest last (retried: this is network I/O); with a TSA the
    manifest gets its RFC 3161 token as it is stored."""
    return written_result(built, upload_package(built, open_sink(bucket, s3, timestamps), claims))


def _index_packages(settings: Settings, bucket_url: str, s3: S3Config) -> None:
    """Add new packages to the workflow database's review queue (skipped, with a warning, without a database)."""
    logger = get_run_logger()
    try:
        db = Database(settings.workflow().database_url)
    except SomearkivError as exc:
        logger.warning("pakkeoversikten ble ikke oppdatert: %s", escape_unsafe(str(exc)))
        return
    try:
        synced = sync_index(db, open_sink(bucket_url, s3))
        logger.info("pakkeoversikten: %d nye pakker", synced.added)
    finally:
        db.dispose()


def _claims(settings: Settings, db: Database | None) -> ClaimRegistry | None:
    """This run's export claims (several workers, one bucket); None without a usable database."""
    return None if db is None else ClaimRegistry(settings.workflow().database_url, holder=run_holder(flow_run.get_id()))


def _error_text(state: State[Any], deadline: Deadline) -> str:
    if deadline.passed:
        return deadline.reason()
    try:
        state.result()
    except SomearkivError as exc:
        return escape_unsafe(str(exc))
    except Exception as exc:  # the failure we are reporting
        return escape_unsafe(f"{type(exc).__name__}: {exc}")
    return escape_unsafe(state.message or "ukjent feil")


def _never_created(url: str) -> bool:
    """True for a database without any schema yet (``somearkiv db upgrade`` never ran on it)."""
    try:
        engine = make_engine(url)
    except SomearkivError:
        return False
    try:
        return current_revision(engine) is None
    except Exception:  # unreachable or unreadable: not "never created", the caller warns
        return False
    finally:
        engine.dispose()


def _open_database(settings: Settings) -> Database | None:
    """The workflow database, or None when it can't be opened: flags.json still works. A database never created
    is noted in the log; any other problem (unreachable, old schema) is a warning."""
    url = settings.workflow().database_url
    try:
        return Database(url)
    except SomearkivError as exc:
        logger = get_run_logger()
        log = logger.info if _never_created(url) else logger.warning
        log("arbeidsflytdatabasen brukes ikke (bare flags.json): %s", escape_unsafe(str(exc)))
        return None


def _export(
    catalog: Catalog, selection: ExportSelection, threads: list[str] | None, bucket_url: str, s3: S3Config,
    config: ExportConfig, deadline: Deadline, timestamps: TimestampConfig | None = None,
    claims: ClaimRegistry | None = None,
) -> ExportRun:
    """Build and upload each chosen thread in turn, each task bounded by the time left."""
    chosen, refused = selection.chosen, selection.refused
    failures = [(r.key, escape_unsafe(r.reason)) for r in refused]
    if not threads:
        failures = [(path.name, escape_unsafe(error)) for path, error in catalog.broken] + failures
    results: list[ExportResult] = []
    exported_at = datetime.now(UTC)

    def no_retry_after_deadline(*_: Any) -> bool:
        return not deadline.passed

    with private_staging(config.work_dir) as staging:
        run_config = replace(config, work_dir=staging)
        for item in chosen:
            if deadline.passed:
                failures.append((item.key, deadline.reason()))
                continue
            build = build_package_task.with_options(timeout_seconds=deadline.remaining())
            state = build(
                item.thread, item.flag, catalog.media_dir, bucket_url, s3, run_config, exported_at, claims,
                return_state=True,
            )
            if state.is_failed() or state.is_crashed():
                failures.append((item.key, _error_text(state, deadline)))
                continue
            built = state.result()
            if isinstance(built, ExportResult):
                results.append(built)
                continue
            upload = upload_package_task.with_options(
                timeout_seconds=max(deadline.remaining(), 0.001), retry_condition_fn=no_retry_after_deadline
            )
            uploaded = upload(built, bucket_url, s3, timestamps, claims, return_state=True)
            if uploaded.is_failed() or uploaded.is_crashed():
                failures.append((item.key, _error_text(uploaded, deadline)))
            else:
                results.append(uploaded.result())
    return ExportRun(results=results, failures=failures)


@flow(name="export-threads", log_prints=True)
def export_threads(
    bucket: str | None = None, source_dir: str | None = None, threads: list[str] | None = None
) -> ExportRun | State[Any]:
    """Export every flagged thread (or the named ones) of a capture folder; one failure doesn't stop the rest."""
    logger = get_run_logger()
    settings = Settings()
    bucket_url = bucket or settings.bucket
    s3 = settings.s3()
    config = ExportConfig(
        work_dir=settings.work_dir, noark=settings.noark(), pdfa_part=settings.pdfa_part,
        run_deadline_minutes=settings.run_deadline_minutes, screening=settings.screening(),
    )
    deadline = Deadline(config.run_deadline_minutes)
    db = _open_database(settings)
    if db is not None:  # each account's arkivdel/series from the accounts registry
        config = replace(config, noark_targets=noark_targets(db))
    try:
        catalog = load_catalog(Path(source_dir) if source_dir else settings.samples_dir)
        selection = select_for_export(catalog, db, datetime.now(OSLO).date(), threads)
        claims = _claims(settings, db)
        with claims.kept_alive() if claims is not None else nullcontext():
            run = _export(catalog, selection, threads, bucket_url, s3, config, deadline, settings.timestamps(), claims)
        if db is not None:
            run = ExportRun(results=run.results, failures=run.failures + record_exports(db, selection, run.results))
    except SomearkivError as exc:  # input that stops the whole run: one line, no traceback
        message = escape_unsafe(str(exc))
        logger.info("eksporten stoppet: %s", message)  # the Failed state carries it; the CLI prints it once
        create_markdown_artifact(
            key="export-summary", markdown=f"# Eksport til arkiv\n\n**Stoppet**: {message}\n",
            description="Eksportoppsummering",
        )
        return Failed(message=message)
    finally:
        if db is not None:
            db.dispose()
    for key, message in run.failures:
        logger.error("tråd %s feilet: %s", key, message)
    if any(result.status == "written" for result in run.results):
        _index_packages(settings, bucket_url, s3)
    create_markdown_artifact(
        key="export-summary", markdown=summary_markdown(run, bucket_url), description="Eksportoppsummering"
    )
    return run


@flow(name="export-thread")
def export_thread(
    thread_id: str, reason: str = "journal-required", bucket: str | None = None, source_dir: str | None = None
) -> ExportRun | State[Any]:
    """On-demand export of one flagged thread: ``thread_id`` is the flag's thread key (``instagram-DFk2bZsNq7x``,
    what the ``somearkiv.thread.flagged`` event carries), the capture's key (``facebook-123``) or its id."""
    get_run_logger().info("eksport på forespørsel: %s (%s)", escape_unsafe(thread_id), reason)
    return export_threads(bucket=bucket, source_dir=source_dir, threads=[thread_id])
