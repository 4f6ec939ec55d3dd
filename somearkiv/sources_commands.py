"""What ``somearkiv import`` and ``somearkiv capture`` do, apart from the typer wiring in ``somearkiv.cli``.

Both return the lines to print and whether something went wrong for one item (exit 1); operational errors
(a missing file, a bad URL, no accounts registry) are raised as ``SomearkivError`` (one line, exit 2).
Everything printed that came from an input goes through :func:`shown`: control characters, lone surrogates
and bidirectional overrides become visible escapes, so a file name cannot rewrite the terminal line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from schemas.errors import ConfigError, InputError
from schemas.refs import ThreadRef
from schemas.text import escape_label, escape_unsafe
from schemas.thread import Account

if TYPE_CHECKING:
    from workflow.db import Database

MAX_SHOWN = 300
# Bidirectional controls and other invisible formatting that could reorder or hide what a terminal shows.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def shown(text: str) -> str:
    """``text`` safe for one terminal line: escaped, newlines flattened, at most ``MAX_SHOWN`` characters."""
    flat = " ".join(text.split("\n"))
    cut = flat if len(flat) <= MAX_SHOWN else flat[:MAX_SHOWN] + "…"
    return _INVISIBLE.sub(lambda m: escape_label(m.group()), escape_unsafe(cut))


@dataclass
class CommandResult:
    lines: list[str] = field(default_factory=list)
    problems: bool = False


def _account(db: Database | None, key: str | None) -> Account | None:
    """The registry account ``key`` (from the workflow database) the imported threads belong to."""
    if key is None:
        return None
    from workflow.accounts import account_records

    if db is None:
        raise ConfigError("--account krever arbeidsflytdatabasen (somearkiv db upgrade)")
    record = next((r for r in account_records(db) if r.key == key), None)
    if record is None:
        raise InputError(f"--account {shown(key)!r}: finnes ikke i kontoregisteret")
    return Account(id=record.api_id, name=record.name, url=record.url, owning_unit=record.owning_unit)


def account_lines(db: Database, default_arkivdel: str) -> list[str]:
    """``somearkiv account list``: one line per account (what it lacks, editors who are no users)."""
    from workflow.accounts import account_records

    records = account_records(db)
    lines = []
    for r in records:
        target = f"{r.noark_arkivdel}" + (f" / {r.noark_series}" if r.noark_series else "") if r.noark_arkivdel \
            else f"{default_arkivdel} (innstilling)"
        ident = r.handle if r.platform_id in (None, r.handle) else f"{r.handle} (id {r.platform_id})"
        editors = ", ".join(f"{e} (ukjent bruker)" if e in r.unknown_editors else e for e in r.editors) or "–"
        line = (f"{r.key}: {r.platform}/{ident} «{r.name}», {r.owning_unit}; redaktører: {editors}; "
                f"nøkkel: {r.credentials_ref or '–'}; arkivdel: {target}" + ("" if r.active else "; inaktiv"))
        missing = r.missing()
        if missing:
            line += f"; MANGLER {', '.join(missing)}"
        lines.append(shown(line))
    return lines or ["Ingen kontoer registrert. Bruk «somearkiv account import FIL»."]


def run_import(path: Path, out: Path, *, account_key: str | None = None,
               db: Database | None = None) -> CommandResult:
    """Import platform exports (a file, a folder or a zip) into the capture folder ``out``."""
    from schemas.package import thread_key
    from sources.imports import import_path, write_threads

    if not path.exists() and not path.is_symlink():
        raise InputError(f"{shown(str(path))}: finnes ikke")
    report = import_path(path, _account(db, account_key))
    broken = len(report.skipped)  # files that could not be read (duplicates below are not a problem)
    seen: set[str] = set()
    unique = []
    for thread in report.threads:  # the same thread twice in one export: the first one counts
        key = thread_key(thread.platform, thread.thread_id)
        if key in seen:
            report.skipped.append((f"{key}", "samme tråd står flere ganger i eksporten; bare den første er tatt med"))
            continue
        seen.add(key)
        unique.append(thread)
    report.threads = unique
    written = write_threads(report, out)
    result = CommandResult()
    result.lines.append(shown(report.summary().splitlines()[0]))
    folder = out / "threads"
    result.lines.append(f"Skrev {len(written)} tråd(er) til {shown(str(folder))}" + (":" if written else "."))
    result.lines += [f"  {shown(p.name)}" for p in written]
    result.lines += [f"Hoppet over {shown(name)}: {shown(reason)}" for name, reason in report.skipped]
    result.lines += [shown(note) for note in report.notes]
    result.problems = broken > 0
    return result


def refs_from_urls(urls: list[str]) -> list[ThreadRef]:
    """Parse every URL first: one bad URL stops the command before anything is fetched."""
    from sources.urls import parse_thread_url

    return [parse_thread_url(url) for url in urls]


def capture_lines(outcomes: list[dict[str, object]]) -> CommandResult:
    """One line per thread: captured (comments, removed, edited), gone, or failed with the reason."""
    result = CommandResult()
    for outcome in outcomes:
        key = shown(str(outcome.get("key", "?")))
        status = outcome.get("status")
        if status == "captured":
            line = (f"{key}: hentet, {outcome.get('comments', 0)} kommentarer, {outcome.get('removed', 0)} borte, "
                    f"{outcome.get('edited', 0)} endret")
            if outcome.get("unchanged"):
                line += " (uendret: ingen ny versjon, hentingen er ført i observasjonsloggen)"
            if outcome.get("partial_errors"):
                line += f", {outcome['partial_errors']} delvise feil fra plattformen"
            result.lines.append(line)
        elif status == "gone":
            result.lines.append(f"{key}: innlegget finnes ikke lenger på plattformen (merket som borte)")
        else:
            message = str(outcome.get("message") or "ukjent feil").splitlines()[0]
            result.lines.append(f"{key}: FEILET {shown(message)}")
            result.problems = True
    if not outcomes:
        result.lines.append("Ingen tråder å hente.")
    return result
