"""An append-only, hash-chained audit log in the bucket (``_audit/``), for review and moderation events.

Each event is one object ``_audit/<seq:010d>.json`` holding canonical JSON (keys sorted, no spaces, ASCII
with ``\\u`` escapes, no NaN): ``seq`` counts from 1 and ``prev`` is the SHA-256 of the previous event's
bytes, so removing, reordering or editing any event breaks the chain. An event is written create-only
(``IfNoneMatch``; a link in a folder), so two writers can't both claim a number; on S3 it is written with
Object Lock retention in the same PUT. With a time-stamping authority configured, each new head gets an
RFC 3161 token ``_audit/<seq:010d>.tsr`` over its bytes: a valid token on the last event pins the whole
chain in time, so cutting off the tail is detected too.

What is guaranteed: on an S3 bucket with Object Lock, nobody (the root account included, in COMPLIANCE
mode) can change or delete a written event before its retention ends; a newer version or a delete marker on
an event key is reported. In a local folder the files are only read-only: tampering is detectable by the
chain (and by the tokens when a TSA is used) but not prevented.

``actor`` is who the caller says acted; ``actor_verified`` says whether an authenticating front end (the
web app) vouched for it. The CLI's ``--by`` is recorded as claimed (``actor_verified: false``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from schemas.errors import IntegrityError, WorkflowError
from schemas.findings import Finding
from storage.base import AUDIT_DIR, LockMode, ObjectExistsError, ObjectVersion, Sink, SinkError
from storage.config import RetentionPolicy
from storage.timestamp import Timestamper, TimestampError

log = logging.getLogger(__name__)

EVENT_VERSION = "1"
MAX_EVENT_BYTES = 256 * 1024
MAX_DATA_DEPTH = 32
APPEND_ATTEMPTS = 20
_NAME = re.compile(r"^(\d{10})\.(json|tsr)$")
_KIND = r"^[a-z][a-z0-9._-]{0,63}$"
_UNSAFE_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")

JsonValue = Any


class AuditError(WorkflowError):
    """An audit event could not be appended (bad input, the log is broken, or the bucket refused)."""


def canonical_json(value: object) -> bytes:
    """The one byte form of a JSON value: sorted keys, no spaces, ASCII escapes, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode("ascii")


def _depth_ok(value: object) -> bool:
    """Nesting of at most MAX_DATA_DEPTH, checked without recursion."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DATA_DEPTH:
            return False
        if isinstance(node, dict):
            stack += [(child, depth + 1) for child in node.values()]
        elif isinstance(node, list | tuple):
            stack += [(child, depth + 1) for child in node]
    return True


def _plain_text(value: str, field: str, limit: int) -> str:
    if _UNSAFE_TEXT.search(value):
        raise ValueError(f"{field} inneholder kontrolltegn eller ugyldige tegn (ensomme surrogater)")
    text = value.strip()
    if not text:
        raise ValueError(f"{field} kan ikke være tom")
    if len(text) > limit:
        raise ValueError(f"{field} er lengre enn {limit} tegn")
    return text


class AuditEvent(BaseModel):
    """One event of the chain; ``to_bytes()`` is exactly what is stored and hashed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal["1"] = "1"
    seq: int = Field(ge=1)
    prev: str | None = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the previous event's bytes")
    at: AwareDatetime
    kind: str = Field(pattern=_KIND, description="e.g. review.approved, moderation.hidden")
    actor: str
    actor_verified: bool = Field(description="False: the actor's name was only claimed (CLI --by)")
    subject: str = Field(description="What the event is about, e.g. a package id or a thread key")
    data: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("actor")
    @classmethod
    def _actor(cls, value: str) -> str:
        return _plain_text(value, "aktør", 200)

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        return _plain_text(value, "gjelder", 300)

    def to_bytes(self) -> bytes:
        return canonical_json(self.model_dump(mode="json"))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_bytes()).hexdigest()

    @property
    def name(self) -> str:
        return event_name(self.seq)


def event_name(seq: int, suffix: str = "json") -> str:
    return f"{AUDIT_DIR}/{seq:010d}.{suffix}"


@dataclass(frozen=True)
class StoredEvent:
    event: AuditEvent
    sha256: str  # of the stored bytes


class AuditLog:
    """The bucket's audit log: ``append`` events, ``events`` to replay them, ``verify`` the chain."""

    def __init__(
        self,
        sink: Sink,
        *,
        retention: RetentionPolicy | None = None,
        timestamper: Timestamper | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.sink = sink
        self.retention = retention or RetentionPolicy()
        self.timestamper = timestamper
        self._clock = clock or (lambda: datetime.now(UTC))

    def _lock(self, now: datetime) -> tuple[LockMode, datetime]:
        return self.retention.mode, now + timedelta(days=self.retention.days)

    # -- writing ---------------------------------------------------------------------------------

    def append(
        self, kind: str, actor: str, subject: str, data: dict[str, JsonValue], *, actor_verified: bool = False
    ) -> AuditEvent:
        """Write the next event (locked on S3; read-only in a folder) and timestamp it when a TSA is set up."""
        if not _depth_ok(data):
            raise AuditError(f"hendelsen {kind!r} om {subject!r}: dataene er nestet dypere enn {MAX_DATA_DEPTH}")
        try:
            canonical_json(data)  # refuses NaN, infinities and what JSON can't hold, before pydantic sees it
        except (ValueError, TypeError) as exc:
            raise AuditError(f"hendelsen {kind!r} om {subject!r} er ugyldig: {exc}") from exc
        for attempt in range(APPEND_ATTEMPTS):
            if attempt:
                time.sleep(secrets.randbelow(20 * attempt + 1) / 1000)  # jitter: contending writers spread out
            head = self.head()
            now = self._clock().astimezone(UTC)
            try:
                event = AuditEvent(
                    seq=head.event.seq + 1 if head else 1,
                    prev=head.sha256 if head else None,
                    at=now,
                    kind=kind,
                    actor=actor,
                    actor_verified=actor_verified,
                    subject=subject,
                    data=data,
                )
                body = event.to_bytes()
            except (ValidationError, ValueError, TypeError) as exc:
                raise AuditError(f"hendelsen {kind!r} om {subject!r} er ugyldig: {_first_line(exc)}") from exc
            if len(body) > MAX_EVENT_BYTES:
                raise AuditError(f"hendelsen {kind!r} om {subject!r} er større enn {MAX_EVENT_BYTES} byte")
            try:
                self.sink.write_meta(event.name, body, exclusive=True, lock=self._lock(now))
            except ObjectExistsError:
                log.info("audit event %d was written concurrently; retrying", event.seq)
                continue
            except SinkError as exc:
                raise AuditError(f"revisjonsloggen kunne ikke skrives: {exc}") from exc
            self._stamp(event.seq, body, now)
            return event
        raise AuditError(f"revisjonsloggen er opptatt: {APPEND_ATTEMPTS} forsøk på å skrive {kind!r} mislyktes")

    def _stamp(self, seq: int, body: bytes, now: datetime) -> None:
        """Timestamp the new head; a TSA outage is logged and shows up in ``verify``, never loses the event."""
        if self.timestamper is None:
            return
        try:
            token = self.timestamper.stamp(body)
            self.sink.write_meta(event_name(seq, "tsr"), token, exclusive=True, lock=self._lock(now))
        except (TimestampError, SinkError) as exc:
            log.warning("audit event %d has no trusted timestamp: %s", seq, exc)

    # -- reading ---------------------------------------------------------------------------------

    def _names(self) -> tuple[dict[int, str], dict[int, str], list[str]]:
        events: dict[int, str] = {}
        tokens: dict[int, str] = {}
        strays: list[str] = []
        for obj in self.sink.list_meta(AUDIT_DIR):
            match = _NAME.match(obj.path)
            if match is None:
                strays.append(obj.path)
            else:
                (events if match.group(2) == "json" else tokens)[int(match.group(1))] = obj.path
        return events, tokens, strays

    def _read(self, seq: int) -> StoredEvent:
        body = self.sink.read_meta(event_name(seq))
        if body is None:
            raise IntegrityError(f"{event_name(seq)} mangler")
        if len(body) > MAX_EVENT_BYTES:
            raise IntegrityError(f"{event_name(seq)} er større enn {MAX_EVENT_BYTES} byte")
        try:
            event = AuditEvent.model_validate(json.loads(body))  # json.loads: lone surrogates survive
        except (ValueError, RecursionError) as exc:
            raise IntegrityError(f"{event_name(seq)} er ikke en gyldig hendelse: {_first_line(exc)}") from exc
        if event.to_bytes() != body:
            raise IntegrityError(f"{event_name(seq)} er ikke kanonisk JSON (endret etter skriving?)")
        if event.seq != seq:
            raise IntegrityError(f"{event_name(seq)} oppgir nummer {event.seq}")
        return StoredEvent(event, hashlib.sha256(body).hexdigest())

    def head(self) -> StoredEvent | None:
        """The last event (the chain's head), or None for an empty log."""
        events, _, _ = self._names()
        if not events:
            return None
        try:
            return self._read(max(events))
        except IntegrityError as exc:
            raise AuditError(f"revisjonsloggen er skadet og kan ikke utvides: {exc}") from exc

    def events(self) -> tuple[list[StoredEvent], list[Finding]]:
        """The events of the intact chain prefix, in order, and findings for everything wrong."""
        findings: list[Finding] = []
        chain: list[StoredEvent] = []
        try:
            events, tokens, strays = self._names()
        except SinkError as exc:
            return [], [_finding("audit", AUDIT_DIR, f"revisjonsloggen kan ikke listes: {exc}")]
        for stray in strays:
            findings.append(_finding("audit", f"{AUDIT_DIR}/{stray}", "ukjent objekt i revisjonsloggen"))
        expected = list(range(1, max(events, default=0) + 1))
        broken = False
        for seq in expected:
            where = event_name(seq)
            if seq not in events:
                findings.append(_finding("audit", where, "hendelsen mangler (slettet?): kjeden er brutt her"))
                broken = True
                continue
            try:
                stored = self._read(seq)
            except (IntegrityError, SinkError) as exc:
                findings.append(_finding("audit", where, str(exc)))
                broken = True
                continue
            prev = chain[-1].sha256 if chain else None
            if not broken and stored.event.prev != prev:
                findings.append(_finding("audit", where, "hendelsen peker ikke på forrige hendelse: kjeden er brutt"))
                broken = True
                if chain:  # the previous event may be the edited one: trust neither
                    chain.pop()
            if not broken:
                chain.append(stored)
        for seq in sorted(set(tokens) - set(events)):
            findings.append(_finding("audit", tokens[seq], "tidsstempel uten hendelse"))
        return chain, findings

    def verify(self) -> list[Finding]:
        """Check the chain, the versions and locks of every event, and the trusted timestamps."""
        chain, findings = self.events()
        try:
            history = self.sink.meta_history(AUDIT_DIR)
            events, tokens, _ = self._names()
        except SinkError as exc:
            return [*findings, _finding("unreadable", AUDIT_DIR, str(exc))]
        for name, versions in sorted(history.items()):
            if _NAME.match(name):
                findings += self._version_findings(f"{AUDIT_DIR}/{name}", versions)
        if self.timestamper is not None:
            by_seq = {stored.event.seq: stored for stored in chain}
            last = max(events, default=0)
            for seq in sorted(events):
                findings += self._token_findings(seq, by_seq.get(seq), seq in tokens, head=seq == last)
        return findings

    def _version_findings(self, name: str, versions: list[ObjectVersion]) -> list[Finding]:
        if len(versions) > 1 or (versions and versions[0].deleted):
            newest = versions[0]
            what = "en slettemarkør" if newest.deleted else f"{len(versions)} versjoner"
            return [_finding("tampered", name, f"revisjonshendelsen har {what}: den er forsøkt endret eller slettet")]
        if self.sink.worm and versions:
            try:
                lock = self.sink.meta_lock_info(name, versions[0].version_id)
            except SinkError as exc:
                return [_finding("unreadable", name, str(exc))]
            if lock is None:
                return [_finding("unlocked", name, "revisjonshendelsen er ikke låst med Object Lock")]
        return []

    def _token_findings(self, seq: int, stored: StoredEvent | None, has_token: bool, *, head: bool) -> list[Finding]:
        name = event_name(seq, "tsr")
        if not has_token:
            if head:
                return [_finding("timestamp", name, "siste hendelse (hodet) mangler tidsstempel: halen er ubeskyttet")]
            return [_finding("timestamp", name, "hendelsen mangler tidsstempel", severity="warning")]
        if stored is None or self.timestamper is None:
            return []
        token = self.sink.read_meta(name)
        try:
            self.timestamper.check(token or b"", stored.event.to_bytes())
        except IntegrityError as exc:
            return [_finding("timestamp", name, str(exc))]
        return []


def _finding(rule: str, where: str, message: str, severity: Literal["error", "warning"] = "error") -> Finding:
    return Finding(rule=rule, message=message, where=where, severity=severity)


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
