"""JSON objects with unique keys: ``json.loads`` would silently keep only the last of two equal keys."""

from __future__ import annotations

from typing import Any

from schemas.text import escape_unsafe


class DuplicateKeyError(ValueError):
    """A JSON object names the same key twice (the message is Norwegian and names the key)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"nøkkelen {escape_unsafe(key)!r} står flere ganger i samme objekt")
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for ``json.loads``: the object, or DuplicateKeyError."""
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return data
