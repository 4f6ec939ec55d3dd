"""The renderer's shortcuts give what the long ways give: line drawing, font subsets, Flate streams, encoders."""

from __future__ import annotations

import io
import random
import re
import zlib

import pypdf
import pytest
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfgen.canvas import Canvas

import exporters.pdf.paragraphs as paragraphs
from exporters.pdf import fonts, pdfa
from exporters.pdf.fonts import BODY, BODY_BOLD, font_set
from exporters.pdf.styles import BODY_TEXT, FRAME_WIDTH, MARGIN_LEFT, META, PAGE_HEIGHT, indented
from exporters.pdf.text import pieces

WORDS = ["kommunen", "skolen", "brøyting", "høring", "innspill", "ærlig", "østlandet", "åpen", "sámi", "čáhci",
         "đuoddji", "ŋ", "šiella", "takk"]
_RNG = random.Random(4)
BODY_LINES = " ".join(_RNG.choice(WORDS) for _ in range(400))  # 30 lines, 3 of them set tight (``Tw``)
HEADER = [(BODY_BOLD, None, "Åse Ødegård"), (BODY, "#0B4F8A", " (kommunen)"), (BODY, None, " · 02.03.2026 kl. 10:26")]


def _paragraphs() -> list[paragraphs.RunsParagraph]:
    font_set()
    return [
        paragraphs.RunsParagraph(HEADER, indented(META, 1)),
        paragraphs.RunsParagraph(pieces(BODY_LINES), indented(BODY_TEXT, 2)),
        paragraphs.RunsParagraph(pieces("Linje én 👍 og ❤️\nlinje to med bell\u0007 og " + "x" * 200), BODY_TEXT),
    ]


def _text_objects(items: list[paragraphs.RunsParagraph]) -> list[str]:
    """Each paragraph's text object, drawn into one fresh document."""
    canvas = Canvas(io.BytesIO(), invariant=1)
    out = []
    for item in items:
        item.wrap(FRAME_WIDTH, 1e6)
        out.append(item._text_object(canvas, MARGIN_LEFT, 500.0))
    return out


def test_fast_line_path_draws_what_the_general_path_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _text_objects(_paragraphs())
    assert any(" Tw " in text for text in fast), "no tight line: the test text no longer exercises Tw"
    monkeypatch.setattr(paragraphs, "_KEY", lambda encoding: None)  # every line through ``_line_segments``
    assert _text_objects(_paragraphs()) == fast


def test_adjacent_runs_of_one_font_and_colour_are_split_as_one() -> None:
    parts = [(BODY_BOLD, None, "Kommentar 6"), (BODY, None, " · "), (BODY, None, "02.03.2026 kl. 10:05"),
             (BODY, "#555555", " grå"), (BODY, "#555555", "tone"), None, (BODY, None, "ny "), (BODY, None, "linje")]
    assert paragraphs._joined_runs(parts) == [
        (BODY_BOLD, None, "Kommentar 6"), (BODY, None, " · 02.03.2026 kl. 10:05"), (BODY, "#555555", " gråtone"),
        None, (BODY, None, "ny linje"),
    ]
    font_set()
    words = paragraphs._words(parts, 8.5)
    texts = [None if word is None else "".join(text for _, _, text in word.pieces) for word in words]
    assert texts == ["Kommentar", "6", "·", "02.03.2026", "kl.", "10:05", "gråtone", None, "ny", "linje"]
    assert words[6].space == (BODY, "#555555") and words[8].space is None
    assert words[5].width == pytest.approx(pdfmetrics.stringWidth("10:05", BODY, 8.5))


def test_every_line_wider_than_the_frame_is_marked_tight() -> None:
    """Only ``_Tight`` lines get their overflow computed (and a ``Tw``) when drawn."""
    tight = 0
    for item in _paragraphs():
        item.wrap(FRAME_WIDTH, 1e6)
        style = item.style
        max_width = FRAME_WIDTH - style.leftIndent - style.rightIndent
        for line in item._lines[1]:
            natural = sum(word.width for word in line) + sum(word.space_width or 0.0 for word in line[1:])
            if natural - max_width > 1e-8:
                assert isinstance(line, paragraphs._Tight)
                tight += 1
    assert tight >= 3


def test_text_object_places_lines_with_tm_then_t_star() -> None:
    body = _paragraphs()[1]
    text = _text_objects([body])[0]
    lines = len(body._lines[1])
    assert lines > 5
    assert re.match(r"BT 1 0 0 1 [\d.]+ [\d.]+ Tm 12\.5 TL ", text)
    assert text.count(" T* ") == lines - 1
    assert text.count(" Tw ") == 2 * text.count(" 0 Tw ")  # every tight line resets the word spacing
    assert text.endswith(" ET") and " cm" not in text


def test_every_line_survives_extraction() -> None:
    items = _paragraphs()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    y = PAGE_HEIGHT - 60
    expected: list[str] = []
    for item in items[:2]:
        _, height = item.wrap(FRAME_WIDTH, 1e6)
        item.drawOn(canvas, MARGIN_LEFT, y - height)
        y -= height + 10
        expected += [" ".join(text for word in line for _, _, text in word.pieces) for line in item._lines[1]]
    canvas.showPage()
    canvas.save()
    extracted = pypdf.PdfReader(buffer).pages[0].extract_text().splitlines()
    assert [line.strip() for line in extracted] == expected


def test_subset_memo_gives_the_program_reportlab_makes_and_keeps_faces_apart() -> None:
    font_set()
    body = pdfmetrics.getFont(BODY).face
    subset = [0, *range(32, 127), 0xE6, 0xF8, 0xE5]
    first = fonts._memo_make_subset(body, subset)
    assert first == fonts._make_subset(body, subset)
    assert fonts._memo_make_subset(body, list(subset)) is first
    # the replacement font is a copy of the body face whose code points may map to other glyphs
    fonts._redirect_to_replacement(0x4E2D)
    replacement = fonts._replacement_font().face
    with_cjk = [0, 32, 0x4E2D]
    assert fonts._memo_make_subset(replacement, with_cjk) == fonts._make_subset(replacement, with_cjk)
    assert fonts._memo_make_subset(replacement, with_cjk) != fonts._memo_make_subset(body, with_cjk)


def test_flate_remembers_font_programs_and_compresses_the_rest_at_flate_level() -> None:
    font_set()
    program = fonts._memo_make_subset(pdfmetrics.getFont(BODY).face, [0, *range(32, 100)])
    packed = pdfdoc.PDFZCompress.encode(program)
    assert pdfdoc.PDFZCompress.encode(program) is packed
    assert zlib.decompress(packed) == program
    content = "BT /F1+0 9.5 Tf (blåbær) Tj ET\n" * 50
    assert pdfdoc.PDFZCompress.encode(content) == zlib.compress(content.encode(), fonts.FLATE_LEVEL)


def test_an_encoder_is_emptied_once_its_document_is_saved() -> None:
    item = _paragraphs()[1]
    item.wrap(FRAME_WIDTH, 1e6)
    first = Canvas(io.BytesIO(), invariant=1)
    item.drawOn(first, MARGIN_LEFT, 100)
    encoder = first._doc._sa_encoder
    assert encoder.words
    second = Canvas(io.BytesIO(), invariant=1)
    item.drawOn(second, MARGIN_LEFT, 100)
    assert encoder.words, "a document still being written keeps its encoder"
    first.save()
    third = Canvas(io.BytesIO(), invariant=1)
    item.drawOn(third, MARGIN_LEFT, 100)
    assert not encoder.words
    assert second._doc._sa_encoder.words


PDFDOC_SAMPLES = [*map(chr, range(128)), "/Type /Page", "12 0 obj\n<< /Length 5 >>", "blåbær", "€ ½", ""]


@pytest.mark.parametrize("text", PDFDOC_SAMPLES)
def test_pdfdoc_encoding_shortcut_gives_reportlabs_bytes(text: str) -> None:
    assert pdfdoc.pdfdocEnc is pdfa._pdfdoc_enc
    try:
        expected = pdfa._pdfdoc_encode(text)
    except UnicodeEncodeError:  # U+0018 … U+001F: not in PDFDocEncoding
        with pytest.raises(UnicodeEncodeError):
            pdfdoc.pdfdocEnc(text)
    else:
        assert pdfdoc.pdfdocEnc(text) == expected
    assert pdfdoc.pdfdocEnc(b"\x18bytes") == b"\x18bytes"
