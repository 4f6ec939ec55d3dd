"""Reading and writing the canonical capture (``capture/thread.json``) byte-exactly.

Rule for text that XML/PDF can't hold (control characters, lone surrogates): the capture keeps it
verbatim. JSON can carry any code point as a ``\\uXXXX`` escape, so the file is written as UTF-8 with
only those code points that UTF-8 can't encode (lone surrogates) escaped; parsing gives the same string.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from pydantic import ValidationError

from schemas.thread import Flag, Item, Thread


class CaptureError(ValueError):
    """A capture that can't be read into the model; the message names the file and field."""


def capture_bytes(thread: Thread) -> bytes:
    """Canonical bytes of a thread: sorted keys, 2-space indent, UTF-8, lone surrogates escaped."""
    data = thread.model_dump(mode="json", exclude_none=False)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    # A lone surrogate can only stand inside a JSON string, where "\udXXX" is a valid escape for it.
    return text.encode("utf-8", errors="backslashreplace")


def capture_sha256(thread: Thread) -> str:
    return hashlib.sha256(capture_bytes(thread)).hexdigest()


def _format_errors(source: str, exc: ValidationError) -> str:
    lines = [f"{source}: ugyldig trådinnsamling ({exc.error_count()} feil)"]
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(rot)"
        lines.append(f"  {field}: {err['msg']}")
    return "\n".join(lines)


class _DuplicateKeyError(ValueError):
    """A JSON object with a key twice: ``json.loads`` would silently keep only the last value."""


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        raise _DuplicateKeyError(next(key for key, _ in pairs if key in seen or seen.add(key)))
    return data


def parse_thread(raw: bytes | str, source: str = "<capture>") -> Thread:
    """Parse capture JSON into a Thread; errors name the source and the failing field."""
    try:
        data = json.loads(raw, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise CaptureError(f"{source}: ikke gyldig JSON: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise CaptureError(f"{source}: ikke gyldig UTF-8 (byte {exc.start})") from exc
    except _DuplicateKeyError as exc:
        raise CaptureError(f"{source}: nøkkelen {exc.args[0]!r} står flere ganger i samme objekt") from exc
    if isinstance(data, dict) and "thread_id" in data:
        source = f"{source} (tråd {data.get('platform', '?')}/{data['thread_id']})"
    try:
        return Thread.model_validate(data)
    except ValidationError as exc:
        raise CaptureError(_format_errors(source, exc)) from exc


def load_thread(path: Path) -> Thread:
    return parse_thread(path.read_bytes(), source=str(path))


def load_flags(path: Path) -> list[Flag]:
    """Read a JSON list of flags."""
    try:
        data = json.loads(path.read_bytes())
        return [Flag.model_validate(item) for item in data]
    except (json.JSONDecodeError, ValidationError) as exc:
        raise CaptureError(f"{path}: ugyldig flaggfil: {exc}") from exc


def write_capture(handle: BinaryIO, header: Thread, comments: Iterable[Item]) -> None:
    """Write ``capture_bytes`` of ``header`` with ``comments`` (its own must be empty), one comment at a time."""
    assert not header.comments, "the comments are streamed, not taken from the header"
    data = header.model_dump(mode="json", exclude_none=False)
    data["comments"] = None
    key = '\n  "comments": '  # a newline can't stand inside a JSON string: only the top-level key matches
    head, _, tail = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2).partition(key + "null")
    out = [head + key]
    separator = "[\n    "
    for item in comments:
        text = json.dumps(item.model_dump(mode="json", exclude_none=False), ensure_ascii=False, sort_keys=True,
                          indent=2)
        out.append(separator + text.replace("\n", "\n    "))
        separator = ",\n    "
        if len(out) > 64:
            handle.write("".join(out).encode("utf-8", errors="backslashreplace"))
            out.clear()
    out.append(("[]" if separator.startswith("[") else "\n  ]") + tail + "\n")
    handle.write("".join(out).encode("utf-8", errors="backslashreplace"))
