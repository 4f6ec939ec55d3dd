"""Evidence in the package: the raw API exchanges behind a capture, copied next to the canonical capture.

The capture folder keeps ``evidence/<thread key>/<UTC time>.jsonl.gz`` per capture (``sources.evidence``). Each
file is opened inside the capture folder only (``sources.files.open_inside``: no ``..``, no symlink out, only
regular files), must start with the gzip magic bytes, and is copied as is (never decompressed here: a gzip
bomb stays a small file) to ``capture/evidence/<file>``. A refused, oversized or non-gzip file is a warning of
the thread; the package is still built. The package id does not depend on evidence.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from schemas.errors import CaptureError
from schemas.package import safe_file_name, thread_key
from schemas.thread import Thread
from sources.evidence import evidence_files
from sources.files import open_inside

EVIDENCE_DIR = "capture/evidence"
MAX_EVIDENCE_BYTES = 1 << 30  # per file; a 10,000-comment thread's evidence is a few MB compressed
GZIP_MAGIC = b"\x1f\x8b"


def copy_evidence(
    thread: Thread, capture_root: Path | None, root: Path, warnings: list[str], *, limit: int = MAX_EVIDENCE_BYTES
) -> list[tuple[str, str]]:
    """Copy the thread's evidence files into ``root/capture/evidence/``; returns (relative path, title) each."""
    if capture_root is None:
        return []
    key = thread_key(thread.platform, thread.thread_id)
    where = f"tråd {thread.platform.value}/{thread.thread_id}: bevisfil"
    names: set[str] = set()
    copied: list[tuple[str, str]] = []
    for path in evidence_files(capture_root, key):
        rel_source = f"evidence/{key}/{path.name}"
        rel = f"{EVIDENCE_DIR}/" + safe_file_name(path.name, names)
        target = root / rel
        try:
            _copy_one(capture_root, rel_source, target, where=where, limit=limit)
        except CaptureError as exc:
            target.unlink(missing_ok=True)
            warnings.append(str(exc))
            continue
        copied.append((rel, f"Rå API-svar bak innsamlingen ({path.name})"))
    return copied


def _copy_one(capture_root: Path, rel_source: str, target: Path, *, where: str, limit: int) -> str:
    here = f"{where} {rel_source!r}"
    with open_inside(capture_root, rel_source, where=where) as source:
        head = source.read(len(GZIP_MAGIC))
        if head != GZIP_MAGIC:
            raise CaptureError(f"{here}: er ikke en gzip-fil; ikke tatt med i pakken")
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(head)
        size = len(head)
        with target.open("xb") as out:
            out.write(head)
            while block := source.read(1 << 20):
                size += len(block)
                if size > limit:
                    raise CaptureError(
                        f"{here}: er større enn grensen på {limit} byte; ikke tatt med i pakken")
                digest.update(block)
                out.write(block)
    return digest.hexdigest()
