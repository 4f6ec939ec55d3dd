"""One drawn line with right-to-left text: glyphs at their bidi (visual) positions, written in extraction order.

``RunsParagraph`` draws a line holding right-to-left characters (or any line of a right-to-left paragraph)
through ``BidiLine``: ``rtl.visual_line`` gives each character's place from the left; the glyphs are written in
groups of characters that are neighbours both in the text and on the page, in logical order, each group with
its own ``Tm`` and ``Tf`` (pypdf reads the text between two ``Tf`` as one run and turns its right-to-left
characters around, so a right-to-left group is written left to right, that is last character first). The
line's logical text is its ``/ActualText`` for poppler (``rtl.for_poppler``). A right-to-left paragraph's lines
are aligned right. The line ends with the text matrix back at the start of the line, so the next line's ``T*``
works as for any other line.
"""

from __future__ import annotations

from collections.abc import Callable

from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.lib.styles import ParagraphStyle

from exporters.pdf.encoder import Encoder, Key, color_of, fill_code
from exporters.pdf.reportlab_compat import string_width
from exporters.pdf.rtl import for_poppler, is_extractor_rtl, logical_text, visual_line

Trackers = tuple[object | None, tuple[str, int] | None, str | None]  # key, (font, subset), colour drawn now


class BidiLine:
    """A line's characters ``(font, colour, character)`` in logical order, laid out for drawing."""

    def __init__(self, chars: list[tuple[str, str | None, str]], text: str, base: int, size: float,
                 max_width: float) -> None:
        self.chars, self.text, self.size = chars, text, size
        visual = visual_line(text, base)
        widths = [string_width(drawn, chars[index][0], size) for index, drawn in visual]
        natural = sum(widths)
        spaces = sum(1 for index, _ in visual if text[index] == " ")
        self.shrink = (natural - max_width) / spaces if natural - max_width > 1e-8 and spaces else 0.0
        x = max(max_width - natural, 0.0) if base else 0.0
        self.x: dict[int, float] = {}
        self.drawn: dict[int, str] = {}
        self.place: dict[int, int] = {}
        for number, ((index, drawn), width) in enumerate(zip(visual, widths, strict=True)):
            self.x[index], self.drawn[index], self.place[index] = x, drawn, number
            x += width - (self.shrink if text[index] == " " else 0.0)

    def _groups(self) -> list[tuple[list[int], bool]]:
        """Groups (one ``Tj`` each) of characters that are neighbours both in the text and on the page, in logical
        order; each as its indexes left to right and whether it is written right to left.

        The extractor turns a group around when it sees it as right-to-left: one whose first strong character is
        right-to-left (written left to right, that is in reverse logical order, it comes out logical), or one of
        neutral characters only after a right-to-left character (written right to left, it comes out as it
        reads)."""
        groups: list[tuple[list[int], bool]] = []
        state = False
        group: list[int] = []
        direction: bool | None = None  # the extractor's direction of the group (its first strong character)
        for index in range(len(self.text)):
            ch = self.text[index]
            seen = is_extractor_rtl(ch)
            if group:
                last = group[-1]
                joined = direction if direction is not None else seen
                if (self.place[index] - self.place[last] == (-1 if joined else 1)
                        and self.chars[index][:2] == self.chars[last][:2]
                        and not (self.shrink and " " in (ch, self.text[last]))):
                    group.append(index)
                    direction = joined
                    continue
                state = self._close(groups, group, state)
            group, direction = [index], seen
        if group:
            self._close(groups, group, state)
        return groups

    def _close(self, groups: list[tuple[list[int], bool]], group: list[int], state: bool) -> bool:
        """Add ``group`` and return the extractor's direction after it."""
        direction = next((d for d in map(is_extractor_rtl, (self.text[i] for i in group)) if d is not None), None)
        groups.append((sorted(group, key=self.place.__getitem__), direction is None and state))
        for i in reversed(group):
            d = is_extractor_rtl(self.text[i])
            if d is not None:
                return d
        return state

    def _backwards(self, written: list[int], font: str, color: str | None, encoder: Encoder) -> list[tuple[Key, str]]:
        """``TJ`` operators that write the glyphs of ``written`` (right to left) at their places: after each glyph
        the pen moves back over it and the next one."""
        parts: list[tuple[Key, str]] = []
        items: list[str] = []
        key_now: Key | None = None
        pending = ""
        for number, index in enumerate(written):
            ((key, data),) = encoder.segments(font, color, self.drawn[index])
            if key is not key_now and items:
                parts.append((key_now, f"[{' '.join(items)}] TJ"))  # type: ignore[arg-type]
                items = []
            key_now = key
            if pending:
                items.append(pending)
            items.append(f"({escapePDF(data)})")
            if number + 1 < len(written):
                advance = string_width(self.drawn[index], font, self.size)
                move = self.x[written[number + 1]] - (self.x[index] + advance)
                pending = fp_str(-move * 1000.0 / self.size)
        if items:
            parts.append((key_now, f"[{' '.join(items)}] TJ"))  # type: ignore[arg-type]
        return parts

    def write(self, append: Callable[[str], None], encoder: Encoder, style: ParagraphStyle,
              origin: tuple[float, float], trackers: Trackers) -> Trackers:
        """Append the line's operators (its start at ``origin``); returns the key, font and colour now set."""
        key_now, font_now, color_now = trackers
        x0, y0 = origin
        actual = for_poppler(logical_text(self.text)).encode("utf-16-be").hex().upper()
        append(f"/Span <</ActualText <FEFF{actual}>>> BDC")
        for visual, reverse in self._groups():  # ``visual``: the group's indexes left to right
            key_now, font_now = None, None  # a Tf per group: pypdf turns text around per run between Tfs
            font, color = self.chars[visual[0]][:2]
            written = visual[::-1] if reverse else visual
            append(f"1 0 0 1 {fp_str(x0 + self.x[written[0]], y0)} Tm")
            if not reverse:
                parts = [(key, f"({escapePDF(data)}) Tj") for key, data in
                         encoder.segments(font, color, "".join(self.drawn[index] for index in visual))]
            else:
                parts = self._backwards(written, font, color, encoder)
            for key, operator in parts:
                if key is not key_now:
                    key_now = key
                    subset = key[2]
                    if color != color_now:
                        append(fill_code(style.textColor if color is None else color_of(color)))
                        color_now = color
                    if (font, subset) != font_now:
                        append(encoder.font_code(font, subset, self.size))
                        font_now = font, subset
                append(operator)
        append(f"EMC 1 0 0 1 {fp_str(x0, y0)} Tm")
        return key_now, font_now, color_now
