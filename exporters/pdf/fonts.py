"""Font registry and per-character font routing, so no character ever falls to .notdef.

Nothing is read from the operating system: DejaVu Sans (regular, bold, oblique, bold oblique), the body
font, is vendored in ``assets/fonts`` (its only PyPI package drags in Sphinx);
Noto Sans, Noto Emoji, Noto Sans Symbols, Arabic, Hebrew and the Indic/South-East Asian scripts come
from ``manimgx-fonts``. reportlab embeds subsets of all of them as simple TrueType fonts.

A character no shipped font has (CJK, for instance) goes to the *replacement* font: a separate
instance of DejaVu Sans whose ``charToGlyph`` maps that code point to the glyph of U+FFFD (visible) or,
for default-ignorable characters such as tag characters, to an empty zero-width glyph. reportlab then
draws that glyph, while the font's ToUnicode CMap maps the code back to the original character, so the
text layer keeps it verbatim.

U+00AD SOFT HYPHEN is always drawn with the replacement font's empty glyph: the text is never hyphenated,
so the character is invisible, as Unicode says, yet kept in the text layer (the body font's own glyph for it
is a visible hyphen). reportlab's TTFont writes U+00A0 NO-BREAK SPACE as an ordinary space (code 32), so
the text layer would lose it; ``KeepingTTFont`` gives it a code of its own (drawn with the space glyph).

Every chunk of a thread is a document of its own that embeds its own (mostly equal) font subsets: each face
remembers the subsets it made (``SubsetMemoFace``); the writer compresses each distinct program once. Nothing
here changes reportlab itself (``reportlab_compat`` lists what is adapted).
"""

from __future__ import annotations

import copy
import importlib.util
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFDocument
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace

BODY = "SA-Sans"
BODY_BOLD = "SA-Sans-Bold"
BODY_ITALIC = "SA-Sans-Oblique"
BODY_BOLD_ITALIC = "SA-Sans-BoldOblique"
EMOJI = "SA-NotoEmoji"
ARABIC = "SA-NotoSansArabic"
HEBREW = "SA-NotoSansHebrew"
REPLACEMENT = "SA-Replacement"
BODY_FAMILY = BODY

VISIBLE_REPLACEMENT = 0xFFFD  # glyph drawn for a character no shipped font has
INVISIBLE_REPLACEMENT = 0x200B  # zero-width glyph for default-ignorable characters no font has
ALWAYS_REPLACED = frozenset({0x00AD})  # drawn with the invisible replacement glyph even where a font has one

DEJAVU_DIR = Path(__file__).with_name("assets") / "fonts"
_DEJAVU_FILES = {
    BODY: "DejaVuSans.ttf",
    BODY_BOLD: "DejaVuSans-Bold.ttf",
    BODY_ITALIC: "DejaVuSans-Oblique.ttf",
    BODY_BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
}
# Fallback fonts after the body font, in the order they are tried.
_NOTO_FILES = {
    "SA-NotoSans": "NotoSans[wght].ttf",
    "SA-NotoSansSymbols": "NotoSansSymbols[wght].ttf",
    EMOJI: "NotoEmoji[wght].ttf",
    ARABIC: "NotoSansArabic[wght].ttf",
    HEBREW: "NotoSansHebrew[wght].ttf",
    **{
        f"SA-NotoSans{script}": f"NotoSans{script}[wght].ttf"
        for script in (
            "Armenian", "Bengali", "Devanagari", "Ethiopic", "Georgian", "Gujarati", "Gurmukhi", "Kannada",
            "Khmer", "Lao", "Malayalam", "Myanmar", "Oriya", "Sinhala", "Tamil", "Telugu", "Thai",
        )
    },
}
# Blocks whose characters go to a dedicated font first (nicer glyphs than the body font's).
_PREFERRED: tuple[tuple[int, int, str], ...] = (
    (0x0590, 0x05FF, HEBREW),
    (0xFB1D, 0xFB4F, HEBREW),
    (0x0600, 0x06FF, ARABIC),
    (0x0750, 0x077F, ARABIC),
    (0x08A0, 0x08FF, ARABIC),
    (0xFB50, 0xFDFF, ARABIC),
    (0xFE70, 0xFEFF, ARABIC),
    (0x1F000, 0x1FAFF, EMOJI),
)


class KeepingTTFont(TTFont):
    """A TTFont that keeps U+00A0 in the text layer instead of writing it as a space (code 32).

    ``splitString`` is reportlab 5.1's own (fingerprinted in ``reportlab_compat.ADAPTED``), without its
    ``if code == 0xa0: code = 32``; NBSP then gets a
    subset code like any character (its glyph is the space glyph, which reportlab maps it to on loading).
    """

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename)
        self.face.__class__ = SubsetMemoFace  # the face is this font's own (``TTFont.__init__`` makes it)

    def splitString(self, text: str, doc: PDFDocument,  # noqa: N802 (reportlab API)
                    encoding: str = "utf-8") -> list[tuple[int, bytes]]:
        """``(subset, codes)`` runs of ``text`` (reportlab's ``TTFont.splitString``); the first one in ``doc``
        gives the characters ``doc`` asked this font to seed (``request_seeds``) their codes first."""
        if doc not in self.state:
            self._seed(doc)
        if "\xa0" not in text:
            split: list[tuple[int, bytes]] = super().splitString(text, doc, encoding)
            return split
        ascii_readable = self._asciiReadable
        try:
            state = self.state[doc]
        except KeyError:
            state = self.state[doc] = TTFont.State(ascii_readable, self)
        skip31 = 31 if ascii_readable and state.nextCode < 32 else -256
        cur_set = -1
        cur: list[int] = []
        results: list[tuple[int, bytes]] = []
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        char_to_glyph = self.face.charToGlyph
        assignments = state.assignments
        subsets = state.subsets
        for code in map(ord, text):
            if code in assignments:
                n = assignments[code]
            elif code not in char_to_glyph:
                n = 0
            else:
                if state.frozen:
                    raise pdfdoc.PDFError(f"Font {self.fontName} is already frozen, cannot add U+{code:04X}")
                n = state.nextCode
                if n & 0xFF == 32:
                    if n != 32:
                        subsets[n >> 8].append(32)
                    state.nextCode += 1
                    n = state.nextCode
                if n > 32:
                    if not (n & 0xFF):
                        subsets.append([0])
                        state.nextCode += 1
                        n = state.nextCode
                    subsets[n >> 8].append(code)
                else:
                    if n == skip31:
                        state.nextCode = 127
                    subsets[0][n] = code
                state.nextCode += 1
                assignments[code] = n
            if (n >> 8) != cur_set:
                if cur:
                    results.append((cur_set, bytes(cur)))
                cur_set = n >> 8
                cur = []
            cur.append(n & 0xFF)
        if cur:
            results.append((cur_set, bytes(cur)))
        return results


    def _seed(self, doc: PDFDocument) -> None:
        seeds: dict[str, str] | None = getattr(doc, SEEDS, None)
        chars = None if seeds is None else seeds.pop(self.fontName, None)  # (popped: the call below is the first)
        if chars:
            have = self.face.charToGlyph
            self.splitString("".join(ch for ch in chars if ord(ch) in have), doc)


SEEDS = "_sa_subset_seeds"  # a document's attribute: font name → characters that get their codes first


def request_seeds(doc: PDFDocument, names: tuple[str, ...], chars: str) -> None:
    """Have each font of ``names`` give those of ``chars`` it has fixed codes in ``doc`` (in order, before any other
    text of ``doc`` in that font), so that equal subsets of different documents are byte-identical
    (``merge.FontPool``). A font seeds on its first use in ``doc``: one ``doc`` never uses need not be loaded."""
    setattr(doc, SEEDS, dict.fromkeys(names, chars))


# -- font programs: each chunk is its own document and embeds its own subsets, mostly equal ones -------------
class SubsetMemoFace(TTFontFace):
    """A ``TTFontFace`` that remembers the subsets it made: the same codes and glyphs give the same font program.

    Each chunk of a thread is a document of its own and embeds its own (mostly equal) subsets. The memo is the
    face's own (our fonts only) and holds at most ``SUBSET_MEMO`` programs; it is emptied when full, which
    changes no byte (a subset is a pure function of codes and glyphs).
    """

    SUBSET_MEMO = 64

    def makeSubset(self, subset: list[int]) -> bytes:  # noqa: N802 (reportlab API)
        memo: dict[tuple[tuple[int, ...], tuple[int | None, ...]], bytes] = self.__dict__.setdefault("_sa_subsets", {})
        key = (tuple(subset), tuple(map(self.charToGlyph.get, subset)))
        found = memo.get(key)
        if found is None:
            if len(memo) >= self.SUBSET_MEMO:
                memo.clear()
            found = memo[key] = super().makeSubset(subset)
        return found


def _loaded(font: KeepingTTFont) -> KeepingTTFont:
    """``font`` with the glyph → characters lists of its face made tuples (read only once loaded; shaping is
    off). Some 6,000 lists per font less for every full garbage collection to walk: tuples of numbers are
    untracked by the collector."""
    face = font.face
    face.glyphToChar = {glyph: tuple(chars) for glyph, chars in face.glyphToChar.items()}
    return font


@cache
def _package_dir(module: str) -> Path:
    """Directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"font package {module!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def is_default_ignorable(ch: str) -> bool:
    """Format characters, variation selectors and tags: invisible by design, but part of the text."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) == "Cf"
        or 0xFE00 <= cp <= 0xFE0F
        or 0xE0000 <= cp <= 0xE0FFF
        or 0x180B <= cp <= 0x180F
        or cp in (0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0)
    )


def _attaches_to_previous(ch: str) -> bool:
    """Combining marks, joiners and selectors stay in the previous character's font when it has them."""
    return unicodedata.category(ch) in ("Mn", "Me", "Mc") or is_default_ignorable(ch)


@dataclass(frozen=True)
class FontSet:
    """The registered fonts: their names in fallback order and their character coverage."""

    chain: tuple[str, ...]
    coverage: dict[str, frozenset[int] | dict[int, int]]
    redirected: dict[int, int]  # the replacement font's coverage (``coverage[REPLACEMENT]``, the same dict)

    def has(self, font: str, cp: int) -> bool:
        return cp in self.coverage[font]


# A render forks chunk workers only from a single-threaded process (``render``), so no other thread can hold
# one of these locks at a fork.
_lock = threading.Lock()
_load_lock = threading.Lock()  # loading a font on first use (``_Coverage``, ``_replacement_font``)


# Body faces loaded on first use: bold oblique (only escapes in bold text; loaded like the fallback fonts) and
# oblique (revisions, notes, removed items, escapes; kept in ``BODY_FAMILY`` only). ``load`` them before a
# reportlab ``Paragraph`` names them in its style.
_LAZY_DEJAVU = frozenset({BODY_BOLD_ITALIC})
_LAZY_BODY = frozenset({BODY_ITALIC})


class _Coverage(dict[str, frozenset[int] | dict[int, int]]):
    """Coverage by font name; a fallback font (``_NOTO_FILES``, ``_LAZY_DEJAVU``) is loaded and registered when
    first asked about.

    Most threads need few or none of them, and loading all of them took about a third of ``font_set``. A font
    is registered with reportlab before its coverage is visible here, and text is only routed to a font after
    its coverage was looked up, so reportlab always finds a font that text uses.
    """

    def __missing__(self, name: str) -> frozenset[int] | dict[int, int]:
        if name in _NOTO_FILES:
            path = _package_dir("manimgx_fonts") / _NOTO_FILES[name]
        elif name in _LAZY_DEJAVU or name in _LAZY_BODY:
            path = DEJAVU_DIR / _DEJAVU_FILES[name]
        else:
            raise KeyError(name)
        with _load_lock:
            if dict.__contains__(self, name):  # loaded by another thread meanwhile
                return dict.__getitem__(self, name)
            font = _loaded(KeepingTTFont(name, str(path)))
            pdfmetrics.registerFont(font)
            if name not in _LAZY_BODY:
                pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
            cover = frozenset(font.face.charToGlyph)
            self[name] = cover
            return cover


@cache
def font_set() -> FontSet:
    """Register the body fonts once per process and return the coverage of all fonts (fallbacks load lazily)."""
    dejavu = DEJAVU_DIR
    coverage: dict[str, frozenset[int] | dict[int, int]] = _Coverage()
    for name, file in _DEJAVU_FILES.items():
        if name in _LAZY_DEJAVU or name in _LAZY_BODY:
            continue
        font = _loaded(KeepingTTFont(name, str(dejavu / file)))
        pdfmetrics.registerFont(font)
        coverage[name] = frozenset(font.face.charToGlyph)
    pdfmetrics.registerFontFamily(
        BODY_FAMILY, normal=BODY, bold=BODY_BOLD, italic=BODY_ITALIC, boldItalic=BODY_BOLD_ITALIC
    )
    # The replacement font covers exactly the code points redirected into it (filled in on demand); the font
    # itself is made when the first one is (``_replacement_font``).
    redirected: dict[int, int] = {}
    coverage[REPLACEMENT] = redirected
    return FontSet(chain=(*_NOTO_FILES,), coverage=coverage, redirected=redirected)


def load(name: str) -> None:
    """Load and register ``name`` now if it is one of the fonts loaded on first use (no-op for any other name)."""
    if name in _NOTO_FILES or name in _LAZY_DEJAVU or name in _LAZY_BODY:
        font_set().coverage[name]


_replacement: KeepingTTFont | None = None


def _replacement_font() -> KeepingTTFont:
    """The replacement font, registered on first use."""
    global _replacement
    with _load_lock:
        if _replacement is None:
            replacement = KeepingTTFont(REPLACEMENT, str(DEJAVU_DIR / _DEJAVU_FILES[BODY]))
            # reportlab may share one face object per font file: give the replacement font its own maps and name.
            replacement.face = copy.copy(replacement.face)
            replacement.face.charToGlyph = dict(replacement.face.charToGlyph)
            replacement.face.charWidths = dict(replacement.face.charWidths)
            replacement.face.name = b"SomeArkivReplacement"
            pdfmetrics.registerFont(replacement)
            pdfmetrics.registerFontFamily(
                REPLACEMENT, normal=REPLACEMENT, bold=REPLACEMENT, italic=REPLACEMENT, boldItalic=REPLACEMENT
            )
            _replacement = replacement
        return _replacement


def _redirect_to_replacement(cp: int) -> None:
    """Make the replacement font draw a visible glyph for ``cp`` (an empty one for ignorables, a blank for spaces)."""
    fonts = font_set()
    redirected = fonts.redirected
    if cp in redirected:
        return
    face = _replacement_font().face
    if is_default_ignorable(chr(cp)):
        source = INVISIBLE_REPLACEMENT
    elif unicodedata.category(chr(cp)) == "Zs":
        source = 0x20  # a space no font has (U+3000, say) is still a blank of a space's width
    else:
        source = VISIBLE_REPLACEMENT
    with _lock:
        face.charToGlyph[cp] = face.charToGlyph[source]
        face.charWidths[cp] = face.charWidths.get(source, 0)
        redirected[cp] = source


def is_replaced(cp: int) -> bool:
    """True if ``cp`` is drawn with a replacement glyph (no shipped font has it)."""
    redirected = font_set().coverage[REPLACEMENT]
    return cp in redirected


_choice_cache: dict[tuple[str, str], str] = {}


def _font_for(ch: str, base: str, previous: str | None) -> str:
    cached = _choice_cache.get((ch, base))
    if cached is not None:
        return cached
    fonts = font_set()
    cp = ord(ch)
    if cp in ALWAYS_REPLACED:
        _redirect_to_replacement(cp)
        choice = _choice_cache[(ch, base)] = REPLACEMENT
        return choice
    if _attaches_to_previous(ch):
        if previous is not None and fonts.has(previous, cp):
            return previous
        return _first_font_with(cp, base)
    choice = _choice_cache[(ch, base)] = _first_font_with(cp, base)
    return choice


def _first_font_with(cp: int, base: str) -> str:
    fonts = font_set()
    for low, high, preferred in _PREFERRED:
        if low <= cp <= high and fonts.has(preferred, cp):
            return preferred
    if fonts.has(base, cp):
        return base
    for name in fonts.chain:
        if fonts.has(name, cp):
            return name
    _redirect_to_replacement(cp)
    return REPLACEMENT


def route(text: str, base: str = BODY) -> list[tuple[str, str]]:
    """Split ``text`` into runs ``(font name, run)`` such that every character has a real glyph in its font.

    ``base`` is the body face the text is set in (regular, bold, ...); it is used whenever it has the
    character and no script-specific font is preferred.
    """
    if not text:
        return []
    if _plain_text(base).fullmatch(text):
        return [(base, text)]
    runs: list[tuple[str, str]] = []
    current: str | None = None
    buf: list[str] = []
    for match in _plain_runs(base).finditer(text):
        # a run of characters that always go to ``base`` (group 1), or any other single character
        chunk = match.group()
        font = base if match.lastindex else _font_for(chunk, base, current)
        if font != current and buf:
            runs.append((current, "".join(buf)))  # type: ignore[arg-type]
            buf = []
        current = font
        buf.append(chunk)
    if buf:
        runs.append((current, "".join(buf)))  # type: ignore[arg-type]
    return runs


@cache
def _plain_class(base: str) -> str:
    """Regex class of the characters ``_font_for`` always sends to ``base`` whatever precedes them: below the
    preferred blocks (U+0590), in ``base``, not ``ALWAYS_REPLACED`` and not attaching to the previous character."""
    cover = font_set().coverage[base]
    plain = [cp for cp in range(0x20, 0x590)
             if cp in cover and cp not in ALWAYS_REPLACED and not _attaches_to_previous(chr(cp))]
    ranges: list[list[int]] = []
    for cp in plain:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "".join(f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges)


@cache
def _plain_runs(base: str) -> re.Pattern[str]:
    """A run of ``_plain_class`` characters (group 1) or any other single character."""
    return re.compile(f"([{_plain_class(base)}]+)|.", re.DOTALL)


@cache
def _plain_text(base: str) -> re.Pattern[str]:
    """Text of ``_plain_class`` characters only: one run in ``base``."""
    return re.compile(f"[{_plain_class(base)}]*", re.DOTALL)
