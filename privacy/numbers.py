"""Numbers and addresses in free text: fødselsnummer, d-nummer, kontonummer, phone numbers, e-mail.

Identity and account numbers count only with valid check digits (python-stdnum): a number with invalid check
digits is a near-miss even right after "fnr" or "fødselsnummer" (issue 14; see ``privacy/README.md``).
Near-misses are rejected by format (dates, postal codes and years never have the shapes below), by stdnum,
and by context: a number whose nearest preceding keyword is "ordre", "faktura", "KID", "saksnummer", … is
not personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import NamedTuple

from stdnum.exceptions import ValidationError
from stdnum.no import fodselsnummer, kontonr

from schemas.screening import HitKind

_NOT_BEFORE = r"(?<![\w+])(?<![0-9][.,\-/])"
_NOT_AFTER = r"(?!\w)(?![.,\-/][0-9])"
_SP = r"[ \u00a0]"

# 11 digits, or 6 + 5 split by a space or a hyphen (how fødselsnummer are written).
ELEVEN = re.compile(rf"{_NOT_BEFORE}([0-9]{{6}})[ \u00a0\-]?([0-9]{{5}}){_NOT_AFTER}")
# Bank account: 4.2.5 with dots or spaces (the same separator twice).
ACCOUNT = re.compile(rf"{_NOT_BEFORE}([0-9]{{4}})([ .\u00a0])([0-9]{{2}})\2([0-9]{{5}}){_NOT_AFTER}")
# Norwegian number with +47 / 0047 / (+47).
PHONE_NO = re.compile(rf"(?<![\w+])(?:\(\+47\)|\+47|0047)[ \u00a0\-]?([0-9](?:[ \u00a0\-]?[0-9]){{7}}){_NOT_AFTER}")
# Norwegian 8-digit forms without a prefix: 12345678, 123 45 678, 12 34 56 78, 1234 5678.
PHONE_PLAIN = re.compile(
    rf"{_NOT_BEFORE}(?<![0-9]{_SP})([2-9][0-9]{{7}}"
    rf"|[2-9][0-9]{{2}}{_SP}[0-9]{{2}}{_SP}[0-9]{{3}}"
    rf"|[2-9][0-9]{_SP}[0-9]{{2}}{_SP}[0-9]{{2}}{_SP}[0-9]{{2}}"
    rf"|[2-9][0-9]{{3}}{_SP}[0-9]{{4}}){_NOT_AFTER}(?!{_SP}[0-9])"
)
# International E.164: +CC then 6-13 digits, optionally grouped; 00CC only with a separator after CC.
PHONE_INTL = re.compile(
    rf"(?<![\w+])(?:\+([1-9][0-9]{{0,2}})|00([1-9][0-9]{{0,2}})(?=[ \u00a0\-]))[ \u00a0\-]?(?:\(0\){_SP}?)?"
    rf"([0-9](?:[ \u00a0\-]?[0-9]){{5,13}}){_NOT_AFTER}"
)
_NON_DIGIT = re.compile(r"[^0-9]")
# Cheap test: a text without seven digits close together holds none of the numbers above.
CANDIDATE = re.compile(r"[0-9](?:[ \u00a0.\-]?[0-9]){6}")
EMAIL = re.compile(r"(?<![\w.+\-@])([\w+\-]+(?:\.[\w+\-]+)*)@((?:[\w\-]+\.)+[^\W\d_]{2,})(?![\w\-@])")

# The nearest keyword before a number decides what it is: an identity label, an account word, a phone word,
# or a negative word (order, invoice, KID, case number, ...) that makes it not personal data.
_WINDOW = 48
CONTEXT = re.compile(
    r"(?<!\w)(?:"
    r"(?P<id>f\.\s?nr|fnr|fødselsn\w*|personn\w*|pnr|d-n(?:r|ummer\w*)|dnr|id-nummer\w*)"
    r"|(?P<acct>konto\w*|kto|bankkonto\w*|overfør\w*|innbetal\w*|betal\w* til|sett inn)"
    r"|(?P<phone>tlf|tel|telefon\w*|mobil\w*|mob|ring\w*|sms|tekstmelding\w*|vipps\w*|treffes|nå meg|når meg"
    r"|kontakt meg)"
    r"|(?P<weak>nummer|nummeret|nr)"
    r"|(?P<neg>ordre\w*|bestilling\w*|faktura\w*|kid\w*|kvittering\w*|sporing\w*|referanse\w*|ref|org\w*"
    r"|(?:sak|avtale|medlem|serie|vare|artikkel|kontrakt|journal|billett|bilag|polise|lisens|kunde|sending|pakke)"
    r"s?-?n(?:r|ummer\w*)|sak nr|kundenr|gnr|bnr|isbn|reg\.?\s?nr|registreringsnummer\w*)"
    r")(?!\w)",
    re.IGNORECASE,
)


class Found(NamedTuple):
    """One finding in a text (a tuple: cheap to make, thousands per thread)."""

    start: int
    end: int
    kind: HitKind
    rule: str


def context(text: str, start: int) -> str | None:
    """``id``, ``acct``, ``phone`` or ``neg``: the nearest keyword in the 48 characters before ``start``.

    A bare "nummer"/"nummeret" counts as a phone word unless a negative keyword precedes it in the window.
    """
    last, negative = None, False
    for match in CONTEXT.finditer(text, max(0, start - _WINDOW), start):
        last = match.lastgroup
        negative = negative or last == "neg"
    if last == "weak":  # "nummer(et)" alone: a phone number, unless an order/invoice/... word came before
        return "neg" if negative else "phone"
    return last


def _identity_kind(digits: str) -> HitKind:
    return HitKind.D_NUMMER if digits[0] in "4567" else HitKind.FODSELSNUMMER


def _possible_date(digits: str) -> bool:
    """Whether the first four digits are a day and month stdnum can accept: 01-31 (d-nummer 41-71) and 01-12
    (H-nummer 41-52). A necessary condition only, so most near-misses (order and invoice numbers, which
    rarely start with a date) never reach stdnum; stdnum still decides every number that passes."""
    day, month = int(digits[:2]), int(digits[2:4])
    return (1 <= day <= 31 or 41 <= day <= 71) and (1 <= month <= 12 or 41 <= month <= 52)


def _valid_identity(digits: str) -> bool:
    """stdnum's own checks, cheapest first: a possible date, the two check digits, then the birth date (a real
    date, not in the future) as ``fodselsnummer.validate`` checks it."""
    if not (
        _possible_date(digits)
        and fodselsnummer.calc_check_digit1(digits[:9]) == digits[9]
        and fodselsnummer.calc_check_digit2(digits[:10]) == digits[10]
    ):
        return False
    try:
        return fodselsnummer.get_birth_date(digits) <= date.today()
    except ValidationError:
        return False


def eleven_digit(text: str) -> Iterator[Found]:
    """Fødselsnummer and d-nummer with valid check digits (an invalid number is a near-miss even right after
    "fnr"); unformatted kontonummer after an account word."""
    for match in ELEVEN.finditer(text):
        digits = match.group(1) + match.group(2)
        start, end = match.span()
        if _valid_identity(digits):
            ctx = context(text, start)
            if ctx == "neg":
                continue
            if ctx == "acct" and kontonr.is_valid(digits):
                yield Found(start, end, HitKind.KONTONUMMER, "kontonummer:stdnum")
            else:
                kind = _identity_kind(digits)
                yield Found(start, end, kind, f"{kind.value}:stdnum")
        elif kontonr.is_valid(digits) and context(text, start) == "acct":
            yield Found(start, end, HitKind.KONTONUMMER, "kontonummer:stdnum")


def accounts(text: str) -> Iterator[Found]:
    """Formatted kontonummer (1234.56.78903, 1234 56 78903) with a valid check digit."""
    for match in ACCOUNT.finditer(text):
        digits = match.group(1) + match.group(3) + match.group(4)
        if kontonr.is_valid(digits) and context(text, match.start()) != "neg":
            yield Found(match.start(), match.end(), HitKind.KONTONUMMER, "kontonummer:stdnum")


def phones(text: str, allowed: frozenset[str]) -> Iterator[Found]:
    """Norwegian numbers (+47/0047 always; plain 8 digits after a phone word, or grouped like a phone number,
    or a mobile number, when no other keyword is nearer) and international E.164 numbers."""
    prefixed = "+" in text or "00" in text
    for match in PHONE_NO.finditer(text) if prefixed else ():
        if _NON_DIGIT.sub("", match.group(1)) not in allowed:
            yield Found(match.start(), match.end(), HitKind.TELEFON, "telefon:+47")
    for match in PHONE_PLAIN.finditer(text):
        raw = match.group(1)
        digits = _NON_DIGIT.sub("", raw)
        if digits in allowed:
            continue
        ctx = context(text, match.start())
        grouped = len(raw) != len(digits)
        four_four = len(raw) == 9 and raw[4] in " \u00a0"
        if ctx == "phone" or (ctx is None and not four_four and (grouped or digits[0] in "49")):
            yield Found(match.start(), match.end(), HitKind.TELEFON, "telefon:norsk")
    for match in PHONE_INTL.finditer(text) if prefixed else ():
        country = match.group(1) or match.group(2)
        digits = _NON_DIGIT.sub("", match.group(3))
        if country == "47" or not 8 <= len(country) + len(digits) <= 15:
            continue
        if context(text, match.start()) != "neg":
            yield Found(match.start(), match.end(), HitKind.TELEFON, "telefon:e164")


def emails(text: str, functional: frozenset[str]) -> Iterator[Found]:
    """E-mail addresses, except functional mailboxes (postmottak@…) named in the configuration."""
    for match in EMAIL.finditer(text):
        local = match.group(1).lower()
        address = f"{local}@{match.group(2).lower()}"
        if local in functional or address in functional:
            continue
        yield Found(match.start(), match.end(), HitKind.E_POST, "e-post:adresse")
