"""The privacy screening of a package as the package page shows it, and the archivist's decisions on it.

Rows name the item, the kind, the rule and a masked context (``privacy.review.masked_context``): never the
matched text. Decisions are kept as a ``privacy.review.ReviewRecord`` in the bucket beside the package
(side record ``_screening/<package id>.json``; the package itself and its fixity are untouched) and as a
workflow audit event; the redacted variant follows them in the next package version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from threading import Lock

from privacy.review import (
    DECISION_LABELS,
    Decision,
    ReviewRecord,
    decide,
    masked_context,
    new_record,
    review_rows,
)
from schemas.errors import InputError, SomearkivError
from schemas.screening import SCREENING_FILE, ScreeningResult
from schemas.thread import Thread
from storage.base import Sink
from workflow import audit
from workflow.db import Database
from workflow.text import clean_text

SCREENING_DIR = "_screening"
CAPTURE_PATH = "capture/thread.json"
REDACTED_ROLE = "skjermet"
_LOCKS: dict[str, Lock] = {}
_LOCKS_GUARD = Lock()


def _package_lock(package_id: str) -> Lock:
    """One lock per package: two archivists deciding at once never lose each other's decision (in this
    process; run one app process per bucket)."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(package_id, Lock())


@dataclass(frozen=True)
class HitRow:
    number: int
    key: str
    item_id: str
    field: str
    kind: str
    rule: str
    status: str
    context: str


@dataclass
class ScreeningView:
    """What the page shows about the screening (``present`` False: the package has no screening.json)."""

    present: bool = False
    rows: list[HitRow] = field(default_factory=list)
    restricted: list[tuple[str, str]] = field(default_factory=list)  # (item id, reason)
    rules_version: str = ""
    problem: str | None = None  # the screening could not be read (shown, never fatal)

    @property
    def skjermet(self) -> bool:
        return bool(self.rows or self.restricted)

    @property
    def undecided(self) -> int:
        return sum(1 for r in self.rows if r.status == "ubehandlet")


def load_thread(folder: Path) -> Thread | None:
    path = folder / CAPTURE_PATH
    return Thread.model_validate_json(path.read_bytes()) if path.is_file() else None


def load_result(folder: Path) -> ScreeningResult | None:
    path = folder / SCREENING_FILE
    return ScreeningResult.from_bytes(path.read_bytes()) if path.is_file() else None


def read_record(sink: Sink, package_id: str, result: ScreeningResult) -> ReviewRecord:
    raw = sink.read_record(SCREENING_DIR, f"{package_id}.json")
    if raw is None:
        return new_record(package_id, result)
    return ReviewRecord.model_validate_json(raw)


def screening_view(sink: Sink, package_id: str, folder: Path, thread: Thread | None, *,
                   show_restricted_context: bool) -> ScreeningView:
    """The hit list; for a role without access the context of a hit in a restricted item is not shown."""
    try:
        result = load_result(folder)
        if result is None:
            return ScreeningView()
        record = read_record(sink, package_id, result)
    except (SomearkivError, ValueError) as exc:
        return ScreeningView(present=True, problem=f"screeningen kunne ikke leses ({type(exc).__name__})")
    view = ScreeningView(present=True, rules_version=result.rules_version,
                         restricted=[(r.item_id, r.reason) for r in result.restricted])
    restricted = result.restricted_ids
    rows = review_rows(result, record)
    for row, hit in zip(rows, result.hits, strict=True):
        if thread is None:
            context = "(tråden mangler i pakken)"
        elif hit.item_id in restricted and not show_restricted_context:
            context = "[skjermet innlegg]"
        else:
            try:
                context = masked_context(thread, result, hit)
            except InputError:
                context = "(treffet passer ikke til tråden)"
        view.rows.append(HitRow(row.number, row.key, row.item_id, row.field, row.kind, row.rule, row.status,
                                context))
    return view


def record_hit_decision(db: Database, sink: Sink, package_id: str, folder: Path, *, hit: str, decision: str,
                        by: str, comment: str | None) -> str:
    """Confirm or clear one hit (by number or key); returns a message for the page.

    The audit event and the side record are written together: the event is appended in an open
    transaction, the record written, then the transaction commits (a failed write leaves neither).
    The same decision twice on one hit is reported, not recorded again.
    """
    try:
        chosen = Decision(decision)
    except ValueError:
        raise InputError("ukjent beslutning: bruk bekreft eller avkreft") from None
    note = clean_text(comment, "kommentar", limit=2000) if comment else None
    result = load_result(folder)
    if result is None:
        raise InputError(f"pakke {package_id} har ingen screening")
    ref = hit.strip()
    if not ref or len(ref) > 400:
        raise InputError("ugyldig treff")
    with _package_lock(package_id):
        return _decide_and_store(db, sink, package_id, result, ref, chosen, by, note)


def _decide_and_store(db: Database, sink: Sink, package_id: str, result: ScreeningResult, ref: str,
                      chosen: Decision, by: str, note: str | None) -> str:
    record = read_record(sink, package_id, result)
    updated = decide(record, result, [ref], chosen, by=by, at=datetime.now(UTC), comment=note or None)
    made = updated.decisions[-1]
    number = next(n for n, h in enumerate(result.hits, start=1) if h.key == made.hit_key)
    if record.current().get(made.hit_key) == chosen:
        return f"Treff {number} var allerede {DECISION_LABELS[chosen]}."
    hit_obj = result.hits[number - 1]
    with db.transaction() as session:
        audit.append(session, actor=by, action=f"screening.{chosen.value}", entity=f"package:{package_id}",
                     data={"hit": made.hit_key, "kind": hit_obj.kind.value, "rule": hit_obj.rule,
                           "rules_version": result.rules_version, "comment": note or None})
        sink.write_record(SCREENING_DIR, f"{package_id}.json", (updated.model_dump_json(indent=1) + "\n").encode())
    return (f"Treff {number} er {DECISION_LABELS[chosen]}. Beslutningen gjelder fra neste versjon av pakken "
            "(den skjermede varianten lages da på nytt).")
