"""pydantic's validation errors in Norwegian: one phrase per error type (its own messages are English).

Our validators' own messages (``value_error``) are kept as they are; they are Norwegian already.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

PROBLEMS: Mapping[str, str] = {
    "missing": "mangler", "extra_forbidden": "ukjent felt", "string_type": "må være tekst",
    "string_too_long": "er for lang", "string_too_short": "er for kort", "string_pattern_mismatch": "har feil form",
    "string_unicode": "har ugyldige tegn", "enum": "ukjent verdi", "literal_error": "ukjent verdi",
    "model_type": "må være et JSON-objekt", "dict_type": "må være et JSON-objekt", "list_type": "må være en liste",
    "int_type": "må være et heltall", "int_parsing": "må være et heltall", "float_type": "må være et tall",
    "bool_type": "må være true eller false", "timezone_aware": "mangler tidssone", "too_long": "har for mange verdier",
    "too_short": "har for få verdier", "greater_than_equal": "er for liten", "less_than_equal": "er for stor",
    "url_parsing": "er ikke en gyldig adresse", "url_scheme": "har feil adresseskjema",
}


def problem(error: Mapping[str, Any]) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) as a Norwegian phrase."""
    kind = str(error.get("type", ""))
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    if kind in PROBLEMS:
        return PROBLEMS[kind]
    if "date" in kind or "time" in kind:
        return "ugyldig dato eller tidspunkt (bruk ISO 8601, f.eks. 2026-03-15T12:00:00+01:00)"
    return "ugyldig verdi"


def field_name(error: Mapping[str, Any], prefix: str = "") -> str:
    """The dotted path of the field an error is about (``(rot)`` for the document itself)."""
    return ".".join([prefix, *(str(p) for p in error.get("loc", ()))]).strip(".") or "(rot)"


def field_problems(exc: ValidationError, prefix: str = "") -> list[str]:
    """``field: problem`` for every error, without the input values (they may hold personal data)."""
    return [f"{field_name(err, prefix)}: {problem(err)}" for err in exc.errors(include_input=False)]
