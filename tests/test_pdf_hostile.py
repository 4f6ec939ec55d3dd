"""Inputs the schema accepts but that once crashed the renderer: extreme dates, lone surrogates in names."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from exporters.pdf import render_capture_pdf
from schemas.capture import capture_bytes
from schemas.thread import Author, Item, Revision, Thread
from tests.test_pdf import COVER, comment, make_thread, poppler_text, pypdf_text, render

PLUS5, MINUS5 = timezone(timedelta(hours=5)), timezone(timedelta(hours=-5))
YEAR_1 = datetime(1, 1, 1, 0, 30, tzinfo=PLUS5)  # year 0 in UTC: out of datetime's range
YEAR_9999 = datetime(9999, 12, 31, 23, 30, tzinfo=MINUS5)  # year 10000 in UTC


def _edge_thread() -> Thread:
    comments = [
        comment(1, "Fra år 1").model_copy(update={"created_at": YEAR_1}),
        comment(2, "Fra år 9999", edited_at=YEAR_9999, revisions=[Revision(text="før", valid_from=YEAR_1,
                                                                            valid_to=YEAR_9999)]),
    ]
    return Thread.model_validate({**make_thread(comments).model_dump(), "captured_at": YEAR_9999})


@pytest.mark.parametrize("part", ["2", "1"])
def test_dates_at_the_ends_of_the_range_are_rendered_in_their_own_offset(tmp_path: Path, part: str) -> None:
    thread = _edge_thread()
    path = tmp_path / "edge.pdf"
    render(thread, path, part=part)  # also PDF/A-checked
    text = pypdf_text(path)
    assert "01.01.0001 kl. 00:30 (UTC+05:00)" in text
    assert "31.12.9999 kl. 23:30 (UTC-05:00)" in text


def test_dates_at_the_ends_of_the_range_through_the_capture_path(tmp_path: Path) -> None:
    thread = _edge_thread()
    capture = tmp_path / "thread.json"
    capture.write_bytes(capture_bytes(thread))
    out = tmp_path / "capture.pdf"
    render_capture_pdf(capture, out, cover=COVER, media_dir=None)
    assert "01.01.0001 kl. 00:30 (UTC+05:00)" in pypdf_text(out)


def test_lone_surrogates_in_author_names_render_escaped(tmp_path: Path) -> None:
    """A capture may hold a lone surrogate anywhere in its text (kept verbatim in capture/thread.json); the PDF
    shows it as a visible escape, through both the model and the streamed capture path."""
    odd = Author(id="u1", display_name="Ola \udc00 Nordmann")  # (ids have a length rule: no lone surrogates)
    first = Item(id="c1", author=odd, created_at=YEAR_1.replace(year=2026), text="Hei \ud800")
    reply = comment(2, "Svar", parent="c1")
    thread = make_thread([first, reply])
    model = tmp_path / "model.pdf"
    render(thread, model)
    capture = tmp_path / "thread.json"
    capture.write_bytes(capture_bytes(thread))
    streamed = tmp_path / "capture.pdf"
    render_capture_pdf(capture, streamed, cover=COVER, media_dir=None)
    assert streamed.read_bytes() == model.read_bytes()
    text = pypdf_text(streamed)
    assert "Ola ⟨U+DC00⟩ Nordmann" in text
    assert "svar til Ola ⟨U+DC00⟩ Nordmann" in text
    assert "⟨U+DC00⟩" in poppler_text(streamed)


def test_the_cover_shows_how_complete_the_capture_is(tmp_path: Path) -> None:
    from schemas.thread import Completeness, Gap

    gaps = [Gap(reason="hidden", count=2), Gap(reason="api_limit")]
    thread = make_thread([comment(1, "Hei")]).model_copy(
        update={"completeness": Completeness(reported=12, captured=9, gaps=gaps)}
    )
    out = tmp_path / "complete.pdf"
    render(thread, out)  # asserts check_pdfa and pikepdf's verdict
    text = " ".join(poppler_text(out).split())
    assert "Fullstendighet" in text and "9 av 12 kommentarer plattformen oppgir" in text
    assert "mangler: skjult (2), API-grense" in text


@pytest.mark.parametrize("target", ["folder", "fifo", "symlink", "symlinked-work"])
def test_the_output_never_replaces_anything_but_a_file(tmp_path: Path, target: str) -> None:
    """``out`` naming a folder, a FIFO or a symlink (to a file elsewhere) is refused before anything is
    written; what it named is left as it was."""
    import os

    from schemas.errors import RenderError

    capture = tmp_path / "thread.json"
    capture.write_bytes(capture_bytes(make_thread([comment(1, "Hei")])))
    out, elsewhere = tmp_path / "out.pdf", tmp_path / "elsewhere.txt"
    elsewhere.write_text("urørt")
    if target == "folder":
        out.mkdir()
    elif target == "fifo":
        os.mkfifo(out)
    elif target == "symlink":
        out.symlink_to(elsewhere)
    else:
        (tmp_path / "out.pdf.pdfa.tmp").symlink_to(elsewhere)
    with pytest.raises(RenderError, match="ikke en vanlig fil"):
        render_capture_pdf(capture, out, cover=COVER, media_dir=None)
    assert elsewhere.read_text() == "urørt"
    assert out.is_dir() if target == "folder" else True
    if target == "symlink":
        assert out.is_symlink()


def test_an_earlier_document_is_replaced(tmp_path: Path) -> None:
    capture = tmp_path / "thread.json"
    capture.write_bytes(capture_bytes(make_thread([comment(1, "Hei")])))
    out = tmp_path / "out.pdf"
    out.write_bytes(b"old")
    render_capture_pdf(capture, out, cover=COVER, media_dir=None)
    assert out.read_bytes().startswith(b"%PDF-")
