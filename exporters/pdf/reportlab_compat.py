"""The one place where the renderer depends on reportlab internals: version guard, fingerprints, private copies.

Nothing here changes reportlab for anyone else: no attribute of a reportlab module or class is ever assigned.
What the renderer needs beyond reportlab's public API comes from these places:

- ``paragraph_module()``: a *private copy* of ``reportlab.platypus.paragraph`` (the same source file, executed
  once more as a module of its own), whose line breaking is set to break only at U+0020 (``split``, ``_wsc``,
  ``_wsc_end_search``), never to hyphenate at U+00AD (``_shy``) and to measure words with a memoised
  ``stringWidth``. Its ``Paragraph`` draws our markup paragraphs; reportlab's own ``Paragraph`` is untouched.
- ``fonts.KeepingTTFont.splitString``: reportlab's ``TTFont.splitString`` without its U+00A0 → space line, and
  ``fonts.SubsetMemoFace.makeSubset``: ``TTFontFace.makeSubset`` remembered (our own subclasses).
- chunk documents are written with ``compression`` off, which makes ``PDFPage.check_format``,
  ``TTFont.addObjects`` and ``TTFontFace.addSubsetObjects`` leave every stream's filters unset, so
  ``PDFStream.format`` applies the document's ``defaultStreamFilters``: ``render.ChunkFlate`` (a subclass of
  ``PDFStreamFilterZCompress``, set on each chunk document only); the writer compresses any stream still
  unfiltered (``writer.StreamPacker``).
- ``placing.place``: ``BaseDocTemplate.handle_flowable`` and ``Frame._add`` for the thread's own simple flowables
  (``RunsParagraph``, ``Bookmark``, ``PageBreakUnder``), reading the frame's cursor state; anything else goes
  through reportlab's own methods.

Each adapted reportlab attribute is listed in ``ADAPTED`` with a fingerprint of the source it was written
against; ``tests/test_pdf_isolation.py`` has one test per entry that fails on an upgrade that changes it, and
``check_reportlab()`` refuses a reportlab outside ``SUPPORTED`` (pyproject pins the same range).
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Callable
from functools import cache
from types import ModuleType

import reportlab
from reportlab.pdfbase import pdfmetrics

from schemas.errors import RenderError

SUPPORTED = ((5, 1), (5, 2))  # reportlab versions the adaptations were written for: >= 5.1, < 5.2
PARAGRAPH_COPY = "exporters.pdf._reportlab_paragraph_copy"  # module name of the private copy

# reportlab attribute → SHA-256 (first 16 hex) of its source (``fingerprint``) as of reportlab 5.1.0.
ADAPTED: dict[str, str] = {
    "reportlab.pdfbase.pdfdoc.PDFStreamFilterZCompress.encode": "b6d014860e42d048",
    "reportlab.pdfbase.pdfdoc.PDFStream.format": "12ee5c4d2e6ac259",
    "reportlab.pdfbase.pdfdoc.PDFPage.check_format": "4719e4564fc6da76",
    "reportlab.pdfbase.ttfonts.TTFont.addObjects": "33ac8d69ad7fe232",
    "reportlab.pdfbase.ttfonts.TTFont.splitString": "95205a99dcbbf1ed",
    "reportlab.pdfbase.ttfonts.TTFontFace.addSubsetObjects": "94116bc4d9d93e71",
    "reportlab.pdfbase.ttfonts.TTFontFace.makeSubset": "25b6baf377941767",
    "reportlab.platypus.doctemplate.BaseDocTemplate.handle_flowable": "8b165b1329c03452",
    "reportlab.platypus.doctemplate._addGeneratedContent": "66e5add9e322d2e4",
    "reportlab.platypus.flowables.CondPageBreak.wrap": "d38a9bbf40e3ea9e",
    "reportlab.platypus.flowables.Flowable.getSpaceAfter": "21d914c72f9c70c5",
    "reportlab.platypus.flowables.Flowable.getSpaceBefore": "cbb440a7bc68d474",
    "reportlab.platypus.frames.Frame._add": "3ef39bbbb80a8f7f",
    "reportlab.platypus.paragraph._shy": "2a8359087a37c592",
    "reportlab.platypus.paragraph._wsc": "02fbcdab045665ad",
    "reportlab.platypus.paragraph._wsc_end_search": "f32732ea096b8458",
    "reportlab.platypus.paragraph.split": "776780897b0af2d2",
    "reportlab.platypus.paragraph.stringWidth": "71af6bb2ff8f5730",
}


def version(text: str | None = None) -> tuple[int, ...]:
    """A reportlab version as numbers (``5.1.0`` → ``(5, 1, 0)``); the installed one by default."""
    return tuple(int(part) for part in (text or reportlab.Version).split(".")[:3] if part.isdigit())


def check_reportlab(found: str | None = None) -> None:
    """Refuse a reportlab (the installed one, or ``found``) outside ``SUPPORTED``: the adaptations here were
    checked against that range only."""
    low, high = SUPPORTED
    found = found or reportlab.Version
    if not low <= version(found)[:2] < high:
        raise RenderError(
            f"reportlab {found} støttes ikke av PDF-eksporten (krever >= {low[0]}.{low[1]}, "
            f"< {high[0]}.{high[1]}); se exporters/pdf/reportlab_compat.py"
        )


def _resolve(dotted: str) -> object:
    """The object named ``dotted`` (module path, then attributes)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        name = ".".join(parts[:cut])
        try:
            obj: object = importlib.import_module(name)
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise LookupError(dotted)


def fingerprint(dotted: str) -> str:
    """First 16 hex of the SHA-256 of the source (a function) or ``repr`` (a value) of reportlab's ``dotted``."""
    obj = _resolve(dotted)
    pattern = getattr(getattr(obj, "__self__", None), "pattern", None)
    if pattern is not None:  # a bound ``re.Pattern`` method: the pattern it searches
        text = repr(pattern)
    elif inspect.isfunction(obj) or inspect.ismethod(obj):
        text = inspect.getsource(obj)
    else:
        text = repr(obj)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@cache
def string_width(text: str, font_name: str, font_size: float, encoding: str = "utf8") -> float:
    """``pdfmetrics.stringWidth``, remembered (widths are a pure function of text, font and size)."""
    width: float = pdfmetrics.stringWidth(text, font_name, font_size, encoding)
    return width


WIDTHS_MAX = 1 << 16  # ``string_width`` is emptied when a document starts with more widths than this


def _split_at_spaces(text: str, delim: str | None = None) -> list[str]:
    """reportlab's ``paragraph.split``, breaking only at U+0020 (no empty words, like ``str.split()``)."""
    if delim is not None:
        return text.split(delim)
    return [word for word in text.split(" ") if word]


@cache
def paragraph_module() -> ModuleType:
    """A private copy of ``reportlab.platypus.paragraph`` that breaks lines only at U+0020 and never at U+00AD.

    reportlab breaks at (and then draws a plain space instead of) U+200B, U+2000–U+200A, U+202F, U+3000 and
    more, and removes every U+00AD from the text it draws; both would lose characters of an archived text.
    """
    check_reportlab()
    original = sys.modules.get("reportlab.platypus.paragraph") or importlib.import_module(
        "reportlab.platypus.paragraph"
    )
    spec = importlib.util.spec_from_file_location(PARAGRAPH_COPY, original.__file__)
    if spec is None or spec.loader is None:
        raise RenderError(f"reportlab: finner ikke kildefilen til {original.__name__}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[PARAGRAPH_COPY] = module  # so its classes can be found by name (copy, pickle)
    spec.loader.exec_module(module)
    module.split = _split_at_spaces  # type: ignore[attr-defined]
    module._wsc = " "  # type: ignore[attr-defined]  # its strip/lstrip/rstrip
    module._wsc_end_search = re.compile(" +$").search  # type: ignore[attr-defined]
    module._shy = "\x00\x00"  # type: ignore[attr-defined]  # never in drawn text (U+0000 is shown as an escape)
    module.stringWidth = string_width  # type: ignore[attr-defined]
    return module


def paragraph_class() -> Callable[..., object]:
    """``Paragraph`` of the private copy (``paragraph_module``)."""
    return paragraph_module().Paragraph  # type: ignore[no-any-return]
