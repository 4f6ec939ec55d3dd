"""Thread → PDF/A document: one archival PDF per thread that loses no character.

``render_thread_pdf`` writes the document (PDF/A-2b by default, PDF/A-1b on request) of an in-memory thread,
``render_capture_pdf`` the same bytes from a capture file, streamed (memory does not grow with the thread), and
``check_pdfa`` verifies the PDF/A properties we can check offline (no veraPDF here).
"""

from exporters.pdf.checks import check_pdfa
from exporters.pdf.models import CoverInfo, PdfResult, RenderOptions
from exporters.pdf.render import render_capture_pdf, render_thread_pdf

__all__ = ["CoverInfo", "PdfResult", "RenderOptions", "check_pdfa", "render_capture_pdf", "render_thread_pdf"]
