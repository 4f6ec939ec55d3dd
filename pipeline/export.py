"""Export one flagged thread to the archive bucket: build its package (unless unchanged) and put it.

Plain functions; ``flows/export.py`` orchestrates them as Prefect tasks.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from exporters.package import BuiltPackage, build_package
from noark.model import NoarkContext
from privacy.screen import ScreeningConfig, safe_display_title
from schemas.capture import capture_bytes
from schemas.package import package_id_for, thread_key
from schemas.thread import Flag, Thread
from storage.base import PutResult, Sink


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
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.status == "unchanged":
            return f"{self.package_id}: uendret, finnes allerede ({self.comments} kommentarer)"
        return f"{self.package_id}: {self.comments} kommentarer, {self.pages} sider, {self.bytes} byte"


@dataclass(frozen=True)
class ExportRun:
    """The outcome of one export run: what was exported and which threads failed (key, error)."""

    results: list[ExportResult]
    failures: list[tuple[str, str]]

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


def planned_package_id(thread: Thread) -> str:
    """The id a package of this capture gets (a hash of the canonical capture)."""
    return package_id_for(thread.platform, thread.thread_id, hashlib.sha256(capture_bytes(thread)).hexdigest())


def stage_thread(
    thread: Thread,
    flag: Flag | None,
    *,
    sink: Sink,
    media_dir: Path | None,
    config: ExportConfig,
    exported_at: datetime,
) -> BuiltPackage | None:
    """Build the package in the work dir, or None when the bucket already has this exact capture."""
    if sink.has_package(planned_package_id(thread)):
        return None
    previous = sink.latest_package_for(thread_key(thread.platform, thread.thread_id))
    return build_package(
        thread,
        flag,
        media_dir=media_dir,
        work_dir=config.work_dir,
        exported_at=exported_at,
        ctx=config.noark,
        pdfa_part=config.pdfa_part,
        previous_package_id=previous.package_id if previous else None,
        screening=config.screening,
    )


def upload_package(built: BuiltPackage, sink: Sink) -> PutResult:
    """Put a staged package into the bucket (manifest last), then drop the staging copy."""
    result = sink.put_package(built.directory, built.manifest)
    shutil.rmtree(built.directory, ignore_errors=True)
    return result


def unchanged_result(thread: Thread, sink: Sink) -> ExportResult:
    package_id = planned_package_id(thread)
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
