"""Prefect flows that export flagged threads to the archive bucket.

``export_threads`` is the nightly job (and what ``somearkiv demo`` runs); ``export_thread`` is the
on-demand deployment an editor's flag triggers. Business logic lives in pipeline/ and exporters/.

A run takes its flags from the workflow database (``pipeline.flagged``: every pending or re-flagged flag whose
thread has a capture in the capture folder, and exported flags whose høringsfrist has not passed, re-exported
as a new package version only when the capture changed) and from the folder's ``flags.json``; each exported
database flag becomes ``exported``. Without a usable database (not created yet) only ``flags.json`` is read,
with a warning. A run reads the catalog once (headers only: each capture is validated there and parsed again by
the worker that builds it), stages packages in a folder of its own, and works in batches: one Prefect task
(``export-batch-<n>``) per ``SOMEARKIV_EXPORT_BATCH_SIZE`` threads, whose packages are built on
``SOMEARKIV_EXPORT_WORKERS`` processes and uploaded by a few threads while the next ones build
(``pipeline.batch``). It stops starting work at its deadline (``SOMEARKIV_RUN_DEADLINE_MINUTES``): threads not
done are reported as not exported. One thread's failure never stops the others.

Operators see: the ``export-progress`` artifact (a progress bar in the Prefect UI) and the CLI's progress bar
while it runs; one log line per thread with key=value fields (also as the record's ``extra``: thread key,
status, package id, bytes, seconds, error class; never a title, a text or a reason, which may quote personal
data); at the end the ``export-summary`` artifact (per thread: written, unchanged or failed with its reason;
bytes; seconds). A run where some thread failed ends as a Completed state named "Completed with failures"
(its message: how many). Input that stops the whole run (no ``threads/``, an unreadable ``flags.json``, an
unknown ``--thread``) ends the flow run in a Failed state whose message is that one line, without a traceback.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, update_progress_artifact
from prefect.cache_policies import NONE
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run
from prefect.states import Completed, Failed

from pipeline.batch import BatchExporter, BuildJob, BuildSetup, ThreadOutcome, notify_progress
from pipeline.batch_config import BatchConfig
from pipeline.export import Deadline, ExportConfig, ExportRun, private_staging, summary_markdown
from pipeline.flagged import ExportSelection, record_exports, select_for_export
from pipeline.package_index import sync_index
from pipeline.settings import Settings
from schemas.errors import SomearkivError
from schemas.text import escape_unsafe
from sources.folder import Catalog, load_catalog
from storage.config import S3Config, TimestampConfig
from storage.factory import open_sink
from workflow.accounts import noark_targets
from workflow.claims import ClaimRegistry, run_holder
from workflow.db import Database, current_revision, make_engine

OSLO = ZoneInfo("Europe/Oslo")  # høringsfrist is a date in Norway
WITH_FAILURES = "Completed with failures"  # the final state's name when some thread failed
PROGRESS_EVERY_S = 2.0  # at most one progress-artifact update per this many seconds


@task(name="export-batch", cache_policy=NONE)
def export_batch_task(work: BatchWork) -> int:
    """Build one batch of threads on the worker processes and upload them while the next ones build; each
    thread's outcome goes to the run's progress as it finishes. Returns how many threads finished."""
    return len(work.exporter.run(work.jobs))


class BatchWork:
    """One batch as the task's parameter: a plain object, so Prefect doesn't walk every thread and comment
    (it traverses collections, dataclasses and models in task parameters)."""

    __slots__ = ("exporter", "jobs", "number")

    def __init__(self, number: int, exporter: BatchExporter, jobs: Sequence[BuildJob]) -> None:
        self.number = number
        self.exporter = exporter
        self.jobs = jobs

    def __repr__(self) -> str:
        return f"BatchWork(batch {self.number}, {len(self.jobs)} threads)"


class _Progress:
    """Collects the threads' outcomes as they finish, logs each (thread key and package id only: titles and
    texts may hold personal data), and shows how far the run is: the CLI's progress bar
    (``pipeline.batch.progress_listener``) at once, and the ``export-progress`` artifact from a thread of its
    own every few seconds, so the loop that feeds the workers never waits for the Prefect API."""

    def __init__(self, total: int, logger: Any) -> None:
        self.total = total
        self.outcomes: dict[str, ThreadOutcome] = {}
        self._logger = logger
        self._changed = threading.Event()
        self._closed = threading.Event()
        self._shower: threading.Thread | None = None
        if total:
            notify_progress(0, total)
            try:
                created = create_progress_artifact(
                    0.0, key="export-progress", description=f"Eksport til arkiv: {total} tråder"
                )
            except Exception as exc:  # progress is a courtesy: never stops the run
                logger.warning("fremdriften vises ikke i Prefect: %s", type(exc).__name__)
            else:
                if isinstance(created, UUID):
                    context = contextvars.copy_context()  # the run's Prefect settings and client
                    self._shower = threading.Thread(target=context.run, args=(self._show, created), daemon=True,
                                                    name="somearkiv-progress")
                    self._shower.start()

    def thread_done(self, outcome: ThreadOutcome) -> None:
        self.outcomes[outcome.key] = outcome
        result = outcome.result
        fields = {
            "event": "export.thread", "thread_key": outcome.key, "status": outcome.status,
            "package_id": result.package_id if result else None, "bytes": result.bytes if result else None,
            "seconds": round(outcome.seconds, 3), "error_type": outcome.error_type,
        }
        text = " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
        (self._logger.warning if outcome.status == "failed" else self._logger.info)(text, extra=fields)
        notify_progress(len(self.outcomes), self.total)
        self._changed.set()

    def close(self) -> None:
        """Show the final figure and stop the artifact thread."""
        self._closed.set()
        self._changed.set()
        if self._shower is not None:
            self._shower.join(timeout=30)

    def _show(self, artifact: UUID) -> None:
        shown = -1
        while True:
            self._changed.wait()
            closing = self._closed.is_set()
            self._changed.clear()
            done = len(self.outcomes)
            if done != shown:
                try:
                    update_progress_artifact(artifact, 100.0 * done / self.total)
                    shown = done
                except Exception as exc:  # as above
                    self._logger.warning("fremdriften ble ikke oppdatert: %s", type(exc).__name__)
            if closing:
                return
            self._closed.wait(PROGRESS_EVERY_S)


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
    config: ExportConfig, deadline: Deadline, batch: BatchConfig, timestamps: TimestampConfig | None = None,
    claims: ClaimRegistry | None = None,
) -> ExportRun:
    """Build and upload the chosen threads, one orchestrated task per batch, until the deadline."""
    logger = get_run_logger()
    chosen, refused = selection.chosen, selection.refused
    failures = [(r.key, escape_unsafe(r.reason)) for r in refused]
    if not threads:
        failures = [(path.name, escape_unsafe(error)) for path, error in catalog.broken] + failures
    jobs = [BuildJob(item.key, item.flag, path=item.path) for item in chosen]
    progress = _Progress(len(jobs), logger)
    setup_base = BuildSetup(bucket_url, s3, catalog.media_dir, config, datetime.now(UTC), claims)
    try:
        with private_staging(config.work_dir) as staging:
            setup = replace(setup_base, config=replace(config, work_dir=staging))
            with BatchExporter(setup, batch, deadline, timestamps=timestamps,
                               on_done=progress.thread_done) as exporter:
                for number, part in enumerate(batch.batches(jobs), 1):
                    if deadline.passed:
                        break
                    task = export_batch_task.with_options(  # the timeout stops a build in the run's own process
                        task_run_name=f"export-batch-{number}", timeout_seconds=max(deadline.remaining(), 0.001)
                    )
                    state = task(BatchWork(number, exporter, part), return_state=True)
                    if state.is_failed() or state.is_crashed():  # a bug in the batch itself: its threads fail
                        reason = _error_text(state, deadline)
                        for job in part:
                            if job.key not in progress.outcomes:
                                progress.thread_done(ThreadOutcome(job.key, "failed", 0.0, error=reason))
        for job in jobs:
            if job.key not in progress.outcomes:  # not reached before the deadline
                progress.thread_done(ThreadOutcome(job.key, "failed", 0.0, error=deadline.reason()))
    finally:
        progress.close()
    ordered = [progress.outcomes[job.key] for job in jobs]
    return ExportRun(
        results=[o.result for o in ordered if o.result is not None],
        failures=failures + [(o.key, o.error or "ukjent feil") for o in ordered if o.status == "failed"],
        durations={o.key: o.seconds for o in ordered},
    )


def _final(run: ExportRun) -> ExportRun | State[Any]:
    """The run itself when every thread went well; with failures a Completed state named "Completed with
    failures" (not all-green in the UI, while the run and its deployment did their job for the others)."""
    if run.ok:
        return run
    total = len(run.results) + len(run.failures)
    return Completed(data=run, name=WITH_FAILURES, message=f"{len(run.failures)} av {total} tråder feilet")


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
        catalog = load_catalog(Path(source_dir) if source_dir else settings.samples_dir, keep_comments=False)
        selection = select_for_export(catalog, db, datetime.now(OSLO).date(), threads)
        claims = _claims(settings, db)
        with claims.kept_alive() if claims is not None else nullcontext():
            run = _export(catalog, selection, threads, bucket_url, s3, config, deadline, settings.batch(),
                          settings.timestamps(), claims)
        if db is not None:
            run = replace(run, failures=run.failures + record_exports(db, selection, run.results))
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
    if run.failures:  # the reasons are in the summary artifact: they may quote a title or a text
        logger.error("event=export.failures failed=%d", len(run.failures),
                     extra={"event": "export.failures", "failed": len(run.failures)})
    if any(result.status == "written" for result in run.results):
        _index_packages(settings, bucket_url, s3)
    create_markdown_artifact(
        key="export-summary", markdown=summary_markdown(run, bucket_url), description="Eksportoppsummering"
    )
    return _final(run)


@flow(name="export-thread")
def export_thread(
    thread_id: str, reason: str = "journal-required", bucket: str | None = None, source_dir: str | None = None
) -> ExportRun | State[Any]:
    """On-demand export of one flagged thread: ``thread_id`` is the flag's thread key (``instagram-DFk2bZsNq7x``,
    what the ``somearkiv.thread.flagged`` event carries), the capture's key (``facebook-123``) or its id."""
    get_run_logger().info("eksport på forespørsel: %s (%s)", escape_unsafe(thread_id), reason)
    run = export_threads(bucket=bucket, source_dir=source_dir, threads=[thread_id])
    return _final(run) if isinstance(run, ExportRun) else run
