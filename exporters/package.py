"""Package assembly: one thread capture → one package folder with PDF/A, Noark 5 XML and manifest.

The folder is staged locally, complete, before any sink sees it; ``manifest.json`` is written last.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Literal

from exporters.evidence import copy_evidence
from exporters.pdf import CoverInfo, PdfResult, render_thread_pdf
from noark.ids import journalpost_system_id
from noark.mapping import package_metadata
from noark.model import NoarkContext
from privacy.redact import redact_thread
from privacy.screen import Screener, ScreeningConfig, safe_display_title
from schemas.capture import capture_bytes
from schemas.errors import CaptureError
from schemas.findings import Finding
from schemas.package import (
    MANIFEST_NAME,
    FileRole,
    Manifest,
    PackageFile,
    package_id_for,
    safe_file_name,
    sha256_file,
)
from schemas.screening import SCREENING_FILE, ScreeningResult
from schemas.text import escape_unsafe
from schemas.thread import FLAG_KIND_LABELS, Flag, Media, Thread
from sources.evidence import EVIDENCE_MIME
from sources.files import open_inside

log = logging.getLogger(__name__)

CAPTURE_PATH = "capture/thread.json"


@dataclass(frozen=True)
class BuiltPackage:
    """A complete package folder, staged and ready for a sink."""

    package_id: str
    title: str
    directory: Path
    manifest: Manifest
    pdf: PdfResult
    comments: int
    warnings: list[Finding] = field(default_factory=list)
    screening: ScreeningResult | None = None  # offsets only; also in the package as screening.json


def _mime(path: str) -> str:
    if path.endswith(".jsonl.gz"):
        return EVIDENCE_MIME
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


def _entry(root: Path, rel: str, role: FileRole, title: str | None = None) -> PackageFile:
    path = root / rel
    return PackageFile(
        path=rel, size=path.stat().st_size, sha256=sha256_file(path), role=role, mime_type=_mime(rel), title=title
    )


def _media_of(thread: Thread) -> Iterator[tuple[Media, str, str, FileRole, str]]:
    """Every media file of the thread in package order: (media, item id, field, role, title)."""
    for item in thread.all_items():
        for index, media in enumerate(item.media):
            yield media, item.id, f"media[{index}].path", "media", media.alt_text or f"Vedlegg til {item.id}"
        if item.removal and item.removal.screenshot:
            yield (item.removal.screenshot, item.id, "removal.screenshot.path", "vedlegg",
                   f"Skjermbilde før fjerning av {item.id}")


def media_package_paths(thread: Thread) -> dict[str, str]:
    """Where each captured file (by ``Media.path``) is put in the package: ``media/…`` or ``DOKUMENT/vedlegg-…``.

    The names are safe, at most ``MAX_NAME_BYTES`` long and unique (two ``x.png`` in different folders get
    ``x.png``, ``x-2.png``); a re-rendered version (``pipeline.rerender``) finds the files by these names.
    """
    names: dict[str, set[str]] = {"media": set(), "vedlegg": set()}
    paths: dict[str, str] = {}
    for media, item_id, _field, role, _title in _media_of(thread):
        if media.path is None or media.path in paths:
            continue
        base = PurePosixPath(media.path.replace("\x00", "")).name or "media"
        if role == "vedlegg":
            paths[media.path] = "DOKUMENT/" + safe_file_name(f"vedlegg-{item_id}-{base}", names["vedlegg"])
        else:
            paths[media.path] = "media/" + safe_file_name(base, names["media"])
    return paths


def _copy_media(
    thread: Thread, media_dir: Path | None, root: Path, warnings: list[Finding]
) -> list[tuple[str, FileRole, str]]:
    """Copy captured media into the package (named by :func:`media_package_paths`); screenshots of removed items
    become vedlegg.

    Returns (relative path, role, title) per copied file. Each ``Media.path`` is opened inside ``media_dir``
    only (``sources.media``); a refused, missing or altered file is a warning naming the thread, the item and
    the field, not fatal: the capture and the PDF still carry the item.
    """
    copied: list[tuple[str, FileRole, str]] = []
    where = f"tråd {thread.platform.value}/{thread.thread_id}"
    seen: set[str] = set()
    planned = media_package_paths(thread)
    for media, item_id, field_name, role, title in _media_of(thread):
        if media.path is None or media.path in seen:
            continue
        seen.add(media.path)
        here = f"{where}: element {item_id}: {field_name} (media {media.id})"
        if media_dir is None:
            warnings.append(Finding("media-missing", f"{media.path!r}: filen ble ikke samlet inn", here, "warning"))
            continue
        rel = planned[media.path]
        target = root / rel
        try:
            with open_inside(media_dir, media.path, where=here) as source:
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with target.open("xb") as out:
                    while block := source.read(1 << 20):
                        digest.update(block)
                        out.write(block)
        except CaptureError as exc:
            warnings.append(Finding("media-refused", str(exc), here, "warning"))
            continue
        if media.sha256 and digest.hexdigest() != media.sha256:
            warnings.append(Finding("media-checksum", f"{media.path!r}: filen stemmer ikke med sha256-verdien", here,
                                    "warning"))
        copied.append((rel, role, title))
    return copied


def build_package(
    thread: Thread,
    flag: Flag | None,
    *,
    media_dir: Path | None,
    work_dir: Path,
    exported_at: datetime,
    ctx: NoarkContext,
    pdfa_part: Literal["1", "2"] = "2",
    previous_package_id: str | None = None,
    screening: ScreeningConfig | None = None,
    raw: bytes | None = None,
    capture_root: Path | None = None,
) -> BuiltPackage:
    """Stage the package of one thread under ``work_dir/<package_id>`` and return it with its manifest.

    Every thread is screened for personal data first (``screening``: default rules); with hits or restricted
    items the package also holds the redacted variant ``DOKUMENT/<package_id>-skjermet.pdf``. ``raw`` is
    ``capture_bytes(thread)`` when the caller has it already. ``capture_root`` is the capture folder whose
    ``evidence/<key>/*.jsonl.gz`` are copied to ``capture/evidence/`` (role ``evidence``); when it is not given
    and ``media_dir`` is a capture folder's ``media/``, that folder is used. On any error the half-built folder is
    removed before the error goes on: the work dir never keeps a partial package.
    """
    raw = capture_bytes(thread) if raw is None else raw
    capture_sha = hashlib.sha256(raw).hexdigest()
    package_id = package_id_for(thread.platform, thread.thread_id, capture_sha)
    root = work_dir / package_id
    if root.exists():
        shutil.rmtree(root)
    if capture_root is None and media_dir is not None and media_dir.name == "media":
        capture_root = media_dir.parent
    try:
        return _build(thread, flag, raw, capture_sha, package_id, root, media_dir=media_dir, capture_root=capture_root,
                      exported_at=exported_at, ctx=ctx, pdfa_part=pdfa_part, previous_package_id=previous_package_id,
                      screening=screening)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def _build(
    thread: Thread,
    flag: Flag | None,
    raw: bytes,
    capture_sha: str,
    package_id: str,
    root: Path,
    *,
    media_dir: Path | None,
    capture_root: Path | None,
    exported_at: datetime,
    ctx: NoarkContext,
    pdfa_part: Literal["1", "2"],
    previous_package_id: str | None,
    screening: ScreeningConfig | None,
) -> BuiltPackage:
    (root / "capture").mkdir(parents=True)
    (root / CAPTURE_PATH).write_bytes(raw)

    warnings: list[Finding] = []
    copied = _copy_media(thread, media_dir, root, warnings)
    evidence_problems: list[str] = []
    evidence = copy_evidence(thread, capture_root, root, evidence_problems)
    thread_where = f"tråd {thread.platform.value}/{thread.thread_id}"
    warnings += [Finding("evidence-refused", problem, thread_where, "warning") for problem in evidence_problems]

    pdf_rel = f"DOKUMENT/{package_id}.pdf"
    cover = CoverInfo(
        flag_label=FLAG_KIND_LABELS[flag.kind] if flag else None,
        case_number=flag.case_number if flag else None,
        journalpost_id=journalpost_system_id(thread.platform.value, thread.thread_id),
        capture_sha256=capture_sha,
    )
    (root / "DOKUMENT").mkdir(exist_ok=True)
    pdf = render_thread_pdf(thread, root / pdf_rel, cover=cover, media_dir=media_dir, pdfa_part=pdfa_part)
    warnings.extend(replace(w, where=f"{thread_where}: {w.where}") for w in pdf.warnings)

    files = [_entry(root, pdf_rel, "hoveddokument", thread.display_title)]
    result = _screen(thread, package_id, screening)
    if result.needs_skjerming:
        redacted = redact_thread(thread, result)
        redacted_rel = f"DOKUMENT/{package_id}-skjermet.pdf"
        variant = render_thread_pdf(
            redacted, root / redacted_rel, cover=cover, media_dir=media_dir, pdfa_part=pdfa_part
        )
        warnings.extend(replace(w, where=f"{thread_where}: {w.where}") for w in variant.warnings
                        if w not in pdf.warnings)
        files.append(_entry(root, redacted_rel, "skjermet", f"{redacted.display_title} (skjermet variant)"))
    (root / SCREENING_FILE).write_bytes(result.to_bytes())
    files += [_entry(root, rel, role, title) for rel, role, title in copied]
    files.append(_entry(root, CAPTURE_PATH, "capture", "Rå innsamling (kanonisk JSON)"))
    files += [_entry(root, rel, "evidence", title) for rel, title in evidence]
    files.append(_entry(root, SCREENING_FILE, "metadata", "Screening for personopplysninger (bare posisjoner)"))
    for name, xml in package_metadata(
        thread, flag, files, capture_sha256=capture_sha, exported_at=exported_at, ctx=ctx, screening=result
    ).items():
        (root / name).write_bytes(xml)
        files.append(_entry(root, name, "metadata"))

    manifest = Manifest.for_thread(
        thread, capture_sha256=capture_sha, flag=flag, created_at=exported_at, files=files,
        previous_package_id=previous_package_id,
    )
    (root / MANIFEST_NAME).write_bytes(manifest.to_bytes())  # last: the package is complete
    warnings = [replace(w, message=escape_unsafe(w.message), where=escape_unsafe(w.where)) for w in warnings]
    for warning in warnings:
        log.warning("%s", warning)
    return BuiltPackage(
        package_id=package_id,
        title=safe_display_title(thread, result),  # printed by the CLI and the flow's artifact
        directory=root,
        manifest=manifest,
        pdf=pdf,
        comments=len(thread.comments),
        warnings=warnings,
        screening=result,
    )


def _screen(thread: Thread, package_id: str, config: ScreeningConfig | None) -> ScreeningResult:
    """Screen the thread; the log line holds counts only, never the matched text."""
    result = Screener(config).screen_thread(thread)
    log.info("%s: screening: %s", package_id, result.describe())
    return result
