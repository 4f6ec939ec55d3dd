"""People in Noark metadata: saksansvarlig (M306) is a person's name, never an e-mail address or a user id."""

from __future__ import annotations

import unicodedata

from noark.model import NoarkContext

MAX_NAME_LENGTH = 200


def is_person_name(value: str) -> bool:
    """A display name such as "Kari Nordmann" or "Anne-Lise Ås", not "kari@kommune.no", "kari.nordmann",
    "u123" or "editor_7": letters (and spaces, hyphens, apostrophes, dots after an initial), no digits, no
    ``@``; a single word must start with a capital letter."""
    name = value.strip()
    if not name or len(name) > MAX_NAME_LENGTH or "@" in name:
        return False
    if any(unicodedata.category(c)[0] in "CN" for c in name):  # control/format chars, digits
        return False
    if any(not (c.isalpha() or c in " -'’." or unicodedata.category(c)[0] == "M") for c in name):
        return False
    words = name.split()
    if len(words) == 1:
        return name[0].isupper() and "." not in name
    return any(w[0].isupper() for w in words)


def saksansvarlig_for(flagged_by: str | None, ctx: NoarkContext) -> str:
    """The flagging editor's name: from ``ctx.display_names``, else ``flagged_by`` when it is already a name,
    else ``ctx.saksansvarlig_fallback``; never an e-mail address."""
    if flagged_by:
        named = ctx.display_names.get(flagged_by.strip())
        if named and is_person_name(named):
            return named.strip()
        if is_person_name(flagged_by):
            return flagged_by.strip()
    return ctx.saksansvarlig_fallback
