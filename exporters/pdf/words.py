"""The word model of ``RunsParagraph``: font runs cut into words at U+0020, measured, shared when equal.

A ``Word`` is font runs ``(font, colour, text)`` with no U+0020 inside and its width; ``split_words`` cuts a
paragraph's pieces (``text.pieces``) into words and hard line breaks (``BREAK``), ``split_word`` cuts a word too
long for a line. Words are never changed once made, so equal ones are shared (bounded caches, emptied when full).
Widths come from the memoised ``reportlab_compat.string_width``.
"""

from __future__ import annotations

from exporters.pdf.reportlab_compat import string_width
from exporters.pdf.text import Piece

BREAK = None  # a hard line break in a word list


class Word:
    """A word: font runs ``(font, colour, text)`` with no U+0020 inside, and its width.

    ``space_width`` is the width of the space before it (0 when glued, None when ``space`` is unknown: the
    first word of a paragraph or after a line break). Words are never changed once made, so equal ones are
    shared within a render (``WordCache``).
    """

    __slots__ = ("glued", "pieces", "space", "space_width", "width")

    def __init__(self, pieces: tuple[tuple[str, str | None, str], ...], width: float, glued: bool = False,
                 space: tuple[str, str | None] | None = None, size: float = 0.0) -> None:
        self.pieces, self.width, self.glued = pieces, width, glued  # glued: no space before (split long word)
        self.space = space  # (font, colour) of the space before the word: that of the run holding it
        self.space_width = 0.0 if glued else None if space is None else string_width(" ", space[0], size)


class WordCache:
    """Equal words shared within one render (``story.ThreadStory`` owns one); each table holds at most
    ``MAX`` words and is emptied when full (sharing is a speed-up only: the drawn bytes are the same)."""

    MAX = 1 << 14

    def __init__(self) -> None:
        # by (font, colour, text, (font, colour) of the space before, size)
        self._words: dict[tuple[str, str | None, str, tuple[str, str | None] | None, float], Word] = {}
        # words of one run after a space of that run, by (font, colour, size), then by text
        self._runs: dict[tuple[str, str | None, float], dict[str, Word]] = {}

    def shared_word(self, font: str, color: str | None, text: str, space: tuple[str, str | None] | None,
                    size: float) -> Word:
        """The (shared) one-run word ``text`` after a space in ``space``."""
        key = (font, color, text, space, size)
        word = self._words.get(key)
        if word is None:
            if len(self._words) >= self.MAX:
                self._words.clear()
            word = self._words[key] = Word(((font, color, text),), string_width(text, font, size), space=space,
                                           size=size)
        return word

    def run_words(self, font: str, color: str | None, size: float) -> dict[str, Word]:
        """The table of whole words of one run (after a space of that run) by text."""
        table = self._runs.get((font, color, size))
        if table is None or len(table) >= self.MAX:
            table = self._runs[font, color, size] = {}
        return table


def joined_runs(parts: list[Piece]) -> list[Piece]:
    """``parts`` with adjacent runs of the same font and colour joined (fewer, longer runs to split)."""
    out: list[Piece] = []
    previous: Piece = None
    for part in parts:
        if part is not None and previous is not None and part[0] == previous[0] and part[1] == previous[1]:
            previous = out[-1] = (previous[0], previous[1], previous[2] + part[2])
        else:
            out.append(part)
            previous = part
    return out


def split_words(parts: list[Piece], size: float, shared: WordCache | None = None) -> list[Word | None]:
    """Words of ``parts``, split at U+0020 runs only (like reportlab's ``split`` in ``reportlab_compat``); equal
    words are taken from ``shared`` (a new cache when None)."""
    if shared is None:
        shared = WordCache()
    if len(parts) > 1:
        parts = joined_runs(parts)
    words: list[Word | None] = []
    append = words.append
    current: list[tuple[str, str | None, str]] = []  # a word so far, possibly over several runs
    width = 0.0
    space: tuple[str, str | None] | None = None
    end = len(parts) - 1
    for index, part in enumerate(parts):
        if part is None:
            if current:
                append(Word(tuple(current), width, space=space, size=size))
                current, width = [], 0.0
            append(BREAK)
            space = None
            continue
        font, color, text = part
        if " " not in text:
            if text:
                current.append((font, color, text))
                width += string_width(text, font, size)
            continue
        segments = text.split(" ")
        if segments[0]:
            current.append((font, color, segments[0]))
            width += string_width(segments[0], font, size)
        if current:
            if len(current) == 1:
                append(shared.shared_word(*current[0], space, size))
            else:
                append(Word(tuple(current), width, space=space, size=size))
            current, width = [], 0.0
        space = (font, color)
        # the last segment is a whole word too when no run follows it (end of the text or a line break)
        last = "" if index == end or parts[index + 1] is None else segments.pop()
        if len(segments) > 1:  # whole words of this run, after a space of this run: shared ones from the cache
            whole = segments[1:]
            if "  " in text or not whole[-1]:
                whole = [segment for segment in whole if segment]
            cache = shared.run_words(font, color, size)
            found = list(map(cache.get, whole))
            if not all(found):  # (a word is always true)
                for number, word in enumerate(found):
                    if word is None:
                        segment = whole[number]
                        word = found[number] = cache[segment] = Word(
                            ((font, color, segment),), string_width(segment, font, size), space=space, size=size
                        )
            words.extend(found)
        if last:
            current.append((font, color, last))
            width = string_width(last, font, size)
    if current:
        if len(current) == 1:
            append(shared.shared_word(*current[0], space, size))
        else:
            append(Word(tuple(current), width, space=space, size=size))
    return words


def split_word(word: Word, first: float, rest: float, size: float) -> list[Word]:
    """``word`` cut into pieces that fit ``first`` points, then ``rest`` points each (at least one char each)."""
    out: list[Word] = []
    limit = first
    pieces: list[tuple[str, str | None, str]] = []
    width = 0.0
    for font, color, text in word.pieces:
        start = 0
        for index, ch in enumerate(text):
            w = string_width(ch, font, size)
            if width + w > limit and (pieces or index > start):
                if index > start:
                    pieces.append((font, color, text[start:index]))
                out.append(Word(tuple(pieces), width, glued=bool(out), space=word.space, size=size))
                pieces, width, start, limit = [], 0.0, index, rest
            width += w
        if start < len(text):
            pieces.append((font, color, text[start:]))
    if pieces:
        out.append(Word(tuple(pieces), width, glued=bool(out), space=word.space, size=size))
    return out


class Tight(list[Word]):
    """A line (list of words) that may be wider than the available width: its spaces may have to shrink.

    ``_break`` marks every line wider than the available width by more than ``TIGHT_MARGIN``, so an unmarked
    one is never set tighter (``Tw`` is written only for an overflow above 1e-8 points).
    """

    __slots__ = ()


TIGHT_MARGIN = 1e-9
