"""The thread PDF: PDF/A properties, layout contents, determinism and image robustness."""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pikepdf
import pikepdf.pdfa
import pypdf
import pytest
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from exporters.pdf import CoverInfo, PdfResult, RenderOptions, check_pdfa, render_thread_pdf
from exporters.pdf.fonts import BODY, font_set
from exporters.pdf.images import MAX_SIDE_PX
from exporters.pdf.text import visible_text
from schemas.findings import Finding
from schemas.thread import Account, Author, Item, Media, Platform, Removal, RemovalReason, Revision, Thread

T0 = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
COVER = CoverInfo(
    flag_label="Journalpliktig", case_number="2026/1042", journalpost_id="JP-2026-77", capture_sha256="ab" * 32
)
MUNICIPALITY = Author(id="m1", display_name="Fjordvik kommune", is_municipality=True)
CITIZEN = Author(id="u1", display_name="Åse Ødegård")

requires_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def make_thread(comments: list[Item], post_text: str = "Innspill til ny skolestruktur på Ås 🏫", **kw) -> Thread:
    return Thread(
        platform=Platform.FACEBOOK,
        account=Account(id="p1", name="Fjordvik kommune", owning_unit="Kommunikasjonsavdelingen"),
        thread_id="1001",
        url="https://www.facebook.com/fjordvik/posts/1001",
        post=Item(id="post", author=MUNICIPALITY, created_at=T0, text=post_text, media=kw.pop("post_media", [])),
        comments=comments,
        captured_at=T0 + timedelta(days=1),
        **kw,
    )


def comment(n: int, text: str, parent: str | None = None, **kw) -> Item:
    return Item(id=f"c{n}", parent_id=parent, author=kw.pop("author", CITIZEN), created_at=T0 + timedelta(minutes=n),
                text=text, **kw)


def render(thread: Thread, path: Path, media_dir: Path | None = None, part: str = "2",
           options: RenderOptions | None = None) -> PdfResult:
    result = render_thread_pdf(thread, path, cover=COVER, media_dir=media_dir, pdfa_part=part,  # type: ignore[arg-type]
                               options=options)
    assert check_pdfa(path, part=part) == []  # type: ignore[arg-type]
    assert pikepdf.pdfa.validate_written(path, f"{part}b").verdict == "pass"  # the independent checker alone
    return result


def squash(text: str) -> str:
    """Drop whitespace (incl. NBSP/ZWSP, which reportlab treats as break opportunities) and bidi marks."""
    ignored = "\u200b\u00a0\u202a\u202b\u202c\u202e\u200e\u200f"
    return "".join(ch for ch in text if not ch.isspace() and ch not in ignored)


def pypdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def poppler_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(scope="module")
def basic_pdf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Thread, Path, PdfResult]:
    comments = [
        comment(1, "Hvorfor skal skolen på Ås legges ned? 😡"),
        comment(2, "Takk for innspillet! Vi tar det med oss.", parent="c1", author=MUNICIPALITY, reactions=4),
        comment(3, "Dette er en ny og rettet tekst.", edited_at=T0 + timedelta(hours=2),
                revisions=[Revision(text="Dette er en gammel tekst med skrivefeil.")]),
        comment(4, "Noen reiser seg mot kommunen."),
        *[comment(n, f"Svar nr. {n} i en dyp tråd.", parent=f"c{n - 1}") for n in range(5, 13)],
    ]
    thread = make_thread(comments)
    path = tmp_path_factory.mktemp("pdf") / "thread.pdf"
    return thread, path, render(thread, path)


def test_cover_and_items_are_in_the_text_layer(basic_pdf: tuple[Thread, Path, PdfResult]) -> None:
    thread, path, result = basic_pdf
    text = squash(pypdf_text(path))
    for expected in ("Facebook", "Fjordvik kommune", "Kommunikasjonsavdelingen", thread.url, "2026/1042",
                     "JP-2026-77", "Journalpliktig", "03.03.2026 kl. 10:15", "ab" * 32, "(kommunen)",
                     "redigert", "4 reaksjoner", "02.03.2026 kl. 10:16", "Dette er en gammel tekst med skrivefeil."):
        assert squash(expected) in text, expected
    for item in thread.all_items():
        assert squash(item.text) in text
    assert result.pages >= 1 and result.size == path.stat().st_size
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.warnings == []


def test_page_numbers_lang_outline_and_metadata(basic_pdf: tuple[Thread, Path, PdfResult]) -> None:
    thread, path, result = basic_pdf
    text = pypdf_text(path)
    assert f"Side 1 av {result.pages}" in text
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == "nb-NO"
        assert str(pdf.docinfo.Title) == thread.display_title
        assert str(pdf.docinfo.Author) == "Fjordvik kommune"
        assert "Subject" in str(pdf.docinfo.keys()) and str(pdf.docinfo.CreationDate).startswith("D:20260303")
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
            top = next(item for item in outline.root if item.title.startswith("Kommentarer"))
            children = [child.title for child in top.children]
    assert titles[:3] == ["Forside", "Innlegget", "Kommentarer (12)"]
    assert len(children) == 3 and children[0].startswith("1. Åse Ødegård: Hvorfor")  # one per top-level comment


@requires_poppler
def test_fonts_all_embedded_per_pdffonts(basic_pdf: tuple[Thread, Path, PdfResult]) -> None:
    _, path, _ = basic_pdf
    lines = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout.splitlines()[2:]
    assert lines
    for line in lines:
        assert "Helvetica" not in line and " yes yes yes " in line, line
    assert f"Side 1 av {basic_pdf[2].pages}" in poppler_text(path)


def test_no_helvetica_anywhere(basic_pdf: tuple[Thread, Path, PdfResult]) -> None:
    _, path, _ = basic_pdf
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and "/BaseFont" in obj:
                assert "Helvetica" not in str(obj.BaseFont)


def test_pdfa1_variant(tmp_path: Path) -> None:
    path = tmp_path / "a1.pdf"
    render(make_thread([comment(1, "PDF/A-1b, æøå 👍")]), path, part="1")
    assert path.read_bytes().startswith(b"%PDF-1.4\n")
    with pikepdf.open(path) as pdf:
        assert pdf.open_metadata()["pdfaid:part"] == "1"
        assert "/Filter" not in pdf.Root.Metadata


def test_check_pdfa_rejects_plain_reportlab_output(tmp_path: Path) -> None:
    font_set()
    plain = tmp_path / "plain.pdf"
    canvas = Canvas(str(plain))
    canvas.drawString(72, 720, "Helvetica, ikke innebygd")
    canvas.setFont(BODY, 12)
    canvas.drawString(72, 700, "中")  # not in DejaVu Sans: drawn as .notdef
    canvas.save()
    findings = check_pdfa(plain)
    assert all(isinstance(found, Finding) and found.severity == "error" for found in findings)
    rules = {found.rule for found in findings}
    assert {"ISO_19005_2:6.6.2.1-1", "pikepdf:output-intent", "pdfa-font-base14", "pdfa-glyph-notdef"} <= rules
    assert any("Helvetica" in found.message for found in findings if found.rule == "pdfa-font-base14")


def test_check_pdfa_rejects_transparency_and_wrong_part(tmp_path: Path, basic_pdf) -> None:
    _, good, _ = basic_pdf
    assert {found.rule for found in check_pdfa(good, part="1")} & {"pikepdf:pdf-version", "ISO_19005_1:6.7.11-1"}
    bad = tmp_path / "transparent.pdf"
    with pikepdf.open(good) as pdf:
        pdf.pages[0].obj.Group = pikepdf.Dictionary(S=pikepdf.Name.Transparency)
        pdf.save(bad)
    assert [found.rule for found in check_pdfa(bad)] == ["pdfa-transparency-group"]  # allowed in 2b, not by us


def test_deterministic_bytes(tmp_path: Path) -> None:
    thread = make_thread([comment(n, f"Kommentar {n} med æøå og 🎉") for n in range(1, 30)])
    first = render(thread, tmp_path / "a.pdf")
    second = render(thread, tmp_path / "b.pdf")
    assert first.sha256 == second.sha256
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def _png_bomb(path: Path, width: int = 40_000, height: int = 40_000) -> None:
    """A tiny PNG whose header claims a huge image (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def media_pdf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PdfResult, Thread]:
    media = tmp_path_factory.mktemp("media")
    Image.new("RGB", (6000, 4000), (30, 120, 200)).save(media / "big.jpg", quality=70)
    rgba = Image.new("RGBA", (400, 300), (255, 0, 0, 128))
    rgba.save(media / "alpha.png")
    (media / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg" * 10)
    _png_bomb(media / "bomb.png")
    Image.new("RGB", (800, 600), (240, 240, 240)).save(media / "screenshot.png")
    removal = Removal(state="deleted", reason=RemovalReason.PERSONSJIKANE, removed_at=T0 + timedelta(hours=3),
                      removed_by="Redaktør Røed", note="Fjernet etter retningslinjene.",
                      screenshot=Media(id="shot1", kind="screenshot", path="screenshot.png"))
    comments = [
        comment(1, "Se bildet mitt", media=[Media(id="m-big", path="big.jpg"), Media(id="m-alpha", path="alpha.png")]),
        comment(2, "Ødelagt bilde", media=[Media(id="m-corrupt", path="corrupt.jpg")]),
        comment(3, "Bombe", media=[Media(id="m-bomb", path="bomb.png")]),
        comment(4, "Du er en idiot, Per Hansen på Ås!", removal=removal),
        comment(5, "Skjult svar", parent="c4",
                removal=Removal(state="hidden", reason=RemovalReason.SPAM, removed_by="Redaktør Røed")),
    ]
    thread = make_thread(comments)
    path = tmp_path_factory.mktemp("out") / "media.pdf"
    return path, render(thread, path, media_dir=media), thread


def test_big_image_is_downscaled_and_alpha_flattened(media_pdf) -> None:
    path, _, _ = media_pdf
    with pikepdf.open(path) as pdf:
        images = [xobj for page in pdf.pages for xobj in (page.Resources.get("/XObject") or {}).values()
                  if xobj.get("/Subtype") == "/Image"]
    assert len(images) == 3  # big, alpha, screenshot
    for image in images:
        assert max(int(image.Width), int(image.Height)) <= MAX_SIDE_PX
        assert "/SMask" not in image
    assert path.stat().st_size < 2_000_000


def test_corrupt_image_and_bomb_become_placeholders(media_pdf, caplog: pytest.LogCaptureFixture) -> None:
    path, result, _ = media_pdf
    assert len(result.warnings) == 2
    assert {(w.rule, w.severity) for w in result.warnings} == {("image-placeholder", "warning")}
    assert any("m-corrupt" in str(w) and "skadet" in str(w) for w in result.warnings)
    assert any("m-bomb" in str(w) and "for stort" in str(w) for w in result.warnings)
    text = squash(pypdf_text(path))
    assert squash("Bilde m-corrupt kan ikke vises") in text
    assert squash("Bilde m-bomb kan ikke vises") in text


def test_corrupt_image_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with caplog.at_level("WARNING", logger="exporters.pdf.story"):
        result = render(make_thread([comment(1, "x", media=[Media(id="m1", path="bad.png")])]), tmp_path / "o.pdf",
                        media_dir=tmp_path)
    assert result.warnings and "m1" in caplog.text


def test_removed_items_section(media_pdf) -> None:
    path, _, _ = media_pdf
    text = pypdf_text(path)
    flat = squash(text)
    conversation, _, removed_section = text.partition("Slettede og skjulte elementer (2)\n")
    assert removed_section, "removed-items section heading missing"
    assert squash("Teksten og dokumentasjonen står under «Slettede og skjulte elementer», element S1.") in flat
    assert squash("Du er en idiot, Per Hansen på Ås!") not in squash(conversation)
    for expected in ("Du er en idiot, Per Hansen på Ås!", "Personsjikane", "Redaktør Røed", "Skjult", "Spam",
                     "02.03.2026 kl. 13:15", "Fjernet etter retningslinjene.", "Opprinnelig tekst"):
        assert squash(expected) in squash(removed_section), expected
    with pikepdf.open(path) as pdf, pdf.open_outline() as outline:
        assert any(item.title.startswith("Slettede og skjulte elementer") for item in outline.root)


def test_visible_text_escapes_unsafe_characters() -> None:
    assert visible_text("a\u0007b\ud800c\r\nd\te") == "a⟨U+0007⟩b⟨U+D800⟩c\nd e"
    assert visible_text("\x00\x7f\x9f\uffff") == "⟨U+0000⟩⟨U+007F⟩⟨U+009F⟩⟨U+FFFF⟩"
