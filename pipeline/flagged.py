"""Which threads an export run takes: the workflow database's flags, paired with captures, plus flags.json.

A database flag is matched to a capture by thread key (``ThreadRef.key`` = the capture's ``thread_key``), by
the key of the capture's URL parsed as an editor's URL (an Instagram shortcode or a LinkedIn URN is the
flag's key, while the capture carries the media id or the numeric activity id), and by URL as pasted. A
flag with no capture, with several captures, or sharing its capture with another flag is refused with a
reason naming it (the others go on). A database flag takes precedence over a ``flags.json`` entry for the
same capture; ``flags.json`` keeps working for captures without a database flag (import format, the demo).

After the run, :func:`record_exports` moves each exported pending or re-flagged flag to ``exported``, and
records a new package version of an exported thread as another ``exported`` step (``set_status_if``: status
history and an audit event ``flag.exported``, under a row lock, so racing runs move a flag once); a flag whose
thread failed stays as it was.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from pipeline.export import ExportResult
from schemas.errors import InputError, SomearkivError, WorkflowError
from schemas.package import thread_key
from schemas.text import escape_unsafe
from schemas.thread import Flag, FlagKind, Thread
from sources.capture import CaptureError, load_thread
from sources.folder import Catalog, FlaggedThread, Refused
from sources.urls import parse_thread_url
from workflow.db import Database
from workflow.flags import FlagView, due_for_export, get_flag, set_status_if
from workflow.models import FlagStatus, User

EXPORT_ACTOR = "system:eksport"
_TO_EXPORT = {FlagStatus.PENDING, FlagStatus.REFLAGGED}


@dataclass(frozen=True)
class ExportSelection:
    """The threads a run exports, the ones it refuses (reported as not exported), and the database flag
    behind each chosen thread (by the capture's thread key)."""

    chosen: list[FlaggedThread]
    refused: list[Refused]
    db_flags: dict[str, FlagView] = field(default_factory=dict)


@dataclass(frozen=True)
class _Capture:
    path: Path
    thread: Thread
    key: str
    url_key: str | None  # the key of the capture's URL as an editor would paste it

    def matches(self, flag: FlagView) -> bool:
        return flag.thread_key in {self.key, self.url_key} or (
            flag.thread_url is not None and flag.thread_url == self.thread.url
        )


def display_names(db: Database, usernames: Iterable[str]) -> dict[str, str]:
    """username → display name from the users table (the Noark saksansvarlig must be a person's name)."""
    wanted = sorted(set(usernames))
    if not wanted:
        return {}
    with db.transaction() as session:
        rows = session.execute(select(User.username, User.display_name).where(User.username.in_(wanted)))
        return {name: shown for name, shown in rows if shown and shown.strip()}


def package_flag(view: FlagView, thread_url: str, names: Mapping[str, str]) -> Flag:
    """A database flag as the package's ``schemas.thread.Flag`` (flagged_by: the editor's display name)."""
    note = "\n".join(text for text in (view.reason, view.note) if text) or None
    return Flag(
        thread_url=thread_url,
        kind=FlagKind(view.kind),
        case_number=view.case_number,
        case_title=view.title,
        flagged_by=names.get(view.flagged_by, view.flagged_by),
        flagged_at=view.flagged_at,
        note=note,
    )


def _url_key(url: str) -> str | None:
    try:
        return parse_thread_url(url).key
    except SomearkivError:
        return None


def _captures(catalog: Catalog) -> list[_Capture]:
    parsed = [(item.path, item.thread) for item in catalog.flagged]
    for path in catalog.unflagged:
        try:
            parsed.append((path, load_thread(path).model_copy(update={"comments": []})))  # pairing needs the header
        except CaptureError:  # read once already by the catalog; a file changed since is simply skipped
            continue
    return [_Capture(path, thread, thread_key(thread.platform, thread.thread_id), _url_key(thread.url))
            for path, thread in sorted(parsed, key=lambda pair: pair[0].name)]


def _refusal(flag: FlagView, reason: str) -> Refused:
    return Refused(key=flag.thread_key, thread_id=flag.post_id, reason=f"flagg #{flag.id}: {reason}")


def pair_flags(
    catalog: Catalog, flags: Sequence[FlagView], names: Mapping[str, str]
) -> ExportSelection:
    """Every flagged thread of the run: database flags paired with captures, then the catalog's own."""
    if not flags:  # nothing to pair: the unflagged captures need not be read again
        return ExportSelection(chosen=list(catalog.flagged), refused=list(catalog.refused))
    captures = _captures(catalog)
    hits: dict[int, list[_Capture]] = {flag.id: [c for c in captures if c.matches(flag)] for flag in flags}
    by_capture: dict[Path, list[FlagView]] = defaultdict(list)
    for flag in flags:
        for capture in hits[flag.id]:
            by_capture[capture.path].append(flag)
    chosen: list[FlaggedThread] = []
    refused: list[Refused] = []
    db_flags: dict[str, FlagView] = {}
    claimed: set[Path] = set()
    for flag in flags:
        found = hits[flag.id]
        claimed |= {c.path for c in found}
        if not found:
            refused.append(_refusal(flag, f"ingen innsamling av tråden i {catalog.root}/threads; ikke eksportert "
                                          "(prøves igjen ved neste kjøring)"))
        elif len(found) > 1:
            files = ", ".join(c.path.name for c in found)
            refused.append(_refusal(flag, f"flere innsamlinger passer ({files}); ingen av dem eksporteres"))
        elif len(rivals := by_capture[found[0].path]) > 1:
            others = " og ".join(f"#{r.id} ({r.thread_key})" for r in rivals)
            refused.append(_refusal(flag, f"innsamlingen {found[0].path.name} passer til flere flagg: {others}; "
                                          "rett flaggene, tråden eksporteres ikke"))
        else:
            capture = found[0]
            chosen.append(FlaggedThread(path=capture.path, flag=package_flag(flag, capture.thread.url, names),
                                        key=capture.key, thread=capture.thread))
            db_flags[capture.key] = flag
    claimed_keys = {c.key for c in captures if c.path in claimed}
    chosen += [item for item in catalog.flagged if item.path not in claimed]
    refused += [r for r in catalog.refused if r.key not in claimed_keys]
    return ExportSelection(chosen=chosen, refused=refused, db_flags=db_flags)


def narrow(selection: ExportSelection, keys: list[str] | None, root: Path) -> ExportSelection:
    """Only the threads named in ``keys`` (capture key, thread id or the flag's thread key); all when None.

    A name that matches nothing is an InputError naming it.
    """
    if not keys:
        return selection
    wanted = set(keys)
    flag_key = {key: flag.thread_key for key, flag in selection.db_flags.items()}
    chosen = [item for item in selection.chosen
              if {item.key, item.thread_id, flag_key.get(item.key)} & wanted]
    refused = [r for r in selection.refused if {r.key, r.thread_id} & wanted]
    known = {name for item in chosen for name in (item.key, item.thread_id, flag_key.get(item.key))}
    known |= {name for r in refused for name in (r.key, r.thread_id)}
    missing = sorted(escape_unsafe(k) for k in wanted - known)
    if missing:
        raise InputError(f"{root}: ingen flagget tråd med nøkkel/id {', '.join(missing)}")
    keep = {item.key for item in chosen}
    return ExportSelection(chosen, refused, {k: v for k, v in selection.db_flags.items() if k in keep})


def select_for_export(
    catalog: Catalog, db: Database | None, today: date, keys: list[str] | None = None
) -> ExportSelection:
    """What a run exports: the database's due flags (``due_for_export``) and flags.json, narrowed to ``keys``."""
    flags = due_for_export(db, today) if db is not None else []
    names = display_names(db, (f.flagged_by for f in flags)) if db is not None else {}
    return narrow(pair_flags(catalog, flags, names), keys, catalog.root)


def record_exports(
    db: Database, selection: ExportSelection, results: Sequence[ExportResult]
) -> list[tuple[str, str]]:
    """Mark the database flags of the exported threads ``exported`` (status history + audit event): a pending or
    re-flagged flag once, an exported flag again when a new package version was written. Returns (thread key,
    error) for flags that could not be updated (the package is in the bucket either way)."""
    problems: list[tuple[str, str]] = []
    for result in results:
        flag = selection.db_flags.get(result.thread_key)
        if flag is None:
            continue
        written = result.status == "written"
        when = {*_TO_EXPORT, FlagStatus.EXPORTED} if written and flag.status == FlagStatus.EXPORTED else _TO_EXPORT
        comment = f"pakke {result.package_id} ({'ny versjon' if written else 'uendret, finnes fra før'})"
        try:
            moved = set_status_if(db, flag.id, FlagStatus.EXPORTED, when=when, by=EXPORT_ACTOR, comment=comment)
            if moved is None and get_flag(db, flag.id).status != FlagStatus.EXPORTED.value:
                raise WorkflowError(f"flagget er {get_flag(db, flag.id).status} nå")
        except SomearkivError as exc:
            problems.append((result.thread_key, f"pakken er lagret, men flagg #{flag.id} ble ikke oppdatert: {exc}"))
    return problems
