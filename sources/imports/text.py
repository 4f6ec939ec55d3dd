"""Text repair and reading helpers for export files."""

from __future__ import annotations

import json
from typing import Any

from schemas.errors import InputError


def fix_mojibake(value: str) -> str:
    """Facebook/Instagram exports write UTF-8 bytes as Latin-1 code points (``"L\\u00c3\\u00b8ye"`` = "Løye").

    Re-encode as Latin-1 and decode as UTF-8; a string that isn't such mojibake (real non-Latin-1 text, or
    bytes that aren't valid UTF-8) is returned unchanged.
    """
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def repaired(node: Any) -> Any:
    """Every string in a JSON value repaired (iteratively: deep nesting can't exhaust the stack)."""
    if isinstance(node, str):
        return fix_mojibake(node)
    root: list[Any] = [node]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        container, key = stack.pop()
        value = container[key]
        if isinstance(value, str):
            container[key] = fix_mojibake(value)
        elif isinstance(value, dict):
            for k in value:
                stack.append((value, k))
        elif isinstance(value, list):
            stack.extend((value, i) for i in range(len(value)))
    return root[0]


def load_json(raw: bytes, name: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{name}: ikke gyldig JSON ({str(exc)[:120]})") from exc


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else ""
