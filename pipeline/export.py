"""Export one flagged thread to the archive bucket: build its package (unless unchanged) and put it.

Plain functions; ``flows/export.py`` orchestrates them as Prefect tasks. Each run stages its packages in a
private folder under the work dir (:func:`private_staging`), so two runs never touch each other's files, and
has an overall deadline (:class:`Deadline`). The run's summary (:func:`summary_lines`, :func:`summary_markdown`)
shows every text through ``schemas.text.escape_unsafe``, so no title or message can stop it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from exporters.package import BuiltPackage, build_package
from noark.model import NoarkContext, NoarkTargets, context_for
from privacy.screen import ScreeningConfig, safe_display_title
from schemas.capture import capture_bytes
from schemas.errors import WorkflowError
from schemas.findings import Finding
from schemas.package import package_id_for, safe_segment, thread_key
from schemas.text import escape_unsafe
from schemas.thread import Flag, Thread
from storage.base import PutResult, Sink
from workflow.claims import ClaimRegistry


@dataclass(frozen=True)
class ExportResult:
    """What happened to one thread, as reported to the user and the run summary."""

    thread_key: str
    title: str
    package_id: str
    status: Literal["written", "unchanged"]
    url: str
    comments: int
    pages: int | None = None
    bytes: int | None = None
    previous_package_id: str | None = None
    warnings: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        if self.status == "unchanged":
            return f"{self.package_id}: uendret, finnes allerede ({self.comments} kommentarer)"
        return f"{self.package_id}: {self.comments} kommentarer, {self.pages} sider, {self.bytes} byte"


@dataclass(frozen=True)
class ExportRun:
    """The outcome of one export run: what was exported, which threads failed (key, error) and how long each
    thread took (seconds by thread key, when known)."""

    results: list[ExportResult]
    failures: list[tuple[str, str]]
    durations: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class ExportConfig:
    """What building a package needs from the configuration (built once at the edge)."""

    work_dir: Path
    noark: NoarkContext
    pdfa_part: Literal["1", "2"] = "2"
    screening: ScreeningConfig | None = None  # None: the bundled rules
    run_deadline_minutes: float = 360.0
    # (platform, account id) → (arkivdel, series) from the accounts registry; other threads: ``noark``'s arkivdel
    noark_targets: NoarkTargets = field(default_factory=dict)

    def noark_for(self, thread: Thread) -> NoarkContext:
        return context_for(self.noark, self.noark_targets, thread.platform.value, thread.account.id)


class Deadline:
    """A run's overall deadline on the monotonic clock."""

    def __init__(self, minutes: float) -> None:
        self.minutes = minutes
        self._end = time.monotonic() + minutes * 60

    def remaining(self) -> float:
        """Seconds left (0 when passed)."""
        return max(self._end - time.monotonic(), 0.0)

    @property
    def passed(self) -> bool:
        return self.remaining() <= 0

    def reason(self) -> str:
        return (f"ikke eksportert: kjøringens frist på {self.minutes:g} minutter gikk ut "
                "(SOMEARKIV_RUN_DEADLINE_MINUTES)")


RUN_PREFIX = "run-"


def _run_prefix() -> str:
    return f"{RUN_PREFIX}{safe_segment(socket.gethostname())}-"


def _remove_abandoned_runs(work_dir: Path) -> None:
    """Remove staging folders of runs on this host whose process is gone (killed: nothing cleaned up)."""
    prefix = _run_prefix()
    for folder in work_dir.glob(f"{prefix}*"):
        pid = folder.name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:  # alive, someone else's
            continue


@contextmanager
def private_staging(work_dir: Path) -> Iterator[Path]:
    """A staging folder of this run only (``<work_dir>/run-<host>-<pid>-<random>``), removed when the run ends.

    Folders left by runs on this host whose process no longer exists (a kill -9) are removed first.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_runs(work_dir)
    staging = Path(tempfile.mkdtemp(prefix=f"{_run_prefix()}{os.getpid()}-", dir=work_dir))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def planned_package_id(thread: Thread, raw: bytes | None = None) -> str:
    """The id a package of this capture gets (a hash of the canonical capture, ``raw`` when given)."""
    raw = capture_bytes(thread) if raw is None else raw
    return package_id_for(thread.platform, thread.thread_id, hashlib.sha256(raw).hexdigest())


def stage_thread(
    thread: Thread,
    flag: Flag | None,
    *,
    sink: Sink,
    media_dir: Path | None,
    config: ExportConfig,
    exported_at: datetime,
    claims: ClaimRegistry | None = None,
) -> BuiltPackage | ExportResult:
    """Build the package in the work dir, or the "unchanged" result when the bucket has this exact capture.

    With ``claims`` (several workers on one bucket) the package is claimed first: a package another run is
    building is waited for and then "unchanged"; our claim is released if the build fails.
    """
    raw = capture_bytes(thread)
    package_id = planned_package_id(thread, raw)
    if sink.has_package(package_id):
        # A screening decision may have made a newer version of this same capture: that one is current.
        latest = sink.latest_package_for(thread_key(thread.platform, thread.thread_id))
        if latest is not None and latest.capture_sha256 == hashlib.sha256(raw).hexdigest():
            package_id = latest.package_id
        return unchanged_result(thread, sink, package_id)
    if claims is not None and not _claim(claims, sink, package_id, thread_key(thread.platform, thread.thread_id)):
        return unchanged_result(thread, sink, package_id)
    try:
        if claims is not None and sink.has_package(package_id):  # completed between our look and our claim
            claims.finish(sink.url, package_id)
            return unchanged_result(thread, sink, package_id)
        previous = sink.latest_package_for(thread_key(thread.platform, thread.thread_id))
        return build_package(
            thread,
            flag,
            media_dir=media_dir,
            work_dir=config.work_dir,
            exported_at=exported_at,
            ctx=config.noark_for(thread),
            pdfa_part=config.pdfa_part,
            previous_package_id=previous.package_id if previous else None,
            screening=config.screening,
            raw=raw,
        )
    except BaseException:
        if claims is not None:
            with suppress(Exception):  # the build's error is the one to report; an unreleased claim expires
                claims.release(sink.url, package_id)
        raise


def _claim(claims: ClaimRegistry, sink: Sink, package_id: str, key: str) -> bool:
    """True once this run holds the claim on ``package_id``; False when another run put the package in the
    bucket meanwhile (waited for, up to ``claims.max_wait``; then a WorkflowError naming the holder)."""
    end = time.monotonic() + claims.max_wait.total_seconds()
    delay = 0.1
    retake_done = False
    while True:
        outcome = claims.acquire(sink.url, package_id, key, retake_done=retake_done)
        if outcome.won:
            return True
        if sink.has_package(package_id):
            return False
        if outcome.state == "done":  # done by a run whose package is not in this bucket (any more): ours now
            retake_done = True
            continue
        if time.monotonic() >= end:
            raise WorkflowError(
                f"tråd {key}: pakken {package_id} eksporteres av en annen kjøring ({outcome.holder}), som ikke ble "
                f"ferdig innen {claims.max_wait.total_seconds():g} sekunder; prøves igjen ved neste kjøring"
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)


def upload_package(built: BuiltPackage, sink: Sink, claims: ClaimRegistry | None = None) -> PutResult:
    """Put a staged package into the bucket (manifest last), then drop the staging copy.

    With ``claims`` the claim must still be ours (else nothing is written: a WorkflowError naming the thread)
    and is marked done after the upload.
    """
    if claims is not None and not claims.owns(sink.url, built.package_id):
        shutil.rmtree(built.directory, ignore_errors=True)
        raise WorkflowError(f"tråd {built.manifest.thread_key}: en annen kjøring har overtatt pakken "
                            f"{built.package_id}; ikke lastet opp herfra")
    result = sink.put_package(built.directory, built.manifest)
    shutil.rmtree(built.directory, ignore_errors=True)
    if claims is not None:
        claims.finish(sink.url, built.package_id)
    return result


def unchanged_result(thread: Thread, sink: Sink, package_id: str | None = None) -> ExportResult:
    package_id = package_id or planned_package_id(thread)
    return ExportResult(
        thread_key=thread_key(thread.platform, thread.thread_id),
        title=safe_display_title(thread),  # hits in the title are masked: this is printed
        package_id=package_id,
        status="unchanged",
        url=sink.package_url(package_id),
        comments=len(thread.comments),
    )


def written_result(built: BuiltPackage, put: PutResult) -> ExportResult:
    return ExportResult(
        thread_key=built.manifest.thread_key,
        title=built.title,
        package_id=built.package_id,
        status="written",
        url=put.url,
        comments=built.comments,
        pages=built.pdf.pages,
        bytes=sum(f.size for f in built.manifest.files),
        previous_package_id=built.manifest.previous_package_id,
        warnings=built.warnings,
    )


def _cell(text: str) -> str:
    """Text made safe for one Markdown table cell (and for any output encoding)."""
    return escape_unsafe(re.sub(r"[\t\n\r]+", " ", text)).replace("|", "\\|")


def summary_lines(run: ExportRun, bucket_url: str) -> list[tuple[str, bool]]:
    """The per-thread summary for a terminal, in order: (line, whether it goes to stderr), every text escaped."""
    lines: list[tuple[str, bool]] = []
    for result in run.results:
        lines.append((f"{'skrevet' if result.status == 'written' else 'uendret'}  {escape_unsafe(result.url)}", False))
        lines.append((f"         {escape_unsafe(result.title)}", False))
        lines.append((f"         {escape_unsafe(result.summary())}", False))
        lines += [(f"         advarsel: {escape_unsafe(str(w))}", False) for w in result.warnings]
    lines += [(f"FEILET   {escape_unsafe(key)}: {escape_unsafe(message)}", True) for key, message in run.failures]
    written = sum(1 for r in run.results if r.status == "written")
    lines.append((f"\n{written} pakke(r) skrevet, {len(run.results) - written} uendret, {len(run.failures)} feilet.",
                  False))
    lines.append((f"Pakkene ligger i {escape_unsafe(bucket_url)}", False))
    return lines


def _seconds(run: ExportRun, key: str) -> str:
    seconds = run.durations.get(key)
    return "" if seconds is None else f"{seconds:.1f}"


def summary_markdown(run: ExportRun, bucket_url: str) -> str:
    """The run summary as Markdown (the Prefect artifact): the counts, then one row per thread (exported,
    unchanged or failed with its reason; bytes; seconds), every text escaped."""
    written = sum(1 for r in run.results if r.status == "written")
    lines = [
        "# Eksport til arkiv",
        "",
        f"Bøtte: `{_cell(bucket_url)}`",
        "",
        f"**{written} skrevet, {len(run.results) - written} uendret, {len(run.failures)} feilet** "
        f"({sum(r.bytes or 0 for r in run.results)} byte)",
        "",
        "| Tråd | Pakke | Status | Kommentarer | Sider | Byte | Sekunder |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in run.results:
        lines.append(
            f"| {_cell(r.title)} | `{_cell(r.package_id)}` | {'skrevet' if r.status == 'written' else 'uendret'} "
            f"| {r.comments} | {r.pages or ''} | {r.bytes or ''} | {_seconds(run, r.thread_key)} |"
        )
    for key, message in run.failures:
        first = (message.splitlines() or [""])[0]
        lines.append(f"| {_cell(key)} | – | **feilet**: {_cell(first[:200])} | | | | {_seconds(run, key)} |")
    return "\n".join(lines) + "\n"
