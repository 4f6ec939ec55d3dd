"""The PNG of one comment as it was shown: drawn from the captured data, hostile text never crashes it."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from PIL import Image

from exporters.screenshot import MAX_LINES, render_comment_png, visible
from schemas.errors import RenderError
from schemas.thread import Author, Item
from tests.factories import T0, make_thread


def _png(text: str, *, name: str = "Åse Ødegård", comment_id: str = "c9") -> Image.Image:
    comment = Item(id=comment_id, parent_id="c1", author=Author(id="u9", display_name=name),
                   created_at=T0 + timedelta(hours=1), text=text, reactions=2)
    thread = make_thread()
    thread = thread.model_copy(update={"comments": [*thread.comments, comment]})
    data = render_comment_png(thread, comment_id)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _dark_rows(image: Image.Image) -> int:
    grey = image.convert("L")
    width, height = grey.size
    pixels = grey.load()
    return sum(1 for y in range(height) if any(pixels[x, y] < 100 for x in range(0, width, 2)))


def test_comment_drawn_with_author_time_and_text() -> None:
    image = _png("Takk for svaret! Gleder meg til møtet på torsdag.")
    assert image.size[0] == 900 and 200 < image.size[1] < 600
    assert _dark_rows(image) > 40  # text was drawn (author, body, lines of text)


def test_same_comment_gives_the_same_bytes() -> None:
    thread = make_thread()
    assert render_comment_png(thread, "c1") == render_comment_png(thread, "c1")
    assert render_comment_png(thread, "c1") != render_comment_png(thread, "c2")


def test_unknown_comment_is_a_render_error() -> None:
    with pytest.raises(RenderError, match="finnes ikke"):
        render_comment_png(make_thread(), "nope")


def test_control_chars_surrogates_bidi_and_emoji_are_shown_visibly() -> None:
    text = "a\x00b\x07c\x1b[31m\ud800d\u202eevil\u202c 😀🦄 \ufffe"
    shown = visible(text)
    for code in ("0000", "0007", "001B", "D800", "202E", "202C", "1F984", "FFFE"):
        assert f"⟨U+{code}⟩" in shown
    assert "\x00" not in shown and "\ud800" not in shown and "😀" in shown  # DejaVu draws this one
    image = _png(text, name="مريم \u202e\x07", comment_id="c-\x07\u202e")
    assert image.size[1] > 200


@pytest.mark.parametrize("text", [
    "مرحبا بكم في الاجتماع العام " * 20,  # right-to-left
    "👨‍👩‍👧‍👦🏳️‍🌈🇳🇴" * 50,  # emoji sequences, flags, joiners
    "x" * 5000,  # one word far wider than the line
    "\n" * 500,  # only line breaks
    "",  # empty
    "a\u0301\u0302\u0303" * 300,  # stacked combining marks
])
def test_hostile_text_renders(text: str) -> None:
    image = _png(text)
    assert image.size[0] == 900 and image.size[1] < 5000


def test_hundred_kilobyte_text_is_cut_with_a_note_and_stays_fast() -> None:
    text = ("Dette er en svært lang kommentar med mange ord som gjentas. " * 2000)[:100_000]
    started = time.perf_counter()
    image = _png(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 10
    assert image.size[1] < 40 * MAX_LINES + 600  # bounded, not 100 KB of lines
    shown = visible(text)
    assert len(shown) == len(text)  # plain text: nothing escaped


def test_wrapping_counts_what_is_left_out() -> None:
    from exporters.screenshot import _font, _wrap

    font = _font("DejaVuSans.ttf", 20)
    lines, left = _wrap("ord " * 10_000, font, 800, MAX_LINES)
    assert len(lines) == MAX_LINES and 30_000 < left < 40_000
    assert all(font.getlength(line) <= 800 for line in lines)
    lines, left = _wrap("kort tekst\nmed to linjer", font, 800, MAX_LINES)
    assert lines == ["kort tekst", "med to linjer"] and left == 0
    lines, _ = _wrap("y" * 2000, font, 800, MAX_LINES)
    assert len(lines) > 1 and "".join(lines) == "y" * 2000  # one huge word broken, nothing lost
