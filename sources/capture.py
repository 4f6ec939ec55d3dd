"""Reading capture files (``threads/*.json``, ``capture/thread.json``) and ``flags.json`` into the model.

The one home of capture parsing: the folder catalog, the streaming reader of the PDF renderer and the
platform connectors all read captures through this module. Errors are :class:`CaptureError` naming the
file, the thread and the field. Hostile input is refused, never a crash: invalid UTF-8, a key twice in
one object, nesting deeper than the parser can follow, files over a size limit, non-list flags.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schemas.errors import CaptureError
from schemas.field_errors import field_problems
from schemas.strict_json import DuplicateKeyError, unique_keys
from schemas.text import escape_unsafe
from schemas.thread import Flag, Thread
from sources.files import read_inside

__all__ = [
    "MAX_CAPTURE_BYTES",
    "MAX_FLAGS",
    "MAX_FLAGS_BYTES",
    "CaptureError",
    "FlagEntry",
    "FlagsFile",
    "load_flags",
    "load_thread",
    "parse_flags",
    "parse_thread",
]

MAX_CAPTURE_BYTES = 256 << 20  # one capture file read whole (the streaming PDF reader has no limit)
MAX_FLAGS_BYTES = 16 << 20  # flags.json: about 40,000 flags
MAX_FLAGS = 100_000


def _format_errors(source: str, exc: ValidationError) -> str:
    lines = [f"{source}: ugyldig trådinnsamling ({exc.error_count()} feil)"]
    lines += [f"  {line}" for line in field_problems(exc)]
    return "\n".join(lines)


def _load_json(raw: bytes | str, source: str) -> Any:
    """JSON with unique keys; every way it can fail is a CaptureError naming ``source``."""
    try:
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as exc:
        raise CaptureError(f"{source}: ikke gyldig JSON: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise CaptureError(f"{source}: ikke gyldig UTF-8 (byte {exc.start})") from exc
    except DuplicateKeyError as exc:
        raise CaptureError(f"{source}: {exc}") from exc
    except RecursionError as exc:
        raise CaptureError(f"{source}: JSON-en er nestet for dypt til å leses") from exc


def parse_thread(raw: bytes | str, source: str = "<capture>") -> Thread:
    """Parse capture JSON into a Thread; errors name the source and the failing field."""
    data = _load_json(raw, source)
    if isinstance(data, dict) and isinstance(data.get("thread_id"), str):
        source = f"{source} (tråd {escape_unsafe(str(data.get('platform', '?')))}/{escape_unsafe(data['thread_id'])})"
    try:
        return Thread.model_validate(data)
    except ValidationError as exc:
        raise CaptureError(_format_errors(source, exc)) from exc
    except RecursionError as exc:
        raise CaptureError(f"{source}: JSON-en er nestet for dypt til å leses") from exc


def load_thread(path: Path) -> Thread:
    """Read one capture file: a regular file (not through a symlink out of its folder), at most 256 MiB."""
    raw = read_inside(path.parent, path.name, where=str(path), limit=MAX_CAPTURE_BYTES)
    return parse_thread(raw, source=str(path))


@dataclass(frozen=True)
class FlagEntry:
    """One entry of ``flags.json``: its position, the thread URL it names (if any) and the flag or the error."""

    index: int
    thread_url: str | None
    flag: Flag | None
    error: str | None = None

    def describe(self) -> str:
        """``flags.json[3] (journal-required, sak 2026/1042, av ed)`` for messages."""
        if self.flag is None:
            return f"[{self.index}]"
        case = f", sak {self.flag.case_number}" if self.flag.case_number else ""
        return f"[{self.index}] ({self.flag.kind.value}{case}, av {escape_unsafe(self.flag.flagged_by)})"


@dataclass(frozen=True)
class FlagsFile:
    """``flags.json`` read entry by entry: a bad entry is reported with its index, the others are kept."""

    source: str
    entries: list[FlagEntry]

    @property
    def flags(self) -> list[Flag]:
        return [entry.flag for entry in self.entries if entry.flag is not None]


def parse_flags(raw: bytes | str, source: str = "flags.json") -> FlagsFile:
    """Parse a JSON list of flags. The file as a whole must be a list; each entry is validated on its own."""
    data = _load_json(raw, source)
    if not isinstance(data, list):
        raise CaptureError(f"{source}: skal være en JSON-liste med flagg, ikke {type(data).__name__}")
    if len(data) > MAX_FLAGS:
        raise CaptureError(f"{source}: {len(data)} flagg er flere enn grensen på {MAX_FLAGS}")
    entries: list[FlagEntry] = []
    for index, item in enumerate(data):
        url = item.get("thread_url") if isinstance(item, dict) else None
        url = url if isinstance(url, str) and url else None
        try:
            entries.append(FlagEntry(index, url, Flag.model_validate(item)))
        except ValidationError as exc:
            fields = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(rot)'}: {err['msg']}"
                for err in exc.errors(include_input=False)
            )
            entries.append(FlagEntry(index, url, None, escape_unsafe(f"{source}[{index}]: ugyldig flagg: {fields}")))
    return FlagsFile(source=source, entries=entries)


def load_flags(path: Path) -> FlagsFile:
    """Read ``flags.json``: a regular file in its folder, at most 16 MiB."""
    return parse_flags(read_inside(path.parent, path.name, where=str(path), limit=MAX_FLAGS_BYTES), str(path))
