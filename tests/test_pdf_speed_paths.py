"""The renderer's shortcuts give what the long ways give: line drawing, placing, font subsets, Flate streams,
encoders."""

from __future__ import annotations

import io
import random
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pikepdf
import pypdf
import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFontFace
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

from exporters.pdf.encoder import encoder_of
from exporters.pdf.fonts import BODY, BODY_BOLD, REPLACEMENT, SubsetMemoFace, font_set, request_seeds, route
from exporters.pdf.paragraphs import RunsParagraph
from exporters.pdf.placing import place
from exporters.pdf.story_parts import Bookmark, OutlineEntry, PageBreakUnder
from exporters.pdf.styles import BODY_TEXT, FRAME_WIDTH, MARGIN_LEFT, META, PAGE_HEIGHT, SECTION, indented
from exporters.pdf.text import pieces
from exporters.pdf.words import Tight, joined_runs, split_words
from exporters.pdf.writer import FLATE_LEVEL, StreamPacker
from tests.conftest import REPO_ROOT

WORDS = ["kommunen", "skolen", "brøyting", "høring", "innspill", "ærlig", "østlandet", "åpen", "sámi", "čáhci",
         "đuoddji", "ŋ", "šiella", "takk"]
_RNG = random.Random(4)
BODY_LINES = " ".join(_RNG.choice(WORDS) for _ in range(400))  # 30 lines, 3 of them set tight (``Tw``)
HEADER = [(BODY_BOLD, None, "Åse Ødegård"), (BODY, "#0B4F8A", " (kommunen)"), (BODY, None, " · 02.03.2026 kl. 10:26")]


def _paragraphs(*, fast_lines: bool = True) -> list[RunsParagraph]:
    font_set()
    return [
        RunsParagraph(HEADER, indented(META, 1), fast_lines=fast_lines),
        RunsParagraph(pieces(BODY_LINES), indented(BODY_TEXT, 2), fast_lines=fast_lines),
        RunsParagraph(pieces("Linje én 👍 og ❤️\nlinje to med bell\u0007 og " + "x" * 200), BODY_TEXT,
                      fast_lines=fast_lines),
    ]


def _text_objects(items: list[RunsParagraph]) -> list[str]:
    """Each paragraph's text object, drawn into one fresh document."""
    canvas = Canvas(io.BytesIO(), invariant=1)
    out = []
    for item in items:
        item.wrap(FRAME_WIDTH, 1e6)
        out.append(item.text_object(canvas, MARGIN_LEFT, 500.0))
    return out


def test_fast_line_path_draws_what_the_general_path_draws() -> None:
    fast = _text_objects(_paragraphs())
    assert any(" Tw " in text for text in fast), "no tight line: the test text no longer exercises Tw"
    assert _text_objects(_paragraphs(fast_lines=False)) == fast  # every line through the general path


def test_adjacent_runs_of_one_font_and_colour_are_split_as_one() -> None:
    parts = [(BODY_BOLD, None, "Kommentar 6"), (BODY, None, " · "), (BODY, None, "02.03.2026 kl. 10:05"),
             (BODY, "#555555", " grå"), (BODY, "#555555", "tone"), None, (BODY, None, "ny "), (BODY, None, "linje")]
    assert joined_runs(parts) == [
        (BODY_BOLD, None, "Kommentar 6"), (BODY, None, " · 02.03.2026 kl. 10:05"), (BODY, "#555555", " gråtone"),
        None, (BODY, None, "ny linje"),
    ]
    font_set()
    words = split_words(parts, 8.5)
    texts = [None if word is None else "".join(text for _, _, text in word.pieces) for word in words]
    assert texts == ["Kommentar", "6", "·", "02.03.2026", "kl.", "10:05", "gråtone", None, "ny", "linje"]
    assert words[6].space == (BODY, "#555555") and words[8].space is None
    assert words[5].width == pytest.approx(pdfmetrics.stringWidth("10:05", BODY, 8.5))


def test_every_line_wider_than_the_frame_is_marked_tight() -> None:
    """Only ``Tight`` lines get their overflow computed (and a ``Tw``) when drawn."""
    tight = 0
    for item in _paragraphs():
        item.wrap(FRAME_WIDTH, 1e6)
        style = item.style
        max_width = FRAME_WIDTH - style.leftIndent - style.rightIndent
        for line in item.lines:
            natural = sum(word.width for word in line) + sum(word.space_width or 0.0 for word in line[1:])
            if natural - max_width > 1e-8:
                assert isinstance(line, Tight)
                tight += 1
    assert tight >= 3


def test_text_object_places_lines_with_tm_then_t_star() -> None:
    body = _paragraphs()[1]
    text = _text_objects([body])[0]
    lines = len(body.lines)
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
        expected += [" ".join(text for word in line for _, _, text in word.pieces) for line in item.lines]
    canvas.showPage()
    canvas.save()
    extracted = pypdf.PdfReader(buffer).pages[0].extract_text().splitlines()
    assert [line.strip() for line in extracted] == expected


def test_subset_memo_gives_the_program_reportlab_makes_and_keeps_faces_apart() -> None:
    font_set()
    body = pdfmetrics.getFont(BODY).face
    assert isinstance(body, SubsetMemoFace)
    subset = [0, *range(32, 127), 0xE6, 0xF8, 0xE5]
    first = body.makeSubset(subset)
    assert first == TTFontFace.makeSubset(body, subset)  # reportlab's own
    assert body.makeSubset(list(subset)) is first
    # the replacement font is a copy of the body face whose code points may map to other glyphs
    route("中")
    replacement = pdfmetrics.getFont(REPLACEMENT).face
    with_cjk = [0, 32, 0x4E2D]
    assert replacement.makeSubset(with_cjk) == TTFontFace.makeSubset(replacement, with_cjk)
    assert replacement.makeSubset(with_cjk) != body.makeSubset(with_cjk)


def test_writer_compresses_unfiltered_streams_and_each_font_program_once() -> None:
    font_set()
    program = pdfmetrics.getFont(BODY).face.makeSubset([0, *range(32, 100)])
    packer = StreamPacker()
    with pikepdf.new() as pdf:
        first, second = pikepdf.Stream(pdf, program), pikepdf.Stream(pdf, program)
        packed = packer.pack(first, remember=True)
        assert packer.pack(second, remember=True) is packed and zlib.decompress(packed) == program
        content = b"BT /F1+0 9.5 Tf (blabaer) Tj ET\n" * 50
        assert packer.pack(pikepdf.Stream(pdf, content)) == zlib.compress(content, FLATE_LEVEL)
        filtered = pikepdf.Stream(pdf, zlib.compress(content))
        filtered.Filter = pikepdf.Name.FlateDecode
        assert not packer.packs(filtered) and packer.pack(filtered) == zlib.compress(content)


def test_an_encoder_is_emptied_once_its_document_is_saved() -> None:
    item = _paragraphs()[1]
    item.wrap(FRAME_WIDTH, 1e6)
    first = Canvas(io.BytesIO(), invariant=1)
    item.drawOn(first, MARGIN_LEFT, 100)
    encoder = encoder_of(first._doc)
    assert encoder.words
    second = Canvas(io.BytesIO(), invariant=1)
    item.drawOn(second, MARGIN_LEFT, 100)
    assert encoder.words, "a document still being written keeps its encoder"
    first.save()
    third = Canvas(io.BytesIO(), invariant=1)
    item.drawOn(third, MARGIN_LEFT, 100)
    assert not encoder.words
    assert encoder_of(second._doc).words


class _Doc(BaseDocTemplate):
    """A one-frame document whose flowables are placed by ``placing.place`` first (``shortcut``) or by
    reportlab alone."""

    def __init__(self, out: io.BytesIO, *, shortcut: bool) -> None:
        super().__init__(out, pagesize=(FRAME_WIDTH + 2 * MARGIN_LEFT, 400), invariant=1)
        self.addPageTemplates([PageTemplate(id="p", frames=[Frame(MARGIN_LEFT, 40, FRAME_WIDTH, 320)])])
        self.shortcut, self.placed = shortcut, 0

    def handle_flowable(self, flowables: list) -> None:
        if self.shortcut and place(self, flowables):
            self.placed += 1
        else:
            super().handle_flowable(flowables)


def _placed_document(*, shortcut: bool) -> tuple[bytes, list[OutlineEntry], int]:
    """Headers, bodies, bookmarks and conditional page breaks over several pages (splits, breaks, a section
    heading kept with the next paragraph)."""
    font_set()
    outline: list[OutlineEntry] = []
    story: list = []
    for n in range(40):
        story += [PageBreakUnder(40 + 23 * (n % 5)), Bookmark(outline, f"Kommentar {n}", 1),
                  RunsParagraph([*HEADER, (BODY, None, f" {n}")], indented(META, n % 3)),
                  RunsParagraph(pieces(" ".join(WORDS[: 3 + 7 * (n % 5)])), indented(BODY_TEXT, n % 3))]
        if n % 9 == 4:
            story += [RunsParagraph(pieces("Seksjon"), SECTION), RunsParagraph(pieces(BODY_LINES[:900]), BODY_TEXT)]
    out = io.BytesIO()
    doc = _Doc(out, shortcut=shortcut)
    doc.build(story)
    return out.getvalue(), outline, doc.placed


def test_placing_shortcut_draws_what_reportlab_draws() -> None:
    fast, fast_outline, placed = _placed_document(shortcut=True)
    slow, slow_outline, none = _placed_document(shortcut=False)
    assert placed > 100 and none == 0
    assert fast_outline == slow_outline and len({entry.page for entry in fast_outline}) > 3
    assert fast == slow


def test_a_font_seeds_its_subset_on_its_first_use_in_a_document() -> None:
    font_set()
    font = pdfmetrics.getFont(BODY_BOLD)
    canvas = Canvas(io.BytesIO(), invariant=1)
    request_seeds(canvas._doc, (BODY, BODY_BOLD), "øæ中å")  # (中 is not in the font: left out)
    font.splitString("åx", canvas._doc)
    codes = font.state[canvas._doc].assignments
    assert [codes[ord(ch)] for ch in "øæå"] == sorted(codes[ord(ch)] for ch in "øæå")  # seeded in order, first
    assert codes[ord("x")] == ord("x") and 0x4E2D not in codes  # ASCII keeps its own codes
    assert canvas._doc not in pdfmetrics.getFont(BODY).state  # not used in this document: not seeded
    plain = Canvas(io.BytesIO(), invariant=1)
    font.splitString("å", plain._doc)
    assert font.state[plain._doc].assignments[ord("å")] == codes[ord("ø")]  # no seeds asked: å comes first


def test_the_oblique_face_is_loaded_only_when_a_thread_uses_it(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom pathlib import Path\nfrom reportlab.pdfbase import pdfmetrics\n"
        "from exporters.pdf import RenderOptions, render_thread_pdf\nfrom exporters.pdf.fonts import BODY_ITALIC\n"
        "from tests.test_pdf_pinned import COVER, synthetic_thread\n"
        "render_thread_pdf(synthetic_thread(20), Path(sys.argv[1]), cover=COVER, media_dir=None,\n"
        "                  options=RenderOptions(workers=1))\n"
        "print(BODY_ITALIC in pdfmetrics.getRegisteredFontNames())\n"
        "# its first use a reportlab Paragraph in an oblique style (``Ingen kommentarer.``): loaded then\n"
        "render_thread_pdf(synthetic_thread(0), Path(sys.argv[1]), cover=COVER, media_dir=None)\n"
        "print(BODY_ITALIC in pdfmetrics.getRegisteredFontNames())\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "t.pdf")], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "True"]
