"""Open the archive bucket named by a URL: ``file:///path``, a plain path, or ``s3://bucket/prefix``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from storage.base import Sink, SinkError
from storage.config import S3Config
from storage.local import LocalSink
from storage.s3 import S3Sink


def open_sink(url: str, s3: S3Config | None = None) -> Sink:
    """The sink for a bucket URL (``s3`` says how to reach an S3 endpoint)."""
    target = (url or "").strip()
    if not target:
        raise SinkError("ingen arkivbøtte er satt opp (SOMEARKIV_BUCKET)")
    scheme = urlsplit(target).scheme.lower()
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
        raise SinkError(f"file-URL med ekstern vert støttes ikke: {file_url!r}")
    return Path(unquote(parts.path))
