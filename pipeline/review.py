"""The archivist's review of a package: an approval record, then retention on the package's objects.

The record is stored in the bucket outside the package (``<prefix>/_reviews/<package_id>.json``) so the
package's fixity is untouched. Approving first re-checks the package's fixity, writes the record and
then locks the package (S3 Object Lock retention with the configured mode and days; read-only files in a
local folder). An approval is final: approving again only re-applies the same lock (which completes an
interrupted lock), and a rejection after it is refused. A rejection can later be followed by an approval;
earlier decisions are kept in ``history``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.errors import WorkflowError
from schemas.package import MANIFEST_NAME
from storage.base import LockMode, Sink
from storage.config import RetentionPolicy
from storage.fixity import verify_package

Decision = Literal["approved", "rejected"]


class ApprovalError(WorkflowError):
    """The package can't be approved or rejected (missing, fails fixity, already approved)."""


class Retention(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: LockMode
    retain_until: AwareDatetime


class PastDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: Decision
    by: str
    at: AwareDatetime
    comment: str = ""


class ApprovalRecord(BaseModel):
    """``_reviews/<package_id>.json``: who decided what about a package, when, and its retention."""

    model_config = ConfigDict(extra="forbid")

    record_version: Literal["1"] = "1"
    package_id: str
    decision: Decision
    by: str = Field(min_length=1)
    at: AwareDatetime
    comment: str = ""
    manifest_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the reviewed manifest.json")
    retention: Retention | None = None
    locked: list[str] = Field(default_factory=list, description="Paths locked by this approval")
    history: list[PastDecision] = Field(default_factory=list)

    @property
    def approved(self) -> bool:
        return self.decision == "approved"

    def to_bytes(self) -> bytes:
        return (self.model_dump_json(indent=2) + "\n").encode("utf-8")


def read_approval(sink: Sink, package_id: str) -> ApprovalRecord | None:
    """The package's current review record, or None if it hasn't been reviewed."""
    data = sink.read_review(package_id)
    if data is None:
        return None
    try:
        return ApprovalRecord.model_validate_json(data)
    except ValueError as exc:
        raise ApprovalError(f"pakke {package_id}: vurderingsposten er ugyldig: {exc}") from exc


def approve_package(
    sink: Sink,
    package_id: str,
    *,
    approved: bool,
    by: str,
    comment: str = "",
    retention: RetentionPolicy,
    now: datetime | None = None,
) -> ApprovalRecord:
    """Record the archivist's decision; an approval then locks the package for ``object_lock_days``."""
    if not by.strip():
        raise ApprovalError(f"pakke {package_id}: oppgi hvem som har vurdert den")
    if not sink.has_package(package_id):
        raise ApprovalError(
            f"pakke {package_id} finnes ikke i {sink.url} (eller er ufullstendig: mangler {MANIFEST_NAME})"
        )
    previous = read_approval(sink, package_id)
    if previous is not None and previous.approved:
        if not approved:
            raise ApprovalError(
                f"pakke {package_id} ble godkjent av {previous.by} {previous.at}; godkjenningen er endelig"
            )
        return _lock(sink, previous)  # idempotent: finishes a lock that was interrupted
    if approved:
        fixity = verify_package(sink, package_id)
        if fixity.problems:
            listed = "; ".join(problem.to_text() for problem in fixity.problems)
            raise ApprovalError(f"pakke {package_id} feiler fixitetskontrollen og kan ikke godkjennes: {listed}")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    record = ApprovalRecord(
        package_id=package_id,
        decision="approved" if approved else "rejected",
        by=by.strip(),
        at=moment,
        comment=comment,
        manifest_sha256=hashlib.sha256(sink.read_bytes(package_id, MANIFEST_NAME)).hexdigest(),
        retention=(
            Retention(mode=retention.mode, retain_until=moment + timedelta(days=retention.days))
            if approved
            else None
        ),
        history=_history_of(previous),
    )
    if approved:
        record.locked = _planned_lock_paths(sink, package_id)
    sink.write_review(package_id, record.to_bytes())
    return _lock(sink, record) if approved else record


def _history_of(previous: ApprovalRecord | None) -> list[PastDecision]:
    if previous is None:
        return []
    past = PastDecision(decision=previous.decision, by=previous.by, at=previous.at, comment=previous.comment)
    return [*previous.history, past]


def _planned_lock_paths(sink: Sink, package_id: str) -> list[str]:
    manifest = sink.read_manifest(package_id)
    return [entry.path for entry in manifest.files] + [MANIFEST_NAME]


def _lock(sink: Sink, record: ApprovalRecord) -> ApprovalRecord:
    if record.retention is None:
        raise ApprovalError(f"pakke {record.package_id}: godkjenningen mangler låseperiode (retention)")
    sink.lock_package(record.package_id, mode=record.retention.mode, retain_until=record.retention.retain_until)
    return record


def review_status(sink: Sink, package_id: str) -> Literal["approved", "rejected", "pending"]:
    """A package's review status for selection (e.g. ``somearkiv uttrekk --status approved``)."""
    record = read_approval(sink, package_id)
    return "pending" if record is None else record.decision
