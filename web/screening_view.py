"""The privacy screening of a package as the package page shows it, and the archivist's decisions on it.

Rows name the item, the kind, the rule and a masked context (``privacy.review.masked_context``): never the
matched text. A decision makes a new package version at once (``pipeline.rerender``): the redacted variant is
re-rendered from the stored package, the review record (``_screening/<package id>.json``, beside the package)
is carried over to the new version, and the audit log names who decided what and the new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.rerender import DecisionOutcome, RerenderConfig, apply_decision, read_record
from privacy.review import masked_context, review_rows
from schemas.errors import InputError, SomearkivError
from schemas.screening import SCREENING_FILE, ScreeningResult
from schemas.thread import Thread
from storage.base import Sink
from workflow.db import Database

CAPTURE_PATH = "capture/thread.json"
REDACTED_ROLE = "skjermet"


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


def record_hit_decision(db: Database, sink: Sink, package_id: str, *, hit: str, decision: str, by: str,
                        comment: str | None, config: RerenderConfig | None) -> DecisionOutcome:
    """Confirm or clear one hit (by number or key): a new package version with the redacted variant re-rendered
    (``pipeline.rerender.apply_decision``; a thread renders in well under a second, so the request waits)."""
    return apply_decision(db, sink, package_id, hit=hit, decision=decision, by=by, comment=comment, config=config)
