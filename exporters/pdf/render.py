"""render_thread_pdf: one deterministic PDF/A document per thread.

reportlab platypus lays out a lazily generated story (bounded memory); the page footer says
"Side x av y",
written into each page with pikepdf once the page count is known (one layout pass). pikepdf then
stamps the PDF/A metadata (see ``pdfa.py``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal

import pikepdf
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

from exporters.pdf.fonts import BODY, font_set, route
from exporters.pdf.models import CoverInfo, PdfResult
from exporters.pdf.pdfa import DocumentInfo, stamp_pdfa
from exporters.pdf.story import FlowableStream, ThreadStory
from exporters.pdf.styles import (
    FOOTER_SIZE,
    FRAME_HEIGHT,
    FRAME_WIDTH,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    MUTED_COLOR,
    PAGE_WIDTH,
)
from exporters.pdf.text import visible_text
from schemas.thread import PLATFORM_LABELS, Thread

BODY_POSTSCRIPT_NAME = "DejaVuSans"  # BaseFont of the body font, after the subset tag
FOOTER_Y = MARGIN_BOTTOM - 10


def draw_text(canv: Canvas, x: float, y: float, text: str, size: float, *, align_right: bool = False) -> None:
    """Draw one line of (possibly multi-script) text, routing each character to a font that has it."""
    runs = route(visible_text(text).replace("\n", " "))
    if align_right:
        x -= sum(stringWidth(run, font, size) for font, run in runs)
    for font, run in runs:
        canv.setFont(font, size)
        canv.drawString(x, y, run)
        x += stringWidth(run, font, size)


class ThreadDocTemplate(BaseDocTemplate):
    """A4 pages with a "Side x av y" footer; y is drawn through a form defined after the last page."""

    def __init__(self, filename: str, *, footer_right: str, info: DocumentInfo) -> None:
        super().__init__(
            filename,
            pagesize=A4,
            leftMargin=MARGIN_LEFT,
            rightMargin=MARGIN_RIGHT,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=info.title,
            author=info.author,
            subject=info.subject,
            keywords=info.keywords,
            creator="somearkiv",
            lang=info.language,
            invariant=1,
            pageCompression=1,
            initialFontName=BODY,
            initialFontSize=FOOTER_SIZE,
        )
        frame = Frame(
            MARGIN_LEFT, MARGIN_BOTTOM, FRAME_WIDTH, FRAME_HEIGHT, id="body", leftPadding=0, rightPadding=0,
            topPadding=0, bottomPadding=0,
        )
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._footer)])
        self.footer_right = footer_right
        self.page_count = 0

    def _footer(self, canv: Canvas, doc: BaseDocTemplate) -> None:
        self.page_count = canv.getPageNumber()
        canv.saveState()
        canv.setFillColor(MUTED_COLOR)
        draw_text(canv, PAGE_WIDTH - MARGIN_RIGHT, FOOTER_Y, self.footer_right, FOOTER_SIZE, align_right=True)
        canv.restoreState()


def number_pages(pdf: pikepdf.Pdf) -> None:
    """Write "Side x av y" on every page, now that y is known (no second layout pass).

    The text uses subset 0 of the body font, which reportlab always fills with printable ASCII at
    code = ASCII value (``ttfAsciiReadable``), so the label is plain ASCII bytes in that font.
    """
    total = len(pdf.pages)
    grey = MUTED_COLOR.red, MUTED_COLOR.green, MUTED_COLOR.blue
    for number, page in enumerate(pdf.pages, start=1):
        fonts = page.obj.Resources.Font
        name = next(
            key for key, font in fonts.items()
            if key.endswith("+0") and str(font.get("/BaseFont", "")).endswith("+" + BODY_POSTSCRIPT_NAME)
        )
        label = f"Side {number} av {total}".encode("ascii")
        stream = (
            b"Q q %.4f %.4f %.4f rg BT %s %d Tf %.2f %.2f Td (%s) Tj ET Q\n"
            % (*grey, name.encode(), FOOTER_SIZE, MARGIN_LEFT, FOOTER_Y, label)
        )
        page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
        page.contents_add(pikepdf.Stream(pdf, stream), prepend=False)


def _document_info(thread: Thread, cover: CoverInfo) -> DocumentInfo:
    platform = PLATFORM_LABELS[thread.platform]
    keywords = [platform, thread.account.name, f"tråd {thread.thread_id}"]
    if cover.case_number:
        keywords.append(f"sak {cover.case_number}")
    if cover.flag_label:
        keywords.append(cover.flag_label)
    return DocumentInfo(
        title=" ".join(visible_text(thread.display_title).split()),
        author=visible_text(thread.account.name),
        subject=visible_text(f"{platform}-tråd på {thread.account.name} ({thread.account.owning_unit})"),
        keywords=visible_text(", ".join(keywords)),
        created=thread.captured_at,
    )


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def render_thread_pdf(
    thread: Thread,
    out_path: Path,
    *,
    cover: CoverInfo,
    media_dir: Path | None,
    pdfa_part: Literal["1", "2"] = "2",
) -> PdfResult:
    """Render ``thread`` as one PDF/A-``pdfa_part``b document at ``out_path``; same input, same bytes."""
    font_set()
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    raw = out_path.with_name(out_path.name + ".reportlab.tmp")
    stamped = out_path.with_name(out_path.name + ".pdfa.tmp")
    info = _document_info(thread, cover)
    story = ThreadStory(thread, cover, media_dir)
    footer = f"{PLATFORM_LABELS[thread.platform]} · {thread.account.name} · tråd {thread.thread_id}"
    try:
        doc = ThreadDocTemplate(str(raw), footer_right=footer[:90], info=info)
        doc.build(FlowableStream(story.flowables()))
        stamp_pdfa(raw, stamped, info, part=pdfa_part, edit=number_pages)
        os.replace(stamped, out_path)
    finally:
        raw.unlink(missing_ok=True)
        stamped.unlink(missing_ok=True)
    return PdfResult(
        pages=doc.page_count,
        size=out_path.stat().st_size,
        sha256=_sha256_of(out_path),
        warnings=list(story.warnings),
    )
