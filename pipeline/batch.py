"""Build many threads' packages on all cores and upload them while the next ones build.

A :class:`BatchExporter` belongs to one export run. It keeps a pool of worker *processes* (``spawn``: a fresh
interpreter each, nothing inherited from the run's threads) for the CPU-bound part (PDF/A, Noark XML,
validation: :func:`pipeline.export.stage_thread`) and a few *threads* that put finished packages into the
bucket while the processes build the next ones. Each worker opens the bucket once per process. A job names its
capture file and the worker parses it (the run's catalog validated it and kept only its header), so the run's
memory does not grow with the threads' sizes. A package's bytes depend only on the thread, the flag, the
configuration and the run's ``exported_at``, never on which worker built it or how many there are.

One thread never stops the others: an exception in a worker is that thread's failure (with its reason); a
worker process that dies (killed, out of memory) breaks the pool, which is replaced, and the threads that
were in flight are tried again one at a time, so only the one that kills its worker again fails. At the
run's :class:`~pipeline.export.Deadline` the workers are stopped and every thread not finished is reported
with the deadline's reason.

``workers = 0`` builds in the calling process (no pool): for debugging and for tests that patch the builder.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import pickle
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from exporters.package import BuiltPackage
from pipeline.batch_config import BatchConfig
from pipeline.export import Deadline, ExportConfig, ExportResult, stage_thread, upload_package, written_result
from schemas.errors import CaptureError, InputError, SomearkivError
from schemas.package import thread_key
from schemas.text import escape_unsafe
from schemas.thread import Flag, Thread
from sources.capture import load_thread
from storage.base import Sink
from storage.config import S3Config, TimestampConfig
from storage.factory import open_sink
from workflow.claims import ClaimRegistry

_T = TypeVar("_T")

UPLOAD_RETRY_DELAYS_S = (1.0, 2.0, 4.0)  # network I/O: three more tries, as the old per-thread upload task had
WORKER_DIED = "arbeidsprosessen stoppet uventet mens tråden ble bygget (drept eller tom for minne)"


@dataclass(frozen=True)
class BuildSetup:
    """What every build of a run shares (sent with each job: small)."""

    bucket_url: str
    s3: S3Config | None
    media_dir: Path | None
    config: ExportConfig
    exported_at: datetime
    claims: ClaimRegistry | None = None  # the run's export claims (several workers, one bucket); pickled light


@dataclass(frozen=True)
class BuildJob:
    """One thread to build: its key (for reports and logs), its flag, and the capture: its file (``path``, read
    and parsed by the worker: the run keeps no comments in memory) or the parsed ``thread`` itself."""

    key: str
    flag: Flag | None
    path: Path | None = None
    thread: Thread | None = None

    def load(self) -> Thread:
        """The thread to build: parsed from ``path`` when given (it must still be the thread ``key`` names)."""
        if self.path is None:
            if self.thread is None:
                raise InputError(f"{self.key}: verken innsamlingsfil eller tråd å bygge")
            return self.thread
        thread = load_thread(self.path)
        if thread_key(thread.platform, thread.thread_id) != self.key:
            raise CaptureError(f"{self.path}: innsamlingen er byttet ut under kjøringen (er nå "
                               f"{escape_unsafe(thread_key(thread.platform, thread.thread_id))}, ikke {self.key})")
        return thread


@dataclass(frozen=True)
class Built:
    """A worker's answer: the staged package or the "unchanged" result, or the reason it failed."""

    key: str
    outcome: BuiltPackage | ExportResult | None
    error: str | None
    seconds: float
    error_type: str | None = None


@dataclass(frozen=True)
class ThreadOutcome:
    """What happened to one thread in a run: written, unchanged or failed (with the reason), and how long the
    build and upload took."""

    key: str
    status: Literal["written", "unchanged", "failed"]
    seconds: float
    result: ExportResult | None = None
    error: str | None = None
    error_type: str | None = None  # the exception's class: safe for logs, unlike the reason's text


BuildFn = Callable[[BuildSetup, BuildJob], Built]
ProgressFn = Callable[[ThreadOutcome], None]


def error_text(exc: BaseException) -> str:
    """The reason shown for a failed thread: our own errors' message, otherwise ``Type: message``."""
    if isinstance(exc, SomearkivError):
        return escape_unsafe(str(exc))
    return escape_unsafe(f"{type(exc).__name__}: {exc}")


_sinks: dict[bytes, Sink] = {}
_sinks_lock = threading.Lock()


def _worker_sink(setup: BuildSetup) -> Sink:
    """The bucket as this process sees it, opened once per process and bucket."""
    key = pickle.dumps((setup.bucket_url, setup.s3))
    with _sinks_lock:
        sink = _sinks.get(key)
        if sink is None:
            sink = _sinks[key] = open_sink(setup.bucket_url, setup.s3)
        return sink


_claim_registries: dict[tuple[str, str], ClaimRegistry] = {}


def _worker_claims(setup: BuildSetup) -> ClaimRegistry | None:
    """The run's claim registry as this process sees it: one per process and run (one database engine), not
    one per job; it holds the run's holder id, so the run's heartbeat renews its claims too."""
    if setup.claims is None:
        return None
    key = (setup.claims.database_url, setup.claims.holder)
    with _sinks_lock:
        return _claim_registries.setdefault(key, setup.claims)


def build_job(setup: BuildSetup, job: BuildJob) -> Built:
    """Stage one thread's package (runs in a worker process); an exception is the thread's failure."""
    began = time.perf_counter()
    try:
        outcome = stage_thread(
            job.load(), job.flag, sink=_worker_sink(setup), media_dir=setup.media_dir, config=setup.config,
            exported_at=setup.exported_at, claims=_worker_claims(setup),
        )
    except Exception as exc:  # one thread's failure, reported with its reason
        return Built(job.key, None, error_text(exc), time.perf_counter() - began, type(exc).__name__)
    return Built(job.key, outcome, None, time.perf_counter() - began)


class _InlineExecutor(cf.Executor):
    """Runs each job at once in the calling thread (``workers = 0``)."""

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> cf.Future[_T]:
        future: cf.Future[_T] = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to the caller through the future, as a pool would
            future.set_exception(exc)  # (a BaseException such as a timeout's interrupt goes straight up)
        return future


@dataclass
class _Flight:
    job: BuildJob
    suspect: bool  # was in flight when a worker died: runs alone from now on
    began: float = field(default_factory=time.perf_counter)


class BatchExporter:
    """The worker processes and upload threads of one export run (a context manager: stops them at the end)."""

    def __init__(
        self,
        setup: BuildSetup,
        batch: BatchConfig,
        deadline: Deadline,
        *,
        timestamps: TimestampConfig | None = None,
        build: BuildFn = build_job,
        on_done: ProgressFn | None = None,
    ) -> None:
        self.setup = setup
        self.batch = batch
        self.deadline = deadline
        self.timestamps = timestamps
        self._build = build
        self._on_done = on_done
        self._pool: cf.Executor | None = None
        self._uploads = cf.ThreadPoolExecutor(max(batch.upload_threads, 1), thread_name_prefix="somearkiv-upload")
        self._upload_sinks = threading.local()

    def __enter__(self) -> BatchExporter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers and the upload threads (a stopped worker's thread was reported already)."""
        self._stop_pool(kill=self.deadline.passed)
        self._uploads.shutdown(wait=not self.deadline.passed, cancel_futures=True)

    # -- the pool -------------------------------------------------------------------------------------------

    def _executor(self) -> cf.Executor:
        if self._pool is None:
            if self.batch.workers <= 0:
                self._pool = _InlineExecutor()
            else:
                self._pool = cf.ProcessPoolExecutor(self.batch.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def _stop_pool(self, *, kill: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if kill and isinstance(pool, cf.ProcessPoolExecutor):
            # ProcessPoolExecutor can't cancel a running call (Python 3.14 adds terminate_workers): stop the
            # processes themselves, then let the executor notice.
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
        pool.shutdown(wait=not kill, cancel_futures=True)

    # -- uploads --------------------------------------------------------------------------------------------

    def _upload_sink(self) -> Sink:
        sink: Sink | None = getattr(self._upload_sinks, "sink", None)
        if sink is None:
            sink = open_sink(self.setup.bucket_url, self.setup.s3, self.timestamps)
            self._upload_sinks.sink = sink
        return sink

    def _upload(self, built: BuiltPackage) -> ExportResult:
        """Put one staged package into the bucket (manifest last), retried on failure until the deadline."""
        for delay in (*UPLOAD_RETRY_DELAYS_S, None):
            try:
                return written_result(built, upload_package(built, self._upload_sink(), self.setup.claims))
            except Exception:
                if delay is None or self.deadline.remaining() <= delay:
                    raise
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    # -- a batch --------------------------------------------------------------------------------------------

    def run(self, jobs: Sequence[BuildJob]) -> list[ThreadOutcome]:
        """Build and upload ``jobs``; one outcome per job, in the order they finished."""
        outcomes: list[ThreadOutcome] = []

        def done(outcome: ThreadOutcome) -> None:
            outcomes.append(outcome)
            if self._on_done is not None:
                self._on_done(outcome)

        waiting: deque[tuple[BuildJob, bool]] = deque((job, False) for job in jobs)
        builds: dict[cf.Future[Built], _Flight] = {}
        uploads: dict[cf.Future[ExportResult], tuple[str, float]] = {}
        while (waiting or builds or uploads) and not self.deadline.passed:
            self._submit(waiting, builds)
            pending: list[cf.Future[Any]] = [*builds, *uploads]
            finished, _ = cf.wait(pending, timeout=self.deadline.remaining(), return_when=cf.FIRST_COMPLETED)
            broken: list[_Flight] = []
            for future in finished:
                if future in uploads:
                    key, began = uploads.pop(future)
                    done(self._uploaded(key, began, future))
                    continue
                flight = builds.pop(future)
                try:
                    built: Built = future.result()
                except BrokenProcessPool:
                    broken.append(flight)
                    continue
                except Exception as exc:  # e.g. a thread that can't be pickled: that thread's failure
                    done(_failed(flight.job.key, flight.began, type(exc).__name__, error_text(exc)))
                    continue
                if isinstance(built.outcome, BuiltPackage):
                    uploads[self._uploads.submit(self._upload, built.outcome)] = (built.key, flight.began)
                else:
                    done(self._built(built, flight))
            if broken:
                done_keys = self._after_broken_pool(broken, builds, waiting)
                for flight in done_keys:
                    done(_failed(flight.job.key, flight.began, "BrokenProcessPool", WORKER_DIED))
        for job, _ in waiting:
            done(_failed(job.key, time.perf_counter(), None, self.deadline.reason()))
        for flight in builds.values():
            done(_failed(flight.job.key, flight.began, None, self.deadline.reason()))
        for key, began in uploads.values():
            done(_failed(key, began, None, self.deadline.reason()))
        return outcomes

    def _submit(self, waiting: deque[tuple[BuildJob, bool]], builds: dict[cf.Future[Built], _Flight]) -> None:
        """Keep the workers busy (as many jobs queued as there are workers, so a worker never waits for this
        loop); a suspect runs alone."""
        limit = 2 * self.batch.workers if self.batch.workers > 0 else 1
        while waiting and len(builds) < limit and not any(f.suspect for f in builds.values()):
            job, suspect = waiting[0]
            if suspect and builds:
                return  # wait until it can run alone
            waiting.popleft()
            builds[self._executor().submit(self._build, self.setup, job)] = _Flight(job, suspect)
            if suspect:
                return

    def _after_broken_pool(
        self, broken: list[_Flight], builds: dict[cf.Future[Built], _Flight], waiting: deque[tuple[BuildJob, bool]]
    ) -> list[_Flight]:
        """A worker died: replace the pool. Threads that were in flight run again, each alone; one that was
        already running alone killed its worker itself and fails (returned)."""
        for future, flight in list(builds.items()):  # the rest of the broken pool's futures fail the same way
            try:
                future.result(timeout=max(self.deadline.remaining(), 0.001))
            except Exception:  # broken with the pool (or the deadline passed): in flight, so a suspect
                del builds[future]
                broken.append(flight)
            else:  # finished before the pool broke: keep it, the main loop collects it
                continue
        self._stop_pool(kill=True)
        culprits = [flight for flight in broken if flight.suspect]
        for flight in reversed([f for f in broken if not f.suspect]):
            waiting.appendleft((flight.job, True))
        return culprits

    def _built(self, built: Built, flight: _Flight) -> ThreadOutcome:
        if built.error is not None:
            return _failed(built.key, flight.began, built.error_type, built.error)
        if isinstance(built.outcome, ExportResult):
            return ThreadOutcome(built.key, "unchanged", time.perf_counter() - flight.began, result=built.outcome)
        return _failed(built.key, flight.began, None, "byggingen ga ikke noe resultat")

    def _uploaded(self, key: str, began: float, future: cf.Future[ExportResult]) -> ThreadOutcome:
        try:
            result = future.result()
        except Exception as exc:  # the upload failed after its retries
            return _failed(key, began, type(exc).__name__, error_text(exc))
        seconds = time.perf_counter() - began
        return ThreadOutcome(key, "written", seconds, result=result)


def _failed(key: str, began: float, error_type: str | None, reason: str) -> ThreadOutcome:
    return ThreadOutcome(key, "failed", max(time.perf_counter() - began, 0.0), error=reason, error_type=error_type)


# -- progress listeners (the CLI's progress bar) -------------------------------------------------------------

_listener: ContextVar[Callable[[int, int], None] | None] = ContextVar("somearkiv_export_progress", default=None)


@contextmanager
def progress_listener(listener: Callable[[int, int], None]) -> Iterator[None]:
    """While active, export runs in this context call ``listener(done, total)`` as threads finish."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


def notify_progress(done: int, total: int) -> None:
    """Tell the active listener (if any) how far the run is; a listener's error never stops the run."""
    listener = _listener.get()
    if listener is not None:
        try:
            listener(done, total)
        except Exception:  # the progress bar is a courtesy
            return
