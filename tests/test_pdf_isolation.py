"""The renderer leaves reportlab alone: another reportlab document in the same process gets the same bytes, and
every reportlab internal the renderer adapts (``reportlab_compat.ADAPTED``) is the one it was written for."""

from __future__ import annotations

import subprocess
import sys

import pytest
import reportlab

from exporters.pdf import reportlab_compat
from schemas.errors import RenderError
from tests.conftest import REPO_ROOT

PLAIN_DOC = r'''
import hashlib, io
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate


def plain_document() -> str:
    """A small plain reportlab document: base-14 fonts, compressed pages, a paragraph with the characters our
    line breaking treats differently (U+200B, U+2009, U+00AD, U+00A0) and a long word."""
    out = io.BytesIO()
    text = "Hei\u200bverden thin\u2009space soft\u00adhyphen nb\u00a0sp " * 20 + "x" * 300
    doc = SimpleDocTemplate(out, invariant=1, pageCompression=1)
    doc.build([Paragraph(text, getSampleStyleSheet()["BodyText"]) for _ in range(3)])
    canvas = Canvas(io.BytesIO(), invariant=1)
    canvas.drawString(72, 72, "blåbær æøå € ½")
    canvas.showPage()
    canvas.save()
    return hashlib.sha256(out.getvalue() + canvas.getpdfdata()).hexdigest()
'''

RENDER_BETWEEN = PLAIN_DOC + r'''
import sys
from pathlib import Path
before = plain_document()
import exporters.pdf
from exporters.pdf import RenderOptions
imported = plain_document()
from tests.test_pdf import render
from tests.test_pdf_text import LTR, RTL
from tests.test_pdf import comment, make_thread
thread = make_thread([comment(n, f"{key} {text}") for n, (key, text) in enumerate({**LTR, **RTL}.items(), 1)])
render(thread, Path(sys.argv[1]))
used = plain_document()
print(before, imported, used)
'''


def _run(code: str, *args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.split()


def test_rendering_a_thread_leaves_other_reportlab_documents_byte_identical(tmp_path) -> None:
    """In a fresh process: the plain document before importing the renderer, after importing it and after
    rendering a thread with it, and in a process that never imported ``exporters.pdf``: one hash."""
    before, imported, used = _run(RENDER_BETWEEN, str(tmp_path / "thread.pdf"))
    never = "\nimport sys\nprint(plain_document())\nassert 'exporters.pdf' not in sys.modules\n"
    (untouched,) = _run(PLAIN_DOC + never)
    assert (tmp_path / "thread.pdf").stat().st_size > 0
    assert before == imported == used == untouched


def test_the_private_paragraph_module_is_not_reportlabs() -> None:
    import reportlab.platypus.paragraph as theirs

    ours = reportlab_compat.paragraph_module()
    assert ours is not theirs and ours.Paragraph is not theirs.Paragraph
    assert theirs._shy == "\xad" and theirs.split("a\u2009b c") == ["a", "b", "c"]  # reportlab's own, untouched
    assert ours.split("a\u2009b c") == ["a\u2009b", "c"]


@pytest.mark.parametrize("attribute", sorted(reportlab_compat.ADAPTED))
def test_adapted_reportlab_attribute_is_unchanged(attribute: str) -> None:
    """Fails on a reportlab whose ``attribute`` differs from the one ``reportlab_compat`` adapted: re-check the
    adaptation (see the docstring of ``exporters/pdf/reportlab_compat.py``), then update ``ADAPTED``."""
    found = reportlab_compat.fingerprint(attribute)
    assert found == reportlab_compat.ADAPTED[attribute], (
        f"reportlab {reportlab.Version} changed {attribute} (fingerprint {found}); re-check its adaptation"
    )


def test_reportlab_version_is_in_the_supported_range() -> None:
    reportlab_compat.check_reportlab()
    low, high = reportlab_compat.SUPPORTED
    assert low <= reportlab_compat.version()[:2] < high


@pytest.mark.parametrize("found", ["9.0.0", "5.2.0", "4.4.4"])
def test_unsupported_reportlab_is_refused_with_a_render_error(found: str) -> None:
    with pytest.raises(RenderError, match=f"reportlab {found} støttes ikke"):
        reportlab_compat.check_reportlab(found)
