"""Evidence: the raw API exchanges behind a capture, gzip-compressed JSON lines, ready for the package.

One line per exchange: method, URL (secrets already replaced by ``REDACTED``), time, status, the headers that
matter, elapsed milliseconds and the body (``body`` as text when it is UTF-8, else ``body_base64``). The file
is written to a temporary name and renamed, so a failed write leaves nothing behind. ``mtime=0`` keeps the
bytes reproducible.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from schemas.errors import InputError
from sources.connectors.base import Exchange
from sources.connectors.http import SECRET_PARAMS, redact_url

EVIDENCE_MIME = "application/x-ndjson+gzip"
EVIDENCE_VERSION = 1


def exchange_record(exchange: Exchange) -> dict[str, Any]:
    record: dict[str, Any] = {
        "v": EVIDENCE_VERSION,
        "method": exchange.method,
        "url": redact_url(exchange.url),  # again: evidence never carries a secret, however it was built
        "requested_at": exchange.requested_at.isoformat(),
        "status": exchange.status,
        "elapsed_ms": exchange.elapsed_ms,
        "request_headers": {k: v for k, v in exchange.request_headers.items() if k.lower() not in {"authorization",
                            "access-token", "cookie"}},
        "headers": exchange.headers,
        "body_sha256": hashlib.sha256(exchange.body).hexdigest(),
    }
    try:
        record["body"] = exchange.body.decode("utf-8")
    except UnicodeDecodeError:
        record["body_base64"] = base64.b64encode(exchange.body).decode("ascii")
    if exchange.note:
        record["note"] = exchange.note
    return record


def write_evidence(exchanges: Iterable[Exchange], path: Path) -> str:
    """Write ``exchanges`` to ``path`` (``.jsonl.gz``); returns the file's SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as handle:
            for exchange in exchanges:
                line = json.dumps(exchange_record(exchange), ensure_ascii=False, sort_keys=True)
                handle.write(line.encode("utf-8", errors="backslashreplace") + b"\n")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def read_evidence(path: Path) -> Iterator[dict[str, Any]]:
    """The records of an evidence file, one at a time (for checks and for an archivist's viewer)."""
    try:
        with gzip.open(path, "rb") as handle:
            for number, line in enumerate(handle, 1):
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise InputError(f"{path}: linje {number} er ikke et JSON-objekt")
                yield record
    except (OSError, EOFError, ValueError) as exc:
        raise InputError(f"{path}: ikke en lesbar bevisfil ({exc})") from exc


def secret_free(record: dict[str, Any]) -> bool:
    """True when no secret query parameter in the record's URL still has a value."""
    from urllib.parse import parse_qsl, urlsplit

    return all(v == "REDACTED" for k, v in parse_qsl(urlsplit(str(record.get("url", ""))).query)
               if k.lower() in SECRET_PARAMS)


def evidence_files(capture_root: Path, key: str) -> list[Path]:
    """A thread's evidence files in a capture folder (``evidence/<key>/*.jsonl.gz``), oldest first.

    ``key`` is a thread key (``schemas.package.thread_key``); anything else finds nothing rather than
    looking outside ``capture_root/evidence``.
    """
    base = (capture_root / "evidence").resolve()
    folder = (base / key).resolve()
    if not folder.is_relative_to(base) or folder == base or not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.jsonl.gz") if p.is_file() and not p.is_symlink())
