"""Right-to-left text: shaped, ordered by the bidi algorithm per line, and extracted in logical order."""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
import pytest

from exporters.pdf import rtl
from schemas.thread import Removal, RemovalReason
from tests.test_pdf import comment, make_thread, poppler_text, pypdf_text, render, squash

SAMPLES = {
    "hebrew": "עברית שלום",
    "arabic": "مرحبا بالعالم",
    "mixed": "Hei שלום og سلام 2026, ha det bra",
    "numbers": "العدد 2026 في السنة ١٤٤٧ هنا",
    "harakat": "مَرْحَبًا بِكُمْ",
    "niqqud": "שָׁלוֹם עֲלֵיכֶם",
    "lamalef": "لا إله الا الله",
    "arabicmulti": " ".join(f"الجملة رقم {n} في فقرة طويلة باللغة العربية" for n in range(1, 9)),
    "hebrewmulti": " ".join(f"משפט מספר {n} בפסקה ארוכה בעברית" for n in range(1, 9)),
    "mixedmulti": " ".join(f"Norsk setning {n} med שלום og مرحبا بكم midt i" for n in range(1, 7)),
    "rtlthenltr": "שלום\nNorsk linje etter\nسلام",
}


@pytest.fixture(scope="module")
def rtl_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    items = [comment(n, f"BEGIN{key} {text} END{key}") for n, (key, text) in enumerate(SAMPLES.items(), 1)]
    thread = make_thread(items, post_text="Innlegg med هذا نص عربي og עברית i tittelen")
    path = tmp_path_factory.mktemp("rtl") / "rtl.pdf"
    render(thread, path)  # PDF/A-2b checked, pikepdf's verdict "pass"
    render(thread, tmp_path_factory.mktemp("rtl1") / "rtl.pdf", part="1")
    return path


def _between(text: str, key: str) -> str:
    match = re.search(rf"BEGIN{key}(.*?)END{key}", text, re.S)
    assert match, f"{key}: markers not found in extracted text"
    return match.group(1)


@pytest.mark.parametrize("key", sorted(SAMPLES))
@pytest.mark.parametrize("tool", ["pdftotext", "pypdf"])
def test_rtl_samples_come_back_in_logical_order(rtl_pdf: Path, key: str, tool: str) -> None:
    text = poppler_text(rtl_pdf) if tool == "pdftotext" else pypdf_text(rtl_pdf)
    assert squash(_between(text, key)) == squash(SAMPLES[key])


def test_multi_line_rtl_paragraph_starts_on_its_first_line(rtl_pdf: Path) -> None:
    """Lines are broken in logical order, then each is ordered: the paragraph's first words are on the top
    line (printed reversed, the first line held the paragraph's end)."""
    for text, word in ((poppler_text(rtl_pdf), "رقم"), (pypdf_text(rtl_pdf), "رقم"), (pypdf_text(rtl_pdf), "מספר"),
                       (poppler_text(rtl_pdf), "מספר")):
        lines = [squash(line) for line in text.splitlines() if word in line]
        assert len(lines) >= 3
        assert f"{word}1" in lines[0] and f"{word}8" in lines[-1] and f"{word}8" not in lines[0]


def test_arabic_is_shaped_and_the_text_layer_holds_letters(rtl_pdf: Path) -> None:
    assert rtl.shape("سلام") == "\ufeb3\ufefc\ufee1"  # initial seen, lam-alef ligature, isolated meem
    assert rtl.logical_text(rtl.shape("سلام")) == "سلام"
    with pikepdf.open(rtl_pdf) as pdf:
        cmaps = b"".join(obj.ToUnicode.read_bytes() for obj in pdf.objects
                         if isinstance(obj, pikepdf.Dictionary) and "/ToUnicode" in obj)
    assert b"<FEFC>" not in cmaps.upper() and b"<06440627>" in cmaps.upper()  # lam-alef → two letters


def test_bidi_line_order_follows_the_algorithm() -> None:
    text = "abc אבג 12 (דה) סוף"
    drawn = "".join(ch for _, ch in rtl.visual_line(text, rtl.base_level(text)))
    assert drawn == "abc ףוס (הד) 12 גבא"  # right-to-left run reversed, digits kept, brackets mirrored
    assert rtl.base_level("שלום abc") == 1 and rtl.base_level("abc שלום") == 0
    marked = "שָׁלוֹם"
    order = "".join(ch for _, ch in rtl.visual_line(marked, 1))
    assert order == "םוֹלשָׁ"  # reversed by character, each mark after its base again (L3)


def test_removed_items_text_is_ordered_like_other_thread_text(tmp_path: Path) -> None:
    removal = Removal(state="deleted", reason=RemovalReason.PERSONSJIKANE)
    text = " ".join(f"الجملة رقم {n} في فقرة طويلة" for n in range(1, 12))
    thread = make_thread([comment(1, f"BEGINremoved {text} ENDremoved", removal=removal)])
    path = tmp_path / "removed.pdf"
    render(thread, path)
    for extracted in (poppler_text(path), pypdf_text(path)):
        assert squash(_between(extracted, "removed")) == squash(text)


def test_text_without_rtl_is_drawn_as_before() -> None:
    assert rtl.shape("Blåbær 👍") == "Blåbær 👍" and not rtl.has_rtl("Blåbær 👍 2026")
