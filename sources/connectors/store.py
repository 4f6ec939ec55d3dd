"""Writing captures into the capture folder that :mod:`sources.folder` reads.

Layout added to the folder format::

    threads/<key>.json                       the canonical thread (merged with the previous capture)
    media/<key>/<media id>.<ext>             media fetched at capture time (platform URLs expire)
    evidence/<key>/<UTC time>.jsonl.gz       the raw API exchanges of each capture (sources.evidence)
    observations/<key>.jsonl                 looks that found nothing changed (append-only, one JSON line each)

Order makes a failed capture leave nothing half-written: media and evidence first (new files only), the
thread JSON last, by atomic rename. A re-capture is merged with the previous one
(:func:`sources.observe.merge_captures`), so what disappeared stays, marked.

Versions: a re-capture that observes no change (no new, edited, removed or re-appeared item, no changed
count, text or completeness; only the observation time differs) does not rewrite ``threads/<key>.json``.
Its raw responses are still kept (the evidence file, as for every capture) and the look is appended to the
observation log. The canonical capture, and so the package id, changes only with the content; the logged
looks join the thread's ``observations`` at the next capture that does change something.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from schemas.capture import capture_bytes
from schemas.errors import CaptureError, SourceError
from schemas.package import safe_segment, thread_key
from schemas.thread import Item, Media, Observation, Thread
from sources.capture import load_thread
from sources.connectors.base import Capture, PartialError
from sources.evidence import write_evidence
from sources.observe import ObserveReport, mark_thread_gone, merge_captures

MEDIA_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
               "video/mp4": ".mp4", "video/quicktime": ".mov"}


@dataclass(frozen=True)
class MediaPolicy:
    """Whether and what media to fetch: a size cap and, optionally, the only hosts allowed."""

    enabled: bool = True
    max_bytes: int = 200 << 20
    allowed_hosts: frozenset[str] | None = None
    timeout_s: float = 60.0


@dataclass
class WriteResult:
    key: str
    thread_path: Path
    evidence_path: Path
    observed: ObserveReport
    media_fetched: int = 0
    media_errors: list[PartialError] = field(default_factory=list)
    unchanged: bool = False  # nothing changed since the last capture: the thread JSON was not rewritten


MAX_LOG_LINE = 4096


def observation_log_path(root: Path, key: str) -> Path:
    return root / "observations" / f"{key}.jsonl"


def read_observation_log(root: Path, key: str) -> list[Observation]:
    """The looks logged for ``key`` (lines that do not parse are skipped: the log is a record, not a source)."""
    path = observation_log_path(root, key)
    if not path.is_file() or path.is_symlink():
        return []
    found: list[Observation] = []
    with path.open("rb") as handle:
        for line in handle:
            if len(line) > MAX_LOG_LINE:
                continue
            try:
                found.append(Observation.model_validate_json(line))
            except ValueError:
                continue
    return found


def append_observation(root: Path, key: str, observation: Observation) -> Path:
    """Append one look to the key's observation log (one JSON line, flushed and fsynced)."""
    path = observation_log_path(root, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = observation.model_dump_json(exclude_none=True).encode("utf-8", errors="backslashreplace") + b"\n"
    with path.open("ab") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def last_observed(root: Path, key: str, thread: Thread) -> datetime:
    """When the thread was last looked at: its capture time or a later unchanged look in the observation log."""
    logged = [o.at for o in read_observation_log(root, key) if o.source == "api"]
    return max([thread.captured_at, *logged])


def _with_logged_looks(root: Path, key: str, previous: Thread) -> Thread:
    """``previous`` with the looks logged since it was written (unchanged re-captures) in its observations."""
    known = {(o.at, o.source) for o in previous.observations}
    logged = [o for o in read_observation_log(root, key)
              if o.at > previous.captured_at and (o.at, o.source) not in known]
    if not logged:
        return previous
    return previous.model_copy(update={"observations": [*previous.observations, *logged]})


def same_content(previous: Thread, merged: Thread) -> bool:
    """True when ``merged`` differs from ``previous`` only in when it was observed."""
    comparable = merged.model_copy(update={"captured_at": previous.captured_at,
                                           "observations": previous.observations})
    return capture_bytes(comparable) == capture_bytes(previous)


def _fetch_media(client: httpx.Client, media: Media, folder: Path, key: str, policy: MediaPolicy,
                 errors: list[PartialError]) -> Media:
    if not media.url or media.path:
        return media
    parts = urlsplit(media.url)
    if parts.scheme not in ("http", "https") or (policy.allowed_hosts is not None and
                                                  parts.hostname not in policy.allowed_hosts):
        errors.append(PartialError(media.id, f"ikke hentet: {parts.hostname or media.url[:60]} er ikke tillatt"))
        return media
    name = safe_segment(media.id)[:120]
    target_dir = folder / key
    try:
        with client.stream("GET", media.url) as response:
            if response.status_code != 200:
                errors.append(PartialError(media.id, f"ikke hentet: HTTP {response.status_code}"))
                return media
            mime = response.headers.get("content-type", "").split(";")[0].strip().lower()
            ext = MEDIA_TYPES.get(mime) or mimetypes.guess_extension(mime or "") or ".bin"
            target_dir.mkdir(parents=True, exist_ok=True)
            temporary = target_dir / f".{name}.part"
            digest = hashlib.sha256()
            size = 0
            with temporary.open("wb") as handle:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > policy.max_bytes:
                        raise SourceError(f"større enn {policy.max_bytes} byte")
                    digest.update(chunk)
                    handle.write(chunk)
            final = target_dir / f"{name}{ext}"
            os.replace(temporary, final)
    except (httpx.HTTPError, SourceError, OSError) as exc:
        (target_dir / f".{name}.part").unlink(missing_ok=True)
        errors.append(PartialError(media.id, f"ikke hentet: {str(exc)[:120] or type(exc).__name__}"))
        return media
    return media.model_copy(update={"path": f"{key}/{final.name}", "sha256": digest.hexdigest(),
                                    "mime_type": mime or None})


def _with_media(item: Item, fetch: dict[str, Media]) -> Item:
    if not item.media:
        return item
    return item.model_copy(update={"media": [fetch.get(m.id, m) for m in item.media]})


def write_capture(root: Path, capture: Capture, policy: MediaPolicy | None = None) -> WriteResult:
    """Merge ``capture`` with the folder's previous capture of the thread and write it (thread JSON last)."""
    policy = policy or MediaPolicy()
    thread = capture.thread
    key = thread_key(thread.platform, thread.thread_id)
    thread_path = root / "threads" / f"{key}.json"
    previous: Thread | None = None
    if thread_path.exists():
        try:
            previous = load_thread(thread_path)
        except CaptureError as exc:
            raise SourceError(f"{thread_path}: forrige innsamling kan ikke leses, ny innsamling ikke skrevet: "
                              f"{str(exc).splitlines()[0]}") from exc
    errors: list[PartialError] = []
    fetched: dict[str, Media] = {}
    if policy.enabled:
        known = {m.id: m for item in (previous.all_items() if previous else []) for m in item.media if m.path}
        with httpx.Client(timeout=policy.timeout_s, follow_redirects=True) as client:
            for item in thread.all_items():
                for media in item.media:
                    if media.id in fetched:
                        continue
                    old = known.get(media.id)
                    if old is not None and (root / "media" / (old.path or "")).is_file():
                        fetched[media.id] = media.model_copy(update={"path": old.path, "sha256": old.sha256,
                                                                     "mime_type": old.mime_type})
                        continue
                    fetched[media.id] = _fetch_media(client, media, root / "media", key, policy, errors)
    thread = thread.model_copy(update={"post": _with_media(thread.post, fetched),
                                       "comments": [_with_media(c, fetched) for c in thread.comments]})
    merged, report = merge_captures(_with_logged_looks(root, key, previous) if previous else None, thread)
    evidence_path = root / "evidence" / key / f"{thread.captured_at.strftime('%Y%m%dT%H%M%S%fZ')}.jsonl.gz"
    write_evidence(capture.exchanges, evidence_path)
    if previous is not None and same_content(previous, merged):
        seen = len(thread.comments)
        append_observation(root, key, Observation(
            at=thread.captured_at, source="api", comments_seen=seen,
            note=f"uendret siden innsamlingen {previous.captured_at:%Y-%m-%d %H:%M} UTC; bevis {evidence_path.name}"))
        return WriteResult(key=key, thread_path=thread_path, evidence_path=evidence_path, observed=report,
                           media_fetched=sum(1 for m in fetched.values() if m.path), media_errors=errors,
                           unchanged=True)
    thread_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = thread_path.with_name(f".{thread_path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(capture_bytes(merged))
        os.replace(temporary, thread_path)
    finally:
        temporary.unlink(missing_ok=True)
    return WriteResult(key=key, thread_path=thread_path, evidence_path=evidence_path, observed=report,
                       media_fetched=sum(1 for m in fetched.values() if m.path), media_errors=errors)


def write_gone(root: Path, thread_path: Path, at: datetime, detail: str) -> Thread:
    """Mark the folder's capture at ``thread_path`` as removed on the platform (the post itself is gone)."""
    previous = load_thread(thread_path)
    if previous.post.removal is not None and previous.post.removal.state == "deleted":
        return previous
    gone = mark_thread_gone(previous, at, detail)
    temporary = thread_path.with_name(f".{thread_path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(capture_bytes(gone))
        os.replace(temporary, thread_path)
    finally:
        temporary.unlink(missing_ok=True)
    return gone
