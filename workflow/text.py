"""Checks for free text people type into the workflow (reasons, titles, names, comments)."""

from __future__ import annotations

import unicodedata

from schemas.errors import InputError


def clean_text(value: str, field: str, *, limit: int = 4000, multiline: bool = True) -> str:
    """``value`` stripped; control characters (but tab/newline in multi-line text), lone surrogates, NUL and
    bidi overrides are refused, as is text longer than ``limit``: an InputError naming ``field``."""
    text = value.strip()
    if len(text) > limit:
        raise InputError(f"{field} er for lang ({len(text)} tegn; høyst {limit})")
    for ch in text:
        if ch in "\n\t" and multiline:
            continue
        category = unicodedata.category(ch)
        if category in {"Cc", "Cs", "Zl", "Zp"} or ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
            raise InputError(f"{field} inneholder det ikke-tillatte tegnet U+{ord(ch):04X}")
    return text


def clean_line(value: str, field: str, *, limit: int = 300) -> str:
    """One non-empty line of text (a name, a title)."""
    text = clean_text(value, field, limit=limit, multiline=False)
    if not text:
        raise InputError(f"{field} er tom")
    return text
