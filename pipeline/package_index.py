"""Keep the workflow database's package index in step with the archive bucket (the bucket is the truth)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from pipeline.review import read_approval
from schemas.errors import SomearkivError
from schemas.package import Manifest
from schemas.text import escape_unsafe
from storage.base import Sink
from workflow.db import Database
from workflow.packages import PackageRow, add_packages, known_package_ids

log = logging.getLogger(__name__)
CAPTURE_PATH = "capture/thread.json"
SENSITIVE_REASONS = {"personsjikane", "sensitive-personal-data"}
TITLE_MAX = 120


@dataclass
class SyncResult:
    added: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (package id, reason) — never personal data


def _title(capture: dict[str, Any], package_id: str) -> str:
    title = capture.get("title")
    if not isinstance(title, str) or not title.strip():
        text = (capture.get("post") or {}).get("text") or ""
        title = next((line.strip() for line in str(text).splitlines() if line.strip()), "") or package_id
    title = escape_unsafe(title)
    return title[: TITLE_MAX - 3] + "..." if len(title) > TITLE_MAX else title


def _sensitive(capture: dict[str, Any]) -> bool:
    items = [capture.get("post") or {}, *(capture.get("comments") or [])]
    return any(((item.get("removal") or {}).get("reason") in SENSITIVE_REASONS) for item in items if isinstance(item,
                                                                                                           dict))


def _count(completeness: Any, key: str) -> int | None:
    value = completeness.get(key) if isinstance(completeness, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31 else None


def package_row(sink: Sink, package_id: str) -> PackageRow:
    """The index row of one complete package, from its manifest, its capture header and its review record."""
    manifest: Manifest = sink.read_manifest(package_id)
    capture = json.loads(sink.read_bytes(package_id, CAPTURE_PATH))
    if not isinstance(capture, dict):
        raise SomearkivError(f"pakke {package_id}: {CAPTURE_PATH} er ikke et JSON-objekt")
    account = capture.get("account") or {}
    review = read_approval(sink, package_id)
    flag = manifest.flag
    return PackageRow(
        package_id=package_id,
        thread_key=manifest.thread_key,
        platform=manifest.platform.value,
        account=escape_unsafe(str(account.get("name") or "?"))[:200],
        owning_unit=escape_unsafe(str(account.get("owning_unit") or "?"))[:200],
        title=_title(capture, package_id),
        case_number=flag.case_number if flag else None,
        flag_kind=flag.kind.value if flag else None,
        comments=len(capture.get("comments") or []),
        sensitive=_sensitive(capture),
        exported_at=manifest.created_at,
        previous_package_id=manifest.previous_package_id,
        status=review.decision if review else "pending",
        decided_by=review.by if review else None,
        decided_at=review.at if review else None,
        decision_comment=review.comment if review else None,
        reported_comments=_count(capture.get("completeness"), "reported"),
        captured_comments=_count(capture.get("completeness"), "captured"),
    )


def sync_index(db: Database, sink: Sink) -> SyncResult:
    """Index every complete package the database does not know yet; one broken package never stops the rest."""
    result = SyncResult()
    known = known_package_ids(db)
    batch: list[PackageRow] = []
    for package_id in sink.list_packages():
        if package_id in known:
            continue
        try:
            batch.append(package_row(sink, package_id))
        except (SomearkivError, ValueError, KeyError, OSError) as exc:
            result.failed.append((package_id, type(exc).__name__))
            log.warning("package %s could not be indexed: %s", package_id, type(exc).__name__)
        if len(batch) >= 500:
            result.added += add_packages(db, batch)
            batch.clear()
    result.added += add_packages(db, batch)
    return result
