"""The start page: what needs doing for each of my roles, and charts drawn on the server as SVG."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from schemas.thread import PLATFORM_LABELS, Platform
from web.auth import Person
from web.candidates_view import CandidateScores, candidates
from web.charts import COMPLETENESS_SERIES, PLATFORM_SERIES, SINGLE_SERIES, STATUS_SERIES, stacked_bars
from web.kit import Deps
from workflow.accounts import list_accounts
from workflow.crisis import list_crises
from workflow.flags import FlagFilter, list_flags
from workflow.models import FlagStatus, Role
from workflow.packages import PackageFilter, query_packages
from workflow.stats import completeness_by_platform, open_flags_by_unit, packages_per_week
from workflow.users import list_users

WEEKS = 12


@dataclass
class Chart:
    id: str
    title: str
    svg: str
    table: list[tuple[str, dict[str, int]]]
    columns: list[tuple[str, str]]  # (key, label)


@dataclass
class Overview:
    todo: list[tuple[str, str]] = field(default_factory=list)  # (text, link)
    flag_counts: dict[str, int] = field(default_factory=dict)
    charts: list[Chart] = field(default_factory=list)


def _chart(chart_id: str, title: str, bars: list[tuple[str, dict[str, int]]],
           series: list[tuple[str, str, str]]) -> Chart:
    used = [(key, label, colour) for key, label, colour in series if any(values.get(key) for _, values in bars)]
    return Chart(chart_id, title, stacked_bars(title, bars, series=used or series, chart_id=chart_id), bars,
                 [(key, label) for key, label, _ in used])


def _platform_label(value: str) -> str:
    try:
        return PLATFORM_LABELS.get(Platform(value), value)
    except ValueError:
        return value


def _anchor(deps: Deps, units: tuple[str, ...] | None) -> date:
    """The week the charts end in: this week, or the newest package's week when nothing came since."""
    newest = query_packages(deps.db, PackageFilter(units=units), page=1, page_size=1).rows
    today = datetime.now(UTC).date()
    if newest and newest[0].exported_at.date() < today - timedelta(weeks=WEEKS):
        return newest[0].exported_at.date()
    return today


def overview(deps: Deps, who: Person, units: tuple[str, ...] | None, scores: CandidateScores) -> Overview:
    view = Overview()
    if who.has(Role.EDITOR) or who.has(Role.ADMIN):
        mine = list_flags(deps.db, FlagFilter(flagged_by=who.username, limit=1000))
        view.flag_counts = dict(Counter(f.status for f in mine))
        rejected = view.flag_counts.get(FlagStatus.REJECTED.value, 0)
        if rejected:
            what = "flagg er" if rejected == 1 else "av flaggene dine er"
            view.todo.append((f"{rejected} {what} avvist av arkivet: se kommentaren", "/flagg"))
        found = len(candidates(deps.db, scores, units))
        if found:
            view.todo.append((f"{found} {'kandidat' if found == 1 else 'kandidater'} til flagging venter på deg",
                              "/kandidater"))
    if who.can_review:
        counts = query_packages(deps.db, PackageFilter(), page=1, page_size=1).counts
        if counts.get("pending"):
            view.todo.append((f"{counts['pending']} pakker venter på gjennomgang", "/gjennomgang?status=pending"))
        view.todo.append(("Lag et arkivuttrekk for en periode", "/uttrekk"))
    if who.has(Role.ADMIN):
        users = list_users(deps.db)
        no_unit = [u for u in users if u.active and "editor" in u.roles and not u.unit]
        if no_unit:
            view.todo.append((f"{len(no_unit)} redaktører mangler enhet", "/admin/brukere"))
        if not list_accounts(deps.db):
            view.todo.append(("Ingen av kommunens kontoer er registrert", "/admin/kontoer"))
        ongoing = [c for c in list_crises(deps.db) if c.ends_at is None or c.ends_at > datetime.now(UTC)]
        if ongoing:
            view.todo.append((f"{len(ongoing)} kriseperioder pågår", "/admin/krise"))
    view.charts = charts(deps, units)
    return view


def charts(deps: Deps, units: tuple[str, ...] | None) -> list[Chart]:
    weeks = packages_per_week(deps.db, weeks=WEEKS, today=_anchor(deps, units), units=units)
    by_platform: list[tuple[str, dict[str, int]]] = []
    by_status: list[tuple[str, dict[str, int]]] = []
    for monday, counts in weeks.items():
        label = f"uke {monday.isocalendar().week} ({monday:%d.%m.%y})"
        platforms: dict[str, int] = defaultdict(int)
        statuses: dict[str, int] = defaultdict(int)
        for (platform, status), n in counts.items():
            platforms[platform] += n
            statuses[status] += n
        by_platform.append((label, dict(platforms)))
        by_status.append((label, dict(statuses)))
    series = [(key, PLATFORM_LABELS.get(Platform(key), key), colour) for key, _, colour in PLATFORM_SERIES]
    result = [
        _chart("uker-plattform", f"Pakker per uke og plattform, siste {WEEKS} uker", by_platform, series),
        _chart("uker-status", f"Pakker per uke og status, siste {WEEKS} uker", by_status, STATUS_SERIES),
    ]
    flags = open_flags_by_unit(deps.db, units)
    if flags:
        result.append(_chart("flagg-enhet", "Åpne flagg per enhet", [(unit, {"count": n}) for unit, n in
                                                                    flags.items()],
                             [(k, "åpne flagg", c) for k, _, c in SINGLE_SERIES]))
    complete = completeness_by_platform(deps.db, units)
    if complete:
        bars = [(_platform_label(p), dict(counts)) for p, counts in complete.items()]
        result.append(_chart("innsamling", "Fullstendig innsamling per plattform", bars, COMPLETENESS_SERIES))
    return result
