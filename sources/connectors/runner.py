"""One capture step, the same for a flow, the CLI and tests: ref → account → connector → capture folder.

Errors are returned as outcomes (one bad thread never stops the others) with the message naming the
account and the thread; a thread whose post is gone is marked removed in the folder instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from schemas.errors import SomearkivError, SourceError
from schemas.package import thread_key
from schemas.refs import ThreadRef
from sources.accounts import AccountRegistry, resolve_credential
from sources.capture import load_thread
from sources.connectors import connector_for
from sources.connectors.base import ThreadGoneError
from sources.connectors.config import SourcesConfig
from sources.connectors.store import MediaPolicy, last_observed, write_capture, write_gone

Lookup = Callable[[str], str | None]


@dataclass(frozen=True)
class CaptureOutcome:
    key: str
    status: Literal["captured", "gone", "failed"]
    comments: int = 0
    removed: int = 0
    edited: int = 0
    partial_errors: int = 0
    message: str = ""
    unchanged: bool = False  # nothing changed: the canonical capture was kept, the look logged


def capture_one(root: Path, ref: ThreadRef, registry: AccountRegistry, lookup: Lookup, config: SourcesConfig,
                policy: MediaPolicy) -> CaptureOutcome:
    """Fetch ``ref`` with its account's connector and write it into the capture folder ``root``."""
    key = ref.key
    entry = registry.find(ref.platform, ref.account)
    if entry is None:
        return CaptureOutcome(key, "failed", message=(
            f"{ref.platform.value}/{ref.post_id}: ingen konto i kontoregisteret for {ref.account or '(ukjent konto)'}"))
    try:
        credential = resolve_credential(entry, lookup)
        connector = connector_for(config, credential, entry.thread_account(), ref.platform)
        capture = connector.fetch_thread(ref)
        result = write_capture(root, capture, policy)
    except ThreadGoneError as exc:
        path = root / "threads" / f"{key}.json"
        if path.exists():
            write_gone(root, path, datetime.now(UTC), str(exc))
            return CaptureOutcome(key, "gone", message=str(exc))
        return CaptureOutcome(key, "failed", message=str(exc))
    except SomearkivError as exc:
        return CaptureOutcome(key, "failed", message=str(exc))
    thread = capture.thread
    return CaptureOutcome(key, "captured", comments=len(thread.comments), removed=len(result.observed.removed),
                          edited=len(result.observed.edited),
                          partial_errors=len(capture.partial_errors) + len(result.media_errors),
                          unchanged=result.unchanged)


def recapture_refs(root: Path, registry: AccountRegistry, lookup: Lookup, config: SourcesConfig,
                   since: datetime) -> tuple[list[ThreadRef], list[CaptureOutcome]]:
    """Threads to re-capture: each account's posts since ``since`` plus its threads already in the folder
    captured since then (so removals in them are seen)."""
    refs: dict[str, ThreadRef] = {}
    failures: list[CaptureOutcome] = []
    for entry in registry.accounts:
        try:
            connector = connector_for(config, resolve_credential(entry, lookup), entry.thread_account(), entry.platform)
            for ref in connector.list_recent(entry.account_ref(), since):
                refs.setdefault(ref.key, ThreadRef(ref.platform, ref.post_id, entry.key, ref.url))
        except SourceError as exc:
            failures.append(CaptureOutcome(f"{entry.platform.value}-{entry.key}", "failed", message=str(exc)))
    for path in sorted((root / "threads").glob("*.json")):
        try:
            thread = load_thread(path)
        except SomearkivError:
            continue
        owner = next((a for a in registry.accounts if a.platform is thread.platform
                      and a.platform_id == thread.account.id), None)
        key = thread_key(thread.platform, thread.thread_id)
        if owner is None or thread.source != "api" or last_observed(root, key, thread) < since:
            continue
        if thread.post.removal is not None and thread.post.removal.state == "deleted":
            continue
        refs.setdefault(key, ThreadRef(thread.platform, thread.thread_id, owner.key, thread.url))
    return list(refs.values()), failures
