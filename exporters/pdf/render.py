"""render_thread_pdf / render_capture_pdf: one deterministic PDF/A document per thread.

Both read the thread through a ``source.Source``: ``render_thread_pdf`` an in-memory ``Thread``,
``render_capture_pdf`` a capture file streamed into a SQLite store in the work dir (``capture_store``), so
that path holds no per-comment state in memory at all. The same thread gives the same bytes either way.

The thread is cut into chunks of whole top-level comment groups (``ThreadStory.units``/``chunks``). Each
chunk is laid out by reportlab platypus as its own small document from a lazily generated story and
written to a temporary file, so memory is bounded by the chunk, not the thread (reportlab keeps every
page of a document until it saves). A chunk starts on a new page. Chunks are rendered in a process pool
when the thread has several (the chunk boundaries depend only on the thread, never on the number of
workers, so the bytes are the same either way). pikepdf then joins the chunks (``merge.py``: pages, one
copy of each equal font subset, one outline), writes "Side x av y" into each page now that the page count
is known (one layout pass), and stamps the PDF/A metadata (``pdfa.py``). Each chunk's outline entries go to
a file next to the chunk and are read back when the outline is written, so they don't pile up either.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import pickle
import shutil
import stat
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pikepdf
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from exporters.pdf.capture_store import CaptureSource
from exporters.pdf.fonts import BODY, BODY_BOLD, BODY_ITALIC, font_set, request_seeds, route
from exporters.pdf.models import CoverInfo, PdfResult, RenderOptions
from exporters.pdf.pdfa import DocumentInfo, stamp_catalog
from exporters.pdf.placing import place
from exporters.pdf.reportlab_compat import check_reportlab
from exporters.pdf.source import Source, ThreadSource
from exporters.pdf.story import Chunk, FlowableStream, OutlineEntry, ThreadStory
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
from exporters.pdf.writer import FLATE_LEVEL, write_document
from schemas.errors import RenderError
from schemas.findings import Finding
from schemas.thread import PLATFORM_LABELS, Thread

BODY_POSTSCRIPT_NAME = "DejaVuSans"  # BaseFont of the body font, after the subset tag
FOOTER_Y = MARGIN_BOTTOM - 10

# Characters given fixed codes at the start of every chunk's body font subsets, so equal subsets in
# different chunks are byte-identical and stored once (merge.FontPool).
SUBSET_SEED = (
    "æøåÆØÅéèêëóòôöüäáàíúýÉÈÓÖÜÄÁÍčđŋšŧžǯʒČĐŊŠŦŽ«»‹›–—‘’‚“”„…•·°§¶†€£¢¥©®™×÷±½¼¾¹²³µ¿¡⟨⟩"
)


def draw_text(canv: Canvas, x: float, y: float, text: str, size: float, *, align_right: bool = False) -> None:
    """Draw one line of (possibly multi-script) text, routing each character to a font that has it."""
    runs, width = _line_runs(text, size)
    if align_right:
        x -= width
    for font, run, run_width in runs:
        canv.setFont(font, size)
        canv.drawString(x, y, run)
        x += run_width


@lru_cache(maxsize=64)
def _line_runs(text: str, size: float) -> tuple[tuple[tuple[str, str, float], ...], float]:
    """``draw_text``'s runs (font, text, width) and their total width (the footer repeats on every page)."""
    runs = route(visible_text(text).replace("\n", " "))
    return tuple((font, run, stringWidth(run, font, size)) for font, run in runs), sum(
        stringWidth(run, font, size) for font, run in runs
    )


class ChunkFlate(pdfdoc.PDFStreamFilterZCompress):
    """The Flate filter of a chunk document's streams: ``writer.FLATE_LEVEL``, text encoded as UTF-8 (what
    reportlab's filter does, at its default level), each font program compressed once per document."""

    def __init__(self) -> None:
        self._programs: dict[bytes, bytes] = {}

    def encode(self, text: str | bytes) -> bytes:
        if isinstance(text, str):
            return zlib.compress(text.encode("utf8"), FLATE_LEVEL)
        found = self._programs.get(text)
        if found is None:
            found = self._programs[text] = zlib.compress(text, FLATE_LEVEL)
        return found


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
            pageCompression=0,  # every stream goes through the document's default filter (``ChunkFlate``)
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
        self._footer_code: list[str] | None = None  # the footer's operators, drawn on the first page

    def beforeDocument(self) -> None:  # noqa: N802 (reportlab hook)
        # Compression is off for the document, so every stream reportlab writes takes the document's default
        # filters: ours (one zlib level, no ASCII85), set on this document only.
        self.canv._doc.defaultStreamFilters = [ChunkFlate()]
        seed_subsets(self.canv)

    def handle_flowable(self, flowables: list[Flowable]) -> None:
        """``BaseDocTemplate.handle_flowable``, shortened (``placing.place``) for the thread's own simple flowables
        that fit the frame; anything else goes through reportlab's own method."""
        if not place(self, flowables):
            super().handle_flowable(flowables)

    def _footer(self, canv: Canvas, doc: BaseDocTemplate) -> None:
        """The thread's label at the bottom right of every page.

        Drawn on the first page; later pages get the same operators again (the page starts in the same
        graphics state, the drawing is wrapped in ``q``/``Q`` and leaves the canvas state as it found it, and its
        font subset codes were assigned on the first page).
        """
        self.page_count = canv.getPageNumber()
        if self._footer_code is not None:
            canv._code.extend(self._footer_code)
            return
        start = len(canv._code)
        canv.saveState()
        canv.setFillColor(MUTED_COLOR)
        draw_text(canv, PAGE_WIDTH - MARGIN_RIGHT, FOOTER_Y, self.footer_right, FOOTER_SIZE, align_right=True)
        canv.restoreState()
        self._footer_code = canv._code[start:]


def footer_stream(page: pikepdf.Page, number: int, total: int) -> bytes:
    """Content that writes "Side x av y" on a page, now that y is known (no second layout pass).

    The text uses subset 0 of the body font, which reportlab always fills with printable ASCII at
    code = ASCII value (``ttfAsciiReadable``), so the label is plain ASCII bytes in that font. The page's
    own content is wrapped in q … Q (the writer puts a "q" stream first) so its state can't leak into this.
    """
    fonts = page.obj.Resources.Font
    name = next(
        key for key, font in fonts.items()
        if key.endswith("+0") and str(font.get("/BaseFont", "")).endswith("+" + BODY_POSTSCRIPT_NAME)
    )
    grey = MUTED_COLOR.red, MUTED_COLOR.green, MUTED_COLOR.blue
    label = f"Side {number} av {total}".encode("ascii")
    return (
        b"Q q %.4f %.4f %.4f rg BT %s %d Tf %.2f %.2f Td (%s) Tj ET Q\n"
        % (*grey, name.encode(), FOOTER_SIZE, MARGIN_LEFT, FOOTER_Y, label)
    )


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


def seed_subsets(canv: Canvas) -> None:
    """Give ``SUBSET_SEED`` fixed codes in this document's body font subsets (see ``merge.FontPool``), each on the
    font's first use in the document (``fonts.request_seeds``)."""
    request_seeds(canv._doc, (BODY, BODY_BOLD, BODY_ITALIC), SUBSET_SEED)


@dataclass
class ChunkResult:
    path: str
    pages: int
    outline: str  # file of the chunk's outline entries (``OutlineFile``)
    warnings: list[Finding] = field(default_factory=list)


class OutlineFile:
    """A chunk's outline entries, pickled to a file by the chunk's renderer; iterable any number of times."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @staticmethod
    def write(path: Path, entries: list[OutlineEntry]) -> None:
        with path.open("wb") as handle:
            pickle.dump([(e.title, e.level, e.page, e.top) for e in entries], handle, pickle.HIGHEST_PROTOCOL)

    def __iter__(self) -> Iterator[OutlineEntry]:
        with self.path.open("rb") as handle:
            rows = pickle.load(handle)
        return (OutlineEntry(*row) for row in rows)


class ChunkJob:
    """One render's chunks: what a chunk worker needs to render chunk ``index`` (the render's own state).

    Forked workers get it through the pool's initializer (inherited memory, never pickled), so the thread is not
    sent to them; they also freeze the inherited heap (``gc.freeze``) so their collections don't walk (and
    copy-on-write) it. The parent process's collector is never touched.
    """

    def __init__(self, story: ThreadStory, chunks: list[Chunk], directory: Path, footer: str,
                 info: DocumentInfo) -> None:
        self.story, self.chunks, self.directory, self.footer, self.info = story, chunks, directory, footer, info

    def render(self, index: int) -> ChunkResult:
        font_set()
        story = self.story
        story.outline, story.warnings = [], []
        path = self.directory / f"chunk-{index:05d}.pdf"
        doc = ThreadDocTemplate(str(path), footer_right=self.footer, info=self.info)
        doc.build(FlowableStream(story.flowables(self.chunks[index])))
        outline = self.directory / f"chunk-{index:05d}.outline"
        OutlineFile.write(outline, story.outline)
        story.outline = []
        return ChunkResult(str(path), doc.page_count, str(outline), story.warnings)

    def results(self, workers: int) -> tuple[list[ChunkResult], int]:
        """Every chunk's result in order, and the number of processes that rendered them.

        Several chunks are rendered in a pool of ``workers`` forked processes, but only from a single-threaded
        process: forking one that runs other threads (Prefect's API client, event loop, heartbeats) can leave a
        worker stuck on a lock another thread held at the fork. The bytes are the same either way.
        """
        count = len(self.chunks)
        workers = min(workers, count)
        if workers <= 1 or threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
            return [self.render(index) for index in range(count)], 1
        self.story.source.close()  # a database connection must not cross the fork: the workers open their own
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_start_worker, initargs=(self,)) as pool:
            return list(pool.map(_render_in_worker, range(count))), workers


_worker_job: ChunkJob | None = None  # set in a forked chunk worker only (``_start_worker``), never in the parent


def _start_worker(job: ChunkJob) -> None:
    global _worker_job
    _worker_job = job
    gc.freeze()  # the inherited heap (the thread above all) is never collected in the worker


def _render_in_worker(index: int) -> ChunkResult:
    if _worker_job is None:
        raise RenderError("PDF: en kapittelprosess ble startet uten oppdrag")
    return _worker_job.render(index)


def render_thread_pdf(
    thread: Thread,
    out_path: Path,
    *,
    cover: CoverInfo,
    media_dir: Path | None,
    pdfa_part: Literal["1", "2"] = "2",
    options: RenderOptions | None = None,
) -> PdfResult:
    """Render ``thread`` as one PDF/A-``pdfa_part``b document at ``out_path``; same input, same bytes."""
    return _render(lambda work: ThreadSource(thread), out_path, cover=cover, media_dir=media_dir, pdfa_part=pdfa_part,
                   options=options or RenderOptions())


def render_capture_pdf(
    capture_path: Path,
    out_path: Path,
    *,
    cover: CoverInfo,
    media_dir: Path | None,
    pdfa_part: Literal["1", "2"] = "2",
    options: RenderOptions | None = None,
) -> PdfResult:
    """``render_thread_pdf`` of the capture file at ``capture_path``, streamed: memory does not grow with the
    thread. The bytes are those of ``render_thread_pdf(load_thread(capture_path), ...)``; a capture that
    doesn't validate raises ``schemas.capture.CaptureError`` naming the file, thread, item and field."""
    capture_path = Path(capture_path)
    return _render(lambda work: CaptureSource.load(capture_path, work / "thread.sqlite"), out_path, cover=cover,
                   media_dir=media_dir, pdfa_part=pdfa_part, options=options or RenderOptions())


def _check_target(out_path: Path) -> None:
    """Refuse an ``out_path`` that exists and is not a regular file (a device, folder, FIFO or symlink): the
    finished document replaces it, which must never replace anything but an earlier document."""
    for path in (out_path, out_path.with_name(out_path.name + ".chunks.tmp"),
                 out_path.with_name(out_path.name + ".pdfa.tmp")):
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise RenderError(f"PDF: kan ikke skrive til {path}: {exc.strerror}") from exc
        if path == out_path and stat.S_ISREG(mode):
            continue
        if path != out_path and stat.S_ISDIR(mode) and not os.path.islink(path):
            continue  # a work folder left by a killed render: removed and made again
        if path != out_path and stat.S_ISREG(mode):
            continue
        raise RenderError(f"PDF: {path} finnes og er ikke en vanlig fil; velg et annet filnavn")


def _render(
    open_source: Callable[[Path], Source],
    out_path: Path,
    *,
    cover: CoverInfo,
    media_dir: Path | None,
    pdfa_part: Literal["1", "2"],
    options: RenderOptions,
) -> PdfResult:
    """Render the thread of ``open_source(work dir)``; see the module docstring."""
    check_reportlab()
    font_set()
    out_path = Path(out_path)
    _check_target(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    work = out_path.with_name(out_path.name + ".chunks.tmp")
    stamped = out_path.with_name(out_path.name + ".pdfa.tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    source: Source | None = None
    try:
        source = open_source(work)
        thread = source.header
        info = _document_info(thread, cover)
        story = ThreadStory(source, cover, media_dir)
        chunks = story.chunks(options.chunk_size(source.comment_count))
        footer = f"{PLATFORM_LABELS[thread.platform]} · {thread.account.name} · tråd {thread.thread_id}"
        results, workers = ChunkJob(story, chunks, work, footer[:90], info).results(options.workers)
        warnings = [message for result in results for message in result.warnings]
        story.log_warnings(warnings)
        pages = sum(result.pages for result in results)
        with pikepdf.new() as shell:
            stamp_catalog(shell, info, part=pdfa_part)
            write_document(
                stamped, ((Path(r.path), OutlineFile(Path(r.outline))) for r in results), pages, shell=shell,
                part=pdfa_part, footer=footer_stream,
            )
        os.replace(stamped, out_path)
    finally:
        if source is not None:
            source.close()
        shutil.rmtree(work, ignore_errors=True)
        stamped.unlink(missing_ok=True)
    return PdfResult(
        pages=pages,
        size=out_path.stat().st_size,
        sha256=_sha256_of(out_path),
        warnings=warnings,
        workers=workers,
    )
