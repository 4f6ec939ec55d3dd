"""The append-only, hash-chained audit log: who did what, when and why.

Each event stores the SHA-256 of the previous event (``prev_hash``) and its own hash over a canonical JSON
of (seq, at, actor, action, entity, data, prev_hash); the first event's ``prev_hash`` is 64 zeros. Appenders
take the one ``audit_head`` row with ``UPDATE … RETURNING`` (a row lock on PostgreSQL, the write lock on
SQLite), so the chain never forks. Database triggers refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL) of
``audit_events``. :func:`verify_audit` re-walks the chain and returns findings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from schemas.findings import Finding
from workflow.models import AuditEvent, AuditHead, now, utc

GENESIS = "0" * 64


def canonical_json(data: Mapping[str, Any]) -> str:
    """Deterministic JSON: sorted keys, no spaces, ASCII only (lone surrogates survive as escapes)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"), default=str)


def event_hash(seq: int, at: datetime, actor: str, action: str, entity: str, data: str, prev_hash: str) -> str:
    body = canonical_json({
        "seq": seq,
        "at": utc(at).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "entity": entity,
        "data": json.loads(data),
        "prev_hash": prev_hash,
    })
    return hashlib.sha256(body.encode("ascii")).hexdigest()


def append(session: Session, *, actor: str, action: str, entity: str, data: Mapping[str, Any]) -> AuditEvent:
    """Append one event in ``session``'s transaction (it commits or rolls back with the change it records)."""
    step = update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
    seq, prev = session.execute(step.returning(AuditHead.seq, AuditHead.hash)).one()
    at = now()
    payload = canonical_json(data)
    digest = event_hash(seq, at, actor, action, entity, payload, prev)
    event = AuditEvent(seq=seq, at=at, actor=actor, action=action, entity=entity, data=payload,
                       prev_hash=prev, hash=digest)
    session.add(event)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=digest))
    session.flush()
    return event


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """An audit event as read back (for listing in the CLI, the API and the web app)."""

    seq: int
    at: datetime
    actor: str
    action: str
    entity: str
    data: dict[str, Any]


def events(session: Session, *, entity: str | None = None, limit: int = 1000) -> list[AuditRecord]:
    query = select(AuditEvent).order_by(AuditEvent.seq)
    if entity is not None:
        query = query.where(AuditEvent.entity == entity)
    return [
        AuditRecord(seq=e.seq, at=utc(e.at), actor=e.actor, action=e.action, entity=e.entity, data=json.loads(e.data))
        for e in session.scalars(query.limit(limit))
    ]


def verify_audit(session: Session, *, batch: int = 1000) -> list[Finding]:
    """Walk the whole chain: numbering without gaps, each link and hash intact, the head on the last event."""
    findings: list[Finding] = []
    expected_seq, prev = 1, GENESIS
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq >= last + 1).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            break
        for e in rows:
            where = f"revisjonslogg #{e.seq}"
            if e.seq != expected_seq:
                findings.append(Finding("audit-hull", f"hendelse {expected_seq}–{e.seq - 1} mangler", where))
            if e.prev_hash != prev:
                findings.append(Finding("audit-kjede", "forrige-hash stemmer ikke med hendelsen før", where))
            try:
                digest = event_hash(e.seq, e.at, e.actor, e.action, e.entity, e.data, e.prev_hash)
            except ValueError:
                digest = ""
            if digest != e.hash:
                findings.append(Finding("audit-hash", "innholdet stemmer ikke med hashen (endret i ettertid)", where))
            expected_seq, prev, last = e.seq + 1, e.hash, e.seq
    head = session.get(AuditHead, 1)
    if head is None:
        findings.append(Finding("audit-hode", "raden audit_head mangler", "revisjonslogg"))
    elif (head.seq, head.hash) != (last, prev):
        findings.append(Finding(
            "audit-hode", f"siste hendelse er #{last}, men hodet peker på #{head.seq} (hendelser fjernet?)",
            "revisjonslogg",
        ))
    return findings
