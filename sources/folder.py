"""The capture catalog: a folder of captured threads plus the editors' flags.

Layout (the bundled ``samples/`` uses it, and so can any folder of captures)::

    threads/*.json   one canonical capture per thread (schemas.capture)
    flags.json       a JSON list of Flag, matched to threads by URL
    media/           files that Media.path values are relative to

Each capture is parsed and validated here; with ``keep_comments=False`` (the batched export) only the
headers are kept and each build worker parses its own capture again, so the run's memory stays flat. Bad
input is reported per item and the rest goes on: an unreadable capture is ``broken`` (named by file), a
flagged thread that can't be exported as flagged is ``refused`` (two flags for it, two captures of it, a bad
flag entry naming it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from schemas.errors import InputError
from schemas.package import thread_key
from schemas.text import escape_unsafe
from schemas.thread import Flag, Thread
from sources.capture import CaptureError, FlagEntry, load_flags, load_thread


@dataclass(frozen=True)
class FlaggedThread:
    """A captured thread an editor flagged for the archive, parsed once when the catalog was read."""

    path: Path
    flag: Flag
    key: str
    thread: Thread

    @property
    def thread_id(self) -> str:
        return self.thread.thread_id


@dataclass(frozen=True)
class Refused:
    """A flagged thread (or a flag) the catalog will not export, with the reason naming what clashes."""

    key: str
    thread_id: str | None
    reason: str


@dataclass(frozen=True)
class Catalog:
    root: Path
    flagged: list[FlaggedThread]
    unflagged: list[Path]
    broken: list[tuple[Path, str]]  # captures that could not be read, with the error naming the field
    refused: list[Refused]

    @property
    def media_dir(self) -> Path | None:
        """``root/media``; None when it leads out of ``root`` (a symlink): no media is read from there."""
        media = self.root / "media"
        return media if media.resolve().is_relative_to(self.root.resolve()) else None

    def select(self, keys: list[str] | None) -> tuple[list[FlaggedThread], list[Refused]]:
        """The flagged and refused threads whose key or thread id is in ``keys`` (all when None).

        A name that matches no flagged thread is an InputError naming it.
        """
        if not keys:
            return list(self.flagged), list(self.refused)
        wanted = set(keys)
        chosen = [f for f in self.flagged if f.key in wanted or f.thread_id in wanted]
        refused = [r for r in self.refused if r.key in wanted or r.thread_id in wanted]
        known = {f.key for f in chosen} | {f.thread_id for f in chosen}
        known |= {r.key for r in refused} | {r.thread_id for r in refused if r.thread_id}
        missing = sorted(escape_unsafe(k) for k in wanted - known)
        if missing:
            raise InputError(f"{self.root}: ingen flagget tråd med nøkkel/id {', '.join(missing)}")
        return chosen, refused


def _flags_by_url(entries: list[FlagEntry], source: str) -> tuple[dict[str, FlagEntry], dict[str, str], list[str]]:
    """Flags by URL, the URLs that can't be exported as flagged (with the reason), and unusable entries."""
    by_url: dict[str, list[FlagEntry]] = defaultdict(list)
    loose: list[str] = []
    for entry in entries:
        if entry.thread_url is None:
            loose.append(entry.error or f"{source}[{entry.index}]: mangler thread_url")
        else:
            by_url[entry.thread_url].append(entry)
    flags: dict[str, FlagEntry] = {}
    bad: dict[str, str] = {}
    for url, group in by_url.items():
        errors = [e.error for e in group if e.error]
        if errors:
            bad[url] = "; ".join(errors)
        elif len(group) > 1:
            bad[url] = (f"{source}: {len(group)} flagg for samme tråd ({escape_unsafe(url)}): "
                        f"{' og '.join(e.describe() for e in group)}; rett flaggfila, tråden eksporteres ikke")
        else:
            flags[url] = group[0]
    return flags, bad, loose


def load_catalog(root: Path, *, keep_comments: bool = True) -> Catalog:
    """Read ``root``, parse every capture once and pair each thread with its flag.

    ``keep_comments=False`` keeps each thread's header only (post, account, URL: what pairing needs) and drops
    its comments as soon as the capture is validated, so a catalog of any size fits in memory; whoever builds
    a package then reads the capture again from ``path``.

    A capture that can't be read is listed in ``broken`` (the others go on); a flag whose thread URL matches
    no capture is ``refused`` unless some capture is broken (it may be that one). ``flags.json`` as a whole
    that is not a readable JSON list is an InputError (nothing can be paired).
    """
    threads_dir = root / "threads"
    if not threads_dir.is_dir():
        raise InputError(f"{root}: mangler mappen threads/")
    flags_path = root / "flags.json"
    entries = load_flags(flags_path).entries if flags_path.exists() or flags_path.is_symlink() else []
    flags, bad_flags, loose = _flags_by_url(entries, str(flags_path))
    parsed: list[tuple[Path, Thread]] = []
    unflagged: list[Path] = []
    broken: list[tuple[Path, str]] = []
    for path in sorted(threads_dir.glob("*.json")):
        try:
            thread = load_thread(path)
            parsed.append((path, thread if keep_comments else thread.model_copy(update={"comments": []})))
        except CaptureError as exc:
            broken.append((path, str(exc)))
    refused = [Refused(key=f"flags.json[{i}]", thread_id=None, reason=reason) for i, reason in enumerate(loose)]
    by_key: dict[str, list[tuple[Path, Thread]]] = defaultdict(list)
    by_url: dict[str, list[tuple[Path, Thread]]] = defaultdict(list)
    for path, thread in parsed:
        by_key[thread_key(thread.platform, thread.thread_id)].append((path, thread))
        by_url[thread.url].append((path, thread))
    flagged: list[FlaggedThread] = []
    for path, thread in parsed:
        key = thread_key(thread.platform, thread.thread_id)
        if thread.url not in flags and thread.url not in bad_flags:
            unflagged.append(path)
            continue
        twins = {p.name for p, _ in by_key[key] + by_url[thread.url]} - {path.name}
        if twins:
            refused.append(Refused(key, thread.thread_id, (
                f"{path}: samme tråd ({key}) eller URL som {', '.join(sorted(twins))}; "
                "bare én innsamling per tråd kan eksporteres, ingen av dem eksporteres")))
        elif thread.url in bad_flags:
            refused.append(Refused(key, thread.thread_id, bad_flags[thread.url]))
        else:
            flag = flags[thread.url].flag
            if flag is not None:
                flagged.append(FlaggedThread(path=path, flag=flag, key=key, thread=thread))
    if not broken:  # with a broken capture, a flag without a thread may well be for that one
        refused += [Refused(f"flags.json{flags[url].describe().split(' ')[0]}", None,
                            f"{flags_path}{flags[url].describe()}: flagg for ukjent tråd-URL {escape_unsafe(url)}")
                    for url in sorted(set(flags) - set(by_url))]
    return Catalog(root=root, flagged=flagged, unflagged=unflagged, broken=broken, refused=refused)
