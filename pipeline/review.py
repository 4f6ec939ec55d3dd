"""The archivist's review of a package, recorded in the audit chain; an approval locks exact versions.

Approving a package:

1. refuses at once, before anything is written, unless the bucket can lock (S3: Object Lock enabled; this
   holds for rejections too, since every decision is an audit event written under Object Lock);
2. obtains the manifest's RFC 3161 token if a TSA is configured and the package has none yet;
3. pins the current version of every package object (files, ``manifest.json``, its ``.tsr``) and runs the
   fixity check on exactly those versions;
4. locks exactly those versions (Object Lock retention; read-only files in a folder, with no WORM guarantee);
5. appends a ``review.approved`` event to the audit chain (:class:`storage.audit.AuditLog`) naming every
   locked version and its SHA-256, and writes a convenience copy to ``_reviews/<package_id>.json``.

The chain is the record; the ``_reviews/`` copy is never trusted alone: :func:`load_ledger` replays the chain
and reports a copy with no matching event (forged) or an event whose copy is gone (deleted) as ``tampered``.
An approval is final: approving again re-runs the fixity check on the pinned versions and re-applies the same
lock; rejecting afterwards is refused. A rejection can be followed by an approval.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from schemas.errors import WorkflowError
from schemas.findings import Finding, errors
from schemas.package import MANIFEST_NAME, Manifest
from storage.audit import AuditError, AuditEvent, AuditLog
from storage.base import (
    MANIFEST_TSR,
    REVIEWS_DIR,
    LockedObject,
    LockMode,
    ObjectExistsError,
    ObjectVersion,
    Sink,
    SinkError,
    parse_manifest,
)
from storage.config import RetentionPolicy
from storage.fixity import finding_text, verify_package, version_problems
from storage.timestamp import Timestamper, TimestampError

Decision = Literal["approved", "rejected"]
Status = Literal["approved", "rejected", "pending"]
KIND_OF: dict[str, Decision] = {"review.approved": "approved", "review.rejected": "rejected"}
MAX_COMMENT = 10_000


class ApprovalError(WorkflowError):
    """The package can't be approved or rejected (missing, fails fixity, already approved, no Object Lock)."""


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


class ReviewData(BaseModel):
    """The ``data`` of a review event in the audit chain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: Decision
    comment: str = Field("", max_length=MAX_COMMENT)
    manifest_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the reviewed manifest.json")
    retention: Retention | None = None
    locked: list[LockedObject] = Field(default_factory=list, description="Exactly the versions this approval locked")


class ApprovalRecord(BaseModel):
    """A package's current review, as replayed from the audit chain (and copied to ``_reviews/``)."""

    model_config = ConfigDict(extra="forbid")

    record_version: Literal["2"] = "2"
    package_id: str
    decision: Decision
    by: str = Field(min_length=1)
    by_verified: bool = Field(False, description="False: the name was claimed (CLI --by), not authenticated")
    at: AwareDatetime
    comment: str = ""
    manifest_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    retention: Retention | None = None
    locked: list[LockedObject] = Field(default_factory=list)
    audit_seq: int = Field(ge=1, description="The audit event that made this decision")
    audit_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    history: list[PastDecision] = Field(default_factory=list)

    @property
    def approved(self) -> bool:
        return self.decision == "approved"

    def to_bytes(self) -> bytes:
        return (self.model_dump_json(indent=2) + "\n").encode("utf-8")

    @classmethod
    def from_event(cls, event: AuditEvent, sha256: str, history: list[PastDecision]) -> ApprovalRecord:
        data = ReviewData.model_validate(event.data)
        return cls(
            package_id=event.subject,
            decision=data.decision,
            by=event.actor,
            by_verified=event.actor_verified,
            at=event.at,
            comment=data.comment,
            manifest_sha256=data.manifest_sha256,
            retention=data.retention,
            locked=data.locked,
            audit_seq=event.seq,
            audit_sha256=sha256,
            history=history,
        )


@dataclass
class ReviewLedger:
    """Every package's current review, replayed from the audit chain, and what was found wrong on the way."""

    records: dict[str, ApprovalRecord] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def status_of(self, package_id: str) -> Status:
        record = self.records.get(package_id)
        return "pending" if record is None else record.decision

    def pins_of(self, package_id: str) -> list[LockedObject] | None:
        record = self.records.get(package_id)
        return record.locked if record is not None and record.approved else None


def audit_log(sink: Sink, retention: RetentionPolicy | None = None, timestamper: Timestamper | None = None) -> AuditLog:
    return AuditLog(sink, retention=retention, timestamper=timestamper)


def load_ledger(
    sink: Sink, log: AuditLog | None = None, *, verify_chain: bool = True, check_copies: bool = True
) -> ReviewLedger:
    """Replay the review events of the chain; check the ``_reviews/`` copies against it (``check_copies``)."""
    log = log or AuditLog(sink)
    ledger = ReviewLedger()
    if verify_chain:
        ledger.findings += log.verify()
        chain, _ = log.events()
    else:
        chain, ledger.findings = log.events()
    history: dict[str, list[PastDecision]] = {}
    for stored in chain:
        event = stored.event
        if event.kind not in KIND_OF:
            continue
        try:
            record = ApprovalRecord.from_event(event, stored.sha256, list(history.get(event.subject, [])))
        except ValidationError as exc:
            ledger.findings.append(_finding(event.subject, f"hendelse {event.seq} er ikke en gyldig vurdering: {exc}"))
            continue
        previous = ledger.records.get(event.subject)
        if previous is not None and previous.approved:
            ledger.findings.append(_finding(event.subject, f"hendelse {event.seq} endrer en endelig godkjenning"))
            continue
        ledger.records[event.subject] = record
        past = PastDecision(decision=record.decision, by=record.by, at=record.at, comment=record.comment)
        history.setdefault(event.subject, []).append(past)
    if check_copies:
        ledger.findings += _check_copies(sink, ledger)
    return ledger


def _check_copies(sink: Sink, ledger: ReviewLedger) -> list[Finding]:
    findings: list[Finding] = []
    try:
        copies = {obj.path.removesuffix(".json") for obj in sink.list_meta(REVIEWS_DIR) if obj.path.endswith(".json")}
    except SinkError as exc:
        return [_finding("", f"vurderingspostene kan ikke listes: {exc}")]
    for package_id in sorted(copies):
        record = ledger.records.get(package_id)
        try:
            data = sink.read_review(package_id)
            copy = ApprovalRecord.model_validate_json(data or b"")
        except (SinkError, ValueError):
            copy = None
        if record is None:
            findings.append(_finding(package_id, "vurderingsposten har ingen hendelse i revisjonsloggen (forfalsket?)"))
        elif copy != record:
            findings.append(_finding(package_id, "vurderingsposten avviker fra revisjonsloggen (endret?)"))
    for package_id in sorted(ledger.records.keys() - copies):
        findings.append(_finding(package_id, "vurderingsposten er slettet (revisjonsloggen har vurderingen)"))
    return findings


def _finding(package_id: str, message: str) -> Finding:
    return Finding(rule="tampered", message=message, where=f"{REVIEWS_DIR}/{package_id}.json")


def approve_package(
    sink: Sink,
    package_id: str,
    *,
    approved: bool,
    by: str,
    comment: str = "",
    retention: RetentionPolicy,
    timestamper: Timestamper | None = None,
    by_verified: bool = False,
    now: datetime | None = None,
) -> ApprovalRecord:
    """Record the archivist's decision in the audit chain; an approval first locks exact versions."""
    who = by.strip()
    if not who:
        raise ApprovalError(f"pakke {package_id}: oppgi hvem som har vurdert den")
    if len(comment) > MAX_COMMENT or any("\ud800" <= ch <= "\udfff" for ch in comment):
        raise ApprovalError(f"pakke {package_id}: kommentaren er for lang (høyst {MAX_COMMENT} tegn) eller har "
                            "ugyldige tegn (ensomme surrogater, f.eks. fra en ødelagt tegnkoding)")
    try:
        known = sink.has_package(package_id)
    except SinkError as exc:
        raise ApprovalError(f"pakke {package_id!r} kan ikke vurderes: {exc}") from exc
    if not known:
        raise ApprovalError(
            f"pakke {package_id} finnes ikke i {sink.url} (eller er ufullstendig: mangler {MANIFEST_NAME})"
        )
    try:  # both decisions go into the audit chain, which is written under Object Lock
        sink.require_lock_support()
    except SinkError as exc:
        what = "godkjennes" if approved else "avvises"
        raise ApprovalError(f"pakke {package_id} kan ikke {what}: {exc}") from exc
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    log = AuditLog(sink, retention=retention, timestamper=timestamper, clock=lambda: moment)
    ledger = load_ledger(sink, log, verify_chain=False, check_copies=False)
    broken = [f for f in errors(ledger.findings) if f.where.startswith("_audit")]
    if broken:
        raise ApprovalError(f"revisjonsloggen er skadet; ingen vurdering kan registreres: {finding_text(broken[0])}")
    previous = ledger.records.get(package_id)
    if previous is not None and previous.approved:
        if not approved:
            raise ApprovalError(
                f"pakke {package_id} ble godkjent av {previous.by} {previous.at}; godkjenningen er endelig"
            )
        relocked = _relock(sink, previous, timestamper)
        if sink.read_review(package_id) is None:  # an interrupted approval: the chain has it, the copy not yet
            sink.write_review(package_id, relocked.to_bytes())
        return relocked
    if not approved:
        manifest_sha = hashlib.sha256(sink.read_bytes(package_id, MANIFEST_NAME)).hexdigest()
        data = ReviewData(decision="rejected", comment=comment, manifest_sha256=manifest_sha)
        return _record(sink, log, package_id, who, by_verified, data, ledger)
    if timestamper is not None:
        _ensure_manifest_token(sink, package_id, timestamper)
    pins = pin_current_versions(sink, package_id)
    problems = errors(verify_package(sink, package_id, pins, timestamper, check_locks=False).problems)
    if problems:
        listed = "; ".join(finding_text(problem) for problem in problems)
        raise ApprovalError(f"pakke {package_id} feiler fixitetskontrollen og kan ikke godkjennes: {listed}")
    kept = Retention(mode=retention.mode, retain_until=moment + timedelta(days=retention.days))
    try:
        sink.lock_objects(package_id, pins, mode=kept.mode, retain_until=kept.retain_until)
    except SinkError as exc:
        raise ApprovalError(f"pakke {package_id} kunne ikke låses: {exc}") from exc
    manifest_pin = next(pin for pin in pins if pin.path == MANIFEST_NAME)
    data = ReviewData(
        decision="approved", comment=comment, manifest_sha256=manifest_pin.sha256, retention=kept, locked=pins
    )
    return _record(sink, log, package_id, who, by_verified, data, ledger)


def _record(
    sink: Sink, log: AuditLog, package_id: str, by: str, by_verified: bool, data: ReviewData, ledger: ReviewLedger
) -> ApprovalRecord:
    try:
        event = log.append(
            f"review.{data.decision}", by, package_id, data.model_dump(mode="json"), actor_verified=by_verified
        )
    except AuditError as exc:
        raise ApprovalError(f"pakke {package_id}: {exc}") from exc
    previous = ledger.records.get(package_id)
    history = [*previous.history, _past(previous)] if previous is not None else []
    record = ApprovalRecord.from_event(event, event.sha256, history)
    sink.write_review(package_id, record.to_bytes())
    return record


def _past(record: ApprovalRecord) -> PastDecision:
    return PastDecision(decision=record.decision, by=record.by, at=record.at, comment=record.comment)


def _relock(sink: Sink, record: ApprovalRecord, timestamper: Timestamper | None) -> ApprovalRecord:
    """Approving again: the pinned versions must still pass fixity, then the same lock is re-applied."""
    problems = errors(verify_package(sink, record.package_id, record.locked, timestamper, check_locks=False).problems)
    if problems:
        listed = "; ".join(finding_text(problem) for problem in problems)
        raise ApprovalError(f"pakke {record.package_id} er godkjent, men feiler nå fixitetskontrollen: {listed}")
    if record.retention is None:
        raise ApprovalError(f"pakke {record.package_id}: godkjenningen mangler låseperiode (retention)")
    try:
        sink.lock_objects(
            record.package_id, record.locked, mode=record.retention.mode, retain_until=record.retention.retain_until
        )
    except SinkError as exc:
        raise ApprovalError(f"pakke {record.package_id} kunne ikke låses: {exc}") from exc
    return record


def _ensure_manifest_token(sink: Sink, package_id: str, timestamper: Timestamper) -> None:
    if sink.versions(package_id, MANIFEST_TSR):
        return
    try:
        token = timestamper.stamp(sink.read_bytes(package_id, MANIFEST_NAME))
        sink.put_sidecar(package_id, MANIFEST_TSR, token)
    except ObjectExistsError:
        return
    except (TimestampError, SinkError) as exc:
        raise ApprovalError(f"pakke {package_id}: manifestet kunne ikke tidsstemples: {exc}") from exc


def pin_current_versions(sink: Sink, package_id: str) -> list[LockedObject]:
    """The current version of every package object, with the SHA-256 it must have."""
    try:
        history = sink.package_history(package_id)  # one listing for every key of the package
        manifest_version = _current(history.get(MANIFEST_NAME, []), package_id, MANIFEST_NAME)
        manifest_bytes = sink.read_bytes(package_id, MANIFEST_NAME, version=manifest_version)
        manifest = parse_manifest(package_id, manifest_bytes)
        pins = [
            LockedObject(
                path=entry.path,
                version_id=_current(history.get(entry.path, []), package_id, entry.path),
                sha256=entry.sha256,
                size=entry.size,
            )
            for entry in manifest.files
        ]
        pins.append(
            LockedObject(
                path=MANIFEST_NAME,
                version_id=manifest_version,
                sha256=hashlib.sha256(manifest_bytes).hexdigest(),
                size=len(manifest_bytes),
            )
        )
        token_versions = history.get(MANIFEST_TSR, [])
        if token_versions and not token_versions[0].deleted:
            version = token_versions[0].version_id
            token = sink.read_bytes(package_id, MANIFEST_TSR, version=version)
            pins.append(LockedObject(path=MANIFEST_TSR, version_id=version, sha256=_sha(token), size=len(token)))
    except (SinkError, ValueError) as exc:
        raise ApprovalError(f"pakke {package_id} kan ikke godkjennes: {exc}") from exc
    return pins


def _current(versions: list[ObjectVersion], package_id: str, path: str) -> str | None:
    if not versions or versions[0].deleted:
        raise ApprovalError(f"pakke {package_id}: fil {path} mangler")
    return versions[0].version_id


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_approval(sink: Sink, package_id: str) -> ApprovalRecord | None:
    """The package's current review as the audit chain has it, or None if it hasn't been reviewed."""
    return load_ledger(sink, verify_chain=False, check_copies=False).records.get(package_id)


def review_status(sink: Sink, package_id: str) -> Status:
    """A package's review status from the audit chain (a ``_reviews/`` copy alone counts for nothing)."""
    return load_ledger(sink, verify_chain=False, check_copies=False).status_of(package_id)


class LockedView:
    """The read side of a sink where approved packages are read at exactly their locked versions.

    For ``noark.uttrekk`` and the review screens. Any newer version or delete marker on a locked key is
    collected in ``findings`` (rule ``tampered``) the first time the package is read; the locked content is
    what is returned.
    """

    def __init__(self, sink: Sink, ledger: ReviewLedger) -> None:
        self.sink = sink
        self.ledger = ledger
        self.url = sink.url
        self.findings: list[Finding] = []
        self._checked: set[str] = set()

    def _pin(self, package_id: str, path: str) -> str | None:
        pins = self.ledger.pins_of(package_id)
        if pins is None:
            return None
        if package_id not in self._checked:
            self._checked.add(package_id)
            history = self.sink.package_history(package_id)
            for pin in pins:
                for rule, detail in version_problems(self.sink, package_id, pin, versions=history.get(pin.path, [])):
                    self.findings.append(Finding(rule=rule, message=detail, where=f"{package_id}/{pin.path}"))
        for pin in pins:
            if pin.path == path:
                return pin.version_id
        raise SinkError(f"pakke {package_id}: fil {path} ble ikke låst ved godkjenningen")

    def list_packages(self) -> list[str]:
        return self.sink.list_packages()

    def has_package(self, package_id: str) -> bool:
        return self.sink.has_package(package_id)

    def package_url(self, package_id: str) -> str:
        return self.sink.package_url(package_id)

    def read_manifest(self, package_id: str, *, version: str | None = None) -> Manifest:
        return self.sink.read_manifest(package_id, version=version or self._pin(package_id, MANIFEST_NAME))

    def open_file(self, package_id: str, path: str, *, version: str | None = None) -> AbstractContextManager[BinaryIO]:
        return self.sink.open_file(package_id, path, version=version or self._pin(package_id, path))

    def read_bytes(
        self, package_id: str, path: str, *, version: str | None = None, max_bytes: int | None = None
    ) -> bytes:
        return self.sink.read_bytes(
            package_id, path, version=version or self._pin(package_id, path), max_bytes=max_bytes
        )

    def iter_objects(self, package_id: str) -> Iterator[Any]:
        return self.sink.iter_objects(package_id)

    def latest_package_for(self, thread_key: str) -> Manifest | None:
        return self.sink.latest_package_for(thread_key)
