"""Right-to-left text: Arabic shaping, the Unicode bidi algorithm per drawn line, and the text layer's order.

reportlab draws strings left to right with one glyph per character. For Arabic and Hebrew:

- ``shape`` (before line breaking, so words are measured in their drawn forms) turns Arabic letters into their
  contextual presentation forms with ``arabic_reshaper`` (ḥarakāt kept; of the ligatures only the mandatory
  lam-alef). The text stays in logical order. The writer maps the presentation forms back to the letters in the
  fonts' ToUnicode maps (``pdfa.fix_tounicode_bytes``), so the text layer holds the letters, not the forms.
- ``visual_line`` orders one drawn line with the bidi algorithm (``python-bidi``'s reference implementation
  of UAX #9 for the levels; rules L2–L4 here): levels resolved with the paragraph's base direction (P2–P3,
  ``base_level``), runs reversed by level, combining marks put after their base again (L3) and mirrored
  brackets in right-to-left runs (L4). Lines are broken in logical order first, so a multi-line paragraph
  reads top to bottom.
- ``bidi_line.BidiLine`` writes a line's glyphs at their visual positions, in groups (one ``Tj`` each) in
  logical order, each right-to-left group last character first: pypdf, which reads the content stream and
  turns each right-to-left string around, gives the logical order back, digits and marks included. The line
  also carries its logical text as ``/ActualText``, which poppler's pdftotext reads instead of the glyphs.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from functools import cache
from types import ModuleType
from typing import Any

_RTL_CHARS = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff"
_RTL_CONTROLS = "\u061c\u200f\u202b\u202e\u2067"  # ALM, RLM, RLE, RLO, RLI
has_rtl = re.compile(f"[{_RTL_CHARS}{_RTL_CONTROLS}]").search
_ARABIC_LETTERS = re.compile("[\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff]").search
_PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]").search
# the text extractor's notion of a right-to-left character (pypdf's ranges) and of a neutral one
_EXTRACTOR_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_EXTRACTOR_NEUTRAL = re.compile("[\x00-\x2f\x3a-\x40\u0660-\u066d\u06f0-\u06f9\u2000-\u206f\u20a0-\u21ff]")


@cache
def _uax9() -> ModuleType:
    """python-bidi's reference implementation of UAX #9 (imported when right-to-left text first needs it)."""
    return importlib.import_module("bidi.algorithm")


@cache
def _mirrored_pairs() -> dict[str, str]:
    from bidi.mirror import MIRRORED

    return dict(MIRRORED)


@cache
def _reshaper() -> Any:
    """Contextual forms, ḥarakāt kept, lam-alef the only ligature (others would change how the text reads)."""
    import arabic_reshaper

    configuration: dict[str, bool] = {"delete_harakat": False, "support_ligatures": True}
    for name, _forms in arabic_reshaper.ligatures.LIGATURES:
        configuration[name] = name.startswith("ARABIC LIGATURE LAM WITH ALEF")
    return arabic_reshaper.ArabicReshaper(configuration=configuration)


def shape(text: str) -> str:
    """``text`` with its Arabic letters in contextual presentation forms, in logical order.

    Text that already holds presentation forms is left as it is (the text layer maps every presentation form
    back to its letters, so forms written by the author would not come back as written)."""
    if not _ARABIC_LETTERS(text) or _PRESENTATION_FORMS(text):
        return text
    return _reshaper().reshape(text)  # type: ignore[no-any-return]


def base_level(text: str) -> int:
    """The paragraph level of ``text`` (P2–P3): 1 if its first strong character is right-to-left, else 0."""
    return 1 if _uax9().get_base_level(text) else 0


def levels(text: str, base: int) -> list[int]:
    """The resolved embedding level of each character of ``text`` (one paragraph or line) at paragraph ``base``.

    Characters the algorithm sets aside (X9: embedding controls, ZWJ, soft hyphen ...) get the level of the
    character before them, so they stay where they are."""
    uax9 = _uax9()
    storage = uax9.get_empty_storage()
    storage["base_level"] = base
    storage["base_dir"] = ("L", "R")[base]
    uax9.get_embedding_levels(text, storage, False, False)
    every = list(storage["chars"])
    uax9.explicit_embed_and_overrides(storage, False)
    kept = {id(entry) for entry in storage["chars"]}
    if storage["chars"]:
        uax9.resolve_weak_types(storage, False)
        uax9.resolve_neutral_types(storage, False)
        uax9.resolve_implicit_levels(storage, False)
    out: list[int] = []
    previous = base
    for entry in every:
        level = entry["level"] if id(entry) in kept else previous
        out.append(level)
        previous = level
    return out


def visual_line(text: str, base: int) -> list[tuple[int, str]]:
    """The characters of one line in drawing order (left to right), as ``(logical index, character drawn)``."""
    line_levels = levels(text, base)
    order = list(range(len(text)))
    if line_levels:
        top = max(line_levels)
        lowest_odd = min(level for level in line_levels if level % 2) if any(v % 2 for v in line_levels) else top + 1
        for level in range(top, lowest_odd - 1, -1):  # L2
            start = None
            for position in range(len(order) + 1):
                inside = position < len(order) and line_levels[order[position]] >= level
                if inside and start is None:
                    start = position
                elif not inside and start is not None:
                    order[start:position] = reversed(order[start:position])
                    start = None
    out: list[tuple[int, str]] = []
    position = 0
    while position < len(order):  # L3: marks after their base in right-to-left runs
        index = order[position]
        if line_levels[index] % 2 and unicodedata.combining(text[index]):
            end = position
            while end < len(order) and unicodedata.combining(text[order[end]]) and line_levels[order[end]] % 2:
                end += 1
            cluster = order[position:end + 1] if end < len(order) else order[position:end]
            cluster = cluster[::-1] if end < len(order) else cluster  # base, then its marks in logical order
            out.extend((i, _mirrored(text[i], line_levels[i])) for i in cluster)
            position += len(cluster)
            continue
        out.append((index, _mirrored(text[index], line_levels[index])))
        position += 1
    return out


def _mirrored(ch: str, level: int) -> str:
    """L4: a mirrored character (brackets) in a right-to-left run is drawn with its mirror glyph."""
    return _mirrored_pairs().get(ch, ch) if level % 2 else ch


def is_extractor_rtl(ch: str) -> bool | None:
    """How a text extractor (pypdf) sees ``ch``: True right-to-left, False left-to-right, None neutral."""
    if _EXTRACTOR_NEUTRAL.match(ch):
        return None
    return _EXTRACTOR_RTL.match(ch) is not None


_POPPLER_R = re.compile(f"[{_RTL_CHARS}]")
_POPPLER_NUM = re.compile("[0-9\u0660-\u0669\u06f0-\u06f9]")


def _poppler_l(ch: str) -> bool:
    """A left-to-right letter or a digit (European or Arabic-Indic), as poppler's reordering sees it."""
    return bool(_POPPLER_NUM.match(ch)) or (unicodedata.bidirectional(ch) == "L" and not _POPPLER_R.match(ch))


def _poppler_r(ch: str) -> bool:
    return bool(_POPPLER_R.match(ch)) and not _POPPLER_NUM.match(ch)


def for_poppler(text: str) -> str:
    """``text`` (logical order) rearranged so that poppler's reordering of a line (``reorderText`` in its
    TextOutputDev: a right-to-left section, from a right-to-left character to the next left-to-right letter
    or digit, is turned around) gives ``text`` back; used as a line's ``/ActualText``. Spaces and punctuation at
    the end of a right-to-left section may move to its start; a section that ends in a combining mark gets an
    RLM (U+200F) after it."""
    out: list[str] = []
    position, end = 0, len(text)
    while position < end:
        stop = position
        while stop < end and not _poppler_r(text[stop]):
            stop += 1
        out.append(text[position:stop])
        position = stop
        while stop < end and not _poppler_l(text[stop]):
            stop += 1
        section = text[position:stop]
        core = section.rstrip(" ")
        if core and unicodedata.combining(core[-1]):  # poppler would put marks that end a section before it:
            core += "\u200f"  # an RLM after them keeps them in the section (and comes out as an invisible mark)
        out.append((core + section[len(core):])[::-1])
        position = stop
    return "".join(out)


def logical_text(text: str) -> str:
    """``text`` (shaped, logical order) as its letters: each presentation form replaced by what it stands for."""
    if not _PRESENTATION_FORMS(text):
        return text
    return "".join(unicodedata.normalize("NFKC", ch) if _PRESENTATION_FORMS(ch) else ch for ch in text)
