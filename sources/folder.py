"""The capture catalog: a folder of captured threads plus the editors' flags.

Layout (the bundled ``samples/`` uses it, and so can any folder of captures)::

    threads/*.json   one canonical capture per thread (schemas.capture)
    flags.json       a JSON list of Flag, matched to threads by URL
    media/           files that Media.path values are relative to
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from schemas.package import thread_key
from schemas.thread import Flag, Thread
from sources.capture import CaptureError, load_flags, load_thread


@dataclass(frozen=True)
class FlaggedThread:
    """A captured thread an editor flagged for the archive."""

    path: Path
    flag: Flag
    key: str

    def load(self) -> Thread:
        return load_thread(self.path)


@dataclass(frozen=True)
class Catalog:
    root: Path
    flagged: list[FlaggedThread]
    unflagged: list[Path]
    broken: list[tuple[Path, str]]  # captures that could not be read, with the error naming the field

    @property
    def media_dir(self) -> Path:
        return self.root / "media"

    def select(self, keys: list[str] | None) -> list[FlaggedThread]:
        """The flagged threads whose key or thread id is in ``keys`` (all when None)."""
        if not keys:
            return list(self.flagged)
        wanted = set(keys)
        chosen = [f for f in self.flagged if f.key in wanted or f.key.split("-", 1)[1] in wanted]
        missing = wanted - {f.key for f in chosen} - {f.key.split("-", 1)[1] for f in chosen}
        if missing:
            raise CaptureError(f"{self.root}: ingen flagget tråd med nøkkel/id {', '.join(sorted(missing))}")
        return chosen


def load_catalog(root: Path) -> Catalog:
    """Read ``root`` and pair each thread with its flag.

    A capture that can't be read is listed in ``broken`` (the others go on); a flag whose thread URL matches
    no capture is an error unless some capture is broken (it may be that one).
    """
    threads_dir = root / "threads"
    if not threads_dir.is_dir():
        raise CaptureError(f"{root}: mangler mappen threads/")
    flags_path = root / "flags.json"
    flags = {flag.thread_url: flag for flag in load_flags(flags_path)} if flags_path.exists() else {}
    flagged: list[FlaggedThread] = []
    unflagged: list[Path] = []
    broken: list[tuple[Path, str]] = []
    seen_urls: set[str] = set()
    for path in sorted(threads_dir.glob("*.json")):
        try:
            thread = load_thread(path)
        except CaptureError as exc:
            broken.append((path, str(exc)))
            continue
        seen_urls.add(thread.url)
        flag = flags.get(thread.url)
        if flag is None:
            unflagged.append(path)
        else:
            flagged.append(FlaggedThread(path=path, flag=flag, key=thread_key(thread.platform, thread.thread_id)))
    orphans = sorted(set(flags) - seen_urls)
    if orphans and not broken:
        raise CaptureError(f"{flags_path}: flagg for ukjente tråd-URL-er: {', '.join(orphans)}")
    return Catalog(root=root, flagged=flagged, unflagged=unflagged, broken=broken)
