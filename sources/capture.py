"""Reading capture files (``threads/*.json``, ``capture/thread.json``) into the thread model.

The one home of capture parsing: the folder catalog, the streaming reader of the PDF renderer and the
platform connectors all read captures through this module. Errors are :class:`CaptureError` naming the
file, the thread and the field.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from schemas.errors import CaptureError
from schemas.thread import Flag, Thread

__all__ = ["CaptureError", "load_flags", "load_thread", "parse_thread"]


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
