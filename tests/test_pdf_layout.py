"""``RunsParagraph`` (our own line breaking and drawing) lays text out like reportlab's ``Paragraph``."""

from __future__ import annotations

import pytest

from exporters.pdf.fonts import BODY_BOLD, font_set
from exporters.pdf.paragraphs import RunsParagraph, paragraph
from exporters.pdf.styles import BODY_TEXT, FRAME_WIDTH, META, indented
from exporters.pdf.text import pieces

TEXTS = [
    "Kort.",
    "Hvorfor skal skolen på Ås legges ned? 😡 " * 12,
    "Familie 👨‍👩‍👧 og 🏳️‍🌈 her, " * 9 + "slutt",
    "Linje én\nlinje to\n\nlinje fire etter en tom linje " * 4,
    "x" * 300 + " etter et langt ord " + "y" * 140,
    "Hei שלום og سلام 2026 " * 10,
    "bell\u0007 nul\u0000 escape " * 14,
    "  mange   mellomrom   mellom   ordene  " * 8,
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("style", [BODY_TEXT, indented(BODY_TEXT, 3), indented(META, 1)], ids=["body", "deep", "meta"])
def test_runs_paragraph_breaks_lines_like_reportlab(text: str, style) -> None:
    font_set()
    parts = pieces(text, BODY_BOLD if style.name.startswith("sa-meta") else style.fontName)
    ours = RunsParagraph(parts, style)
    theirs = paragraph(parts, style, engine="reportlab")
    assert ours.wrap(FRAME_WIDTH, 1e6) == theirs.wrap(FRAME_WIDTH, 1e6)
    for height in (30, 60):  # split: never one orphan line, the parts add up
        split = ours.split(FRAME_WIDTH, height)
        if split and len(split) == 2:
            assert sum(part.wrap(FRAME_WIDTH, 1e6)[1] for part in split) == ours.height
            assert split[0].height <= height
