"""No character lost: hostile text survives into the PDF text layer (pypdf and poppler's pdftotext).

Extraction quirks, measured and encoded below:
- Right-to-left text is shaped and ordered by the bidi algorithm per drawn line (``exporters/pdf/rtl.py``);
  pdftotext (which reads each line's /ActualText) and pypdf (which reads the content stream) both give the
  logical order back; pdftotext wraps right-to-left runs in U+202B … U+202C embedding marks and a space next
  to a run may move, so whitespace and those marks are ignored (``squash``). More in ``test_pdf_rtl.py``.
- Lines break only at U+0020. U+00A0, U+200B, U+2003, U+202F, U+3000 … and U+00AD (drawn invisibly, never
  used for hyphenation) are kept in the text layer verbatim (``test_spaces_and_soft_hyphen_are_kept``).
  pypdf returns them as they are. poppler's pdftotext (22.12) writes every space separator (U+00A0,
  U+2003, U+2009, U+202F, U+3000: category Zs) as U+0020 although the font's ToUnicode maps the code to
  the original character (checked directly), and it takes a wide gap such as an em space for a column
  boundary, moving the rest of the line after the page's other text blocks (so "wide" is checked with
  pypdf and the CMaps only).
- Markers around RTL test strings are letters, not brackets: pdftotext moves neutral punctuation next to
  an RTL run into the run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pypdf
import pytest

from exporters.pdf import check_pdfa
from exporters.pdf.fonts import is_replaced, route
from exporters.pdf.text import display_order, markup, visible_text
from tests.test_pdf import comment, make_thread, render, squash

LTR = {
    "norsk": "Blåbærsyltetøy på Ærø – «sitat» “quote” … € 1 234,50",
    "sami": "Sámi: á č đ ŋ š ŧ ž Á Č Đ Ŋ Š Ŧ Ž",
    "emoji": "Takk 👍🎉💬😀 bra ❤️ ✓ ★",
    "zwj": "Familie 👨‍👩‍👧 og 🏳️‍🌈 her",
    "flags": "Flagg 🇳🇴🇸🇪🇩🇰 og 🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    "skin": "Vinker 👋🏽 og 👍🏿",
    "cjk": "中文字符 日本語テキスト 한국어",
    "combining": "e\u0301 cafe\u0301 n\u0303 a\u030a Z\u0335\u0327",
    "controls": "bell\u0007 nul\u0000 esc\u001b del\u007f c1\u0085\u009f slutt",
    "surrogates": "lone \ud800 and \udfff end",
    "invisible": "zero\u200dwidth\u200cnon\u2060joiner\ufeffbom\u00adsoft vs\ufe0f",
    "pua": "privat \ue000\uf8ff slutt",
    "indic": "नमस्ते ভাষা தமிழ் ไทย",
    "longword": "x" * 300,
    "spaces": "nb\u00a0sp zw\u200bsp thin\u2009sp nnb\u202fsp soft\u00adhyphen",
    "wide": "em\u2003sp ideo\u3000sp",
    "markup": "<b>ikke fet</b> & <font name='Helvetica'>ingen font</font> &amp;",
}
RTL = {
    "hebrew": "עברית שלום",
    "arabic": "مرحبا بالعالم",
    "mixed": "Hei שלום og سلام 2026",
}

requires_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def hostile_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = {**LTR, **RTL}
    thread = make_thread([comment(n, f"BEGIN{key} {text} END{key}") for n, (key, text) in enumerate(texts.items(), 1)],
                         post_text="Fiendtlig tekst \u0007 🇳🇴 中")
    path = tmp_path_factory.mktemp("hostile") / "hostile.pdf"
    render(thread, path)  # also asserts check_pdfa == [] (no .notdef, fonts embedded)
    render(thread, tmp_path_factory.mktemp("hostile1") / "hostile.pdf", part="1")
    return path


def _between(text: str, key: str) -> str:
    match = re.search(rf"BEGIN{key}(.*?)END{key}", text, re.S)
    assert match, f"{key}: markers not found in extracted text"
    return match.group(1)


def _extractors(path: Path) -> dict[str, str]:
    out = {"pypdf": "\n".join(p.extract_text() for p in pypdf.PdfReader(path).pages)}
    if shutil.which("pdftotext"):
        out["pdftotext"] = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                                          capture_output=True, text=True).stdout
    return out


@pytest.mark.parametrize("key", sorted(LTR))
def test_every_character_survives_extraction(hostile_pdf: Path, key: str) -> None:
    for tool, text in _extractors(hostile_pdf).items():
        expected = squash(visible_text(LTR[key]))
        assert squash(_between(text, key)) == expected, f"{tool} lost or changed characters of {key!r}"


@pytest.mark.parametrize("key", sorted(RTL))
def test_rtl_text_comes_back_in_logical_order(hostile_pdf: Path, key: str) -> None:
    texts = _extractors(hostile_pdf)
    assert set(texts) == {"pypdf", "pdftotext"}, "poppler-utils missing: ./dev test installs it"
    for tool, text in texts.items():
        assert squash(_between(text, key)) == squash(RTL[key]), tool


def test_control_characters_are_escaped_visibly(hostile_pdf: Path) -> None:
    text = _extractors(hostile_pdf)["pypdf"]
    for label in ("⟨U+0007⟩", "⟨U+0000⟩", "⟨U+001B⟩", "⟨U+007F⟩", "⟨U+0085⟩", "⟨U+009F⟩", "⟨U+D800⟩", "⟨U+DFFF⟩"):
        assert label in text


def test_missing_characters_use_a_visible_replacement_glyph() -> None:
    runs = route("Hei 中 👍 \U000e0067")
    fonts = {run: font for font, run in runs}
    assert fonts["中"] == "SA-Replacement" and is_replaced(ord("中"))
    assert not is_replaced(ord("å")) and not is_replaced(ord("👍"))
    assert "SA-NotoEmoji" in {font for font, _ in runs}


def test_markup_escapes_xml_and_routes_fonts() -> None:
    result = markup("<b>&</b>\nlinje 2 \u0007")
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in result and "<br/>" in result and "⟨U+0007⟩" in result
    assert display_order("abc אבג 12") == "abc 12 גבא"  # the number belongs to the right-to-left run (UAX #9)


def test_check_pdfa_passes_for_hostile_text(hostile_pdf: Path) -> None:
    assert check_pdfa(hostile_pdf) == []


def test_astral_tounicode_is_utf16(hostile_pdf: Path) -> None:
    with pikepdf.open(hostile_pdf) as pdf:
        cmaps = [obj.ToUnicode.read_bytes() for obj in pdf.objects
                 if isinstance(obj, pikepdf.Dictionary) and "/ToUnicode" in obj]
    assert any(b"<D83DDC4D>" in cmap for cmap in cmaps)  # 👍 as a UTF-16 surrogate pair, not <1F44D>


def test_spaces_and_soft_hyphen_are_kept(hostile_pdf: Path) -> None:
    """Exact text (no whitespace squashing) of lines with special spaces and soft hyphens."""
    texts = _extractors(hostile_pdf)
    for key in ("spaces", "wide"):
        assert _between(texts["pypdf"], key).strip(" ") == LTR[key]
    assert "\u00ad" in _between(texts["pypdf"], "invisible")
    if "pdftotext" in texts:
        poppler = _between(texts["pdftotext"], "spaces").strip(" ")
        assert poppler == re.sub(r"[\u00a0\u2009\u202f]", " ", LTR["spaces"])  # Zs → U+0020 (module doc)
        assert "\u00ad" in _between(texts["pdftotext"], "invisible")
    with pikepdf.open(hostile_pdf) as pdf:
        cmaps = b"".join(obj.ToUnicode.read_bytes() for obj in pdf.objects
                         if isinstance(obj, pikepdf.Dictionary) and "/ToUnicode" in obj)
    for cp in (0x00A0, 0x200B, 0x2003, 0x2009, 0x202F, 0x3000, 0x00AD):
        assert b"<%04X>" % cp in cmaps, f"U+{cp:04X} missing from every ToUnicode CMap"
