"""The archivist's review of screening hits, as data: list the hits, confirm or clear each one.

Functions only; the CLI (``somearkiv screening PACKAGE_ID``), the audit log and the new package version are
wired by the caller. Nothing here returns the matched text: a row names the item, the field, the range and
the kind, and ``masked_context`` shows the words around a hit with every hit in view masked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from privacy.redact import redact_thread
from privacy.screen import item_texts
from schemas.errors import InputError
from schemas.screening import Hit, ScreeningResult
from schemas.thread import Thread


class Decision(StrEnum):
    CONFIRM = "confirm"  # bekreftet: stays skjermet
    CLEAR = "clear"  # avkreftet: not personal data, shown in the redacted variant


DECISION_LABELS = {Decision.CONFIRM: "bekreftet", Decision.CLEAR: "avkreftet"}
PENDING_LABEL = "ubehandlet"


class HitDecision(BaseModel):
    """One decision on one hit (by its key); the newest decision on a key counts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hit_key: str = Field(min_length=1, max_length=400)
    decision: Decision
    decided_by: str = Field(min_length=1, max_length=200)
    decided_at: AwareDatetime
    comment: str | None = Field(default=None, max_length=2000)


class ReviewRecord(BaseModel):
    """Every decision on a package's hits, oldest first (stored beside the package by the caller)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    package_id: str = Field(min_length=1)
    rules_version: str = Field(min_length=1)
    decisions: tuple[HitDecision, ...] = ()

    def current(self) -> dict[str, Decision]:
        """The decision in force per hit key."""
        return {d.hit_key: d.decision for d in self.decisions}

    def cleared(self) -> frozenset[str]:
        return frozenset(key for key, decision in self.current().items() if decision == Decision.CLEAR)


@dataclass(frozen=True)
class ReviewRow:
    """One line of the review list: where, what, which rule, and the decision so far; never the text."""

    number: int
    key: str
    item_id: str
    field: str
    start: int
    end: int
    kind: str
    rule: str
    status: str

    def line(self) -> str:
        return (
            f"{self.number:>4}  {self.status:<10}  {self.kind:<22}  {self.item_id}/{self.field}"
            f"[{self.start}:{self.end}]  {self.rule}"
        )


def new_record(package_id: str, result: ScreeningResult) -> ReviewRecord:
    return ReviewRecord(package_id=package_id, rules_version=result.rules_version)


def review_rows(result: ScreeningResult, record: ReviewRecord) -> list[ReviewRow]:
    """The hits numbered from 1, in the result's order, with their status."""
    current = record.current()
    return [
        ReviewRow(
            number=n,
            key=hit.key,
            item_id=hit.item_id,
            field=hit.field,
            start=hit.start,
            end=hit.end,
            kind=hit.label,
            rule=hit.rule,
            status=DECISION_LABELS[current[hit.key]] if hit.key in current else PENDING_LABEL,
        )
        for n, hit in enumerate(result.hits, start=1)
    ]


def _resolve(result: ScreeningResult, ref: str | int) -> Hit:
    """A hit by its number in the list (1-based) or by its key."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        index = int(ref)
        if not 1 <= index <= len(result.hits):
            raise InputError(f"treff nr. {index} finnes ikke (listen har {len(result.hits)} treff)")
        return result.hits[index - 1]
    for hit in result.hits:
        if hit.key == ref:
            return hit
    raise InputError("treffet finnes ikke i screeningen av denne pakken (nøkkelen er ukjent)")


def decide(
    record: ReviewRecord,
    result: ScreeningResult,
    refs: Iterable[str | int],
    decision: Decision,
    *,
    by: str,
    at: datetime,
    comment: str | None = None,
) -> ReviewRecord:
    """A new record with ``decision`` on every hit in ``refs`` (numbers or keys); unknown refs raise InputError
    before anything is recorded."""
    if result.rules_version != record.rules_version:
        raise InputError(
            f"pakke {record.package_id}: beslutningene gjelder regler {record.rules_version}, "
            f"screeningen er {result.rules_version}"
        )
    hits = [_resolve(result, ref) for ref in refs]
    if not hits:
        raise InputError("ingen treff er valgt")
    added = tuple(
        HitDecision(hit_key=hit.key, decision=decision, decided_by=by, decided_at=at, comment=comment) for hit in hits
    )
    return record.model_copy(update={"decisions": record.decisions + added})


def pending(result: ScreeningResult, record: ReviewRecord) -> list[Hit]:
    current = record.current()
    return [hit for hit in result.hits if hit.key not in current]


def redacted_after_review(thread: Thread, result: ScreeningResult, record: ReviewRecord) -> Thread:
    """The redacted variant with the cleared hits left in (a decision re-renders this as a new version)."""
    return redact_thread(thread, result, cleared=record.cleared())


def masked_context(thread: Thread, result: ScreeningResult, hit: Hit, width: int = 40) -> str:
    """Up to ``width`` characters either side of ``hit``, with this and every other hit in view masked as
    ``[kind]``: what the archivist sees in a list, without the personal data itself."""
    texts = {(item.id, name): text for item in thread.all_items() for name, text in item_texts(item)}
    if thread.title:
        texts[(thread.post.id, "title")] = thread.title
    text = texts.get((hit.item_id, hit.field))
    if text is None or hit.end > len(text):
        raise InputError(f"treffet {hit.describe()} passer ikke til tråden (screeningen er utdatert)")
    lo, hi = max(0, hit.start - width), min(len(text), hit.end + width)
    spans = sorted(
        (max(h.start, lo), min(h.end, hi), h.label)
        for h in result.hits
        if h.item_id == hit.item_id and h.field == hit.field and h.start < hi and h.end > lo
    )
    out, cursor = [], lo
    for start, end, label in spans:
        if start < cursor:
            cursor = max(cursor, end)
            continue
        out += [text[cursor:start], f"[{label}]"]
        cursor = end
    out.append(text[cursor:hi])
    snippet = " ".join("".join(out).split())
    return ("…" if lo > 0 else "") + snippet + ("…" if hi < len(text) else "")
