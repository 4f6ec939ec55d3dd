"""Open the archive bucket named by a URL: ``file:///path``, a plain path, or ``s3://bucket/prefix``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from storage.base import BaseSink, Sink, SinkError
from storage.config import S3Config, TimestampConfig, redact_url
from storage.local import LocalSink
from storage.s3 import S3Sink
from storage.timestamp import Timestamper


def open_sink(url: str, s3: S3Config | None = None, timestamps: TimestampConfig | None = None) -> Sink:
    """The sink for a bucket URL (``s3`` says how to reach an S3 endpoint; with ``timestamps`` every stored
    manifest gets an RFC 3161 token)."""
    sink = _sink_for(url, s3)
    if timestamps is not None and timestamps.enabled:
        sink.timestamper = Timestamper(timestamps)
    return sink


def _sink_for(url: str, s3: S3Config | None) -> BaseSink:
    target = (url or "").strip()
    if not target:
        raise SinkError("ingen arkivbøtte er satt opp (SOMEARKIV_BUCKET)")
    try:
        scheme = urlsplit(target).scheme.lower()
    except ValueError as exc:
        raise SinkError(f"ugyldig bøtte-URL {redact_url(target)!r}: {exc}") from exc
    if scheme == "s3":
        return S3Sink.from_config(target, s3 or S3Config())
    if scheme == "file":
        return LocalSink(local_path_of(target))
    if scheme and len(scheme) > 1:  # one letter would be a Windows drive, i.e. a plain path
        raise SinkError(f"arkivbøtte med URL-skjema {scheme!r} støttes ikke: bruk en sti, file:// eller s3://")
    return LocalSink(Path(target))


def local_path_of(file_url: str) -> Path:
    """``file:///abs/path`` (or ``file://localhost/abs/path``) → ``/abs/path``."""
    parts = urlsplit(file_url)
    if parts.netloc not in ("", "localhost"):
        raise SinkError(f"file-URL med ekstern vert støttes ikke: {redact_url(file_url)!r}")
    return Path(unquote(parts.path))
