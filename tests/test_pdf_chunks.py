"""A thread rendered as several chunks (forced small) reads as one document: numbering, outline, text, bytes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pikepdf
import pypdf
import pytest

from exporters.pdf import CoverInfo, RenderOptions, check_pdfa
from exporters.pdf.source import ThreadSource
from exporters.pdf.story import ThreadStory
from schemas.thread import Removal, RemovalReason
from tests.conftest import REPO_ROOT
from tests.test_pdf import comment, make_thread
from tests.test_pdf import render as render_checked

CHUNK = 20


def _thread():
    items = []
    for n in range(1, 101):
        parent = f"c{n - 1}" if n % 4 == 0 else None  # every 4th comment replies to the one before
        items.append(comment(n, f"Kommentar nummer {n} om skolen på Ås, æøå čđŋ 👍 slutt{n}.", parent=parent))
    return make_thread(items)


SMALL = RenderOptions(workers=1, chunk_comments=CHUNK, single_chunk_comments=0)  # several chunks, in-process


@pytest.fixture
def chunked(tmp_path: Path):
    thread = _thread()
    path = tmp_path / "chunked.pdf"
    return thread, path, render_checked(thread, path, options=SMALL)


def _reference_chunks(thread, max_weight: int) -> list[tuple[int, int, int, int, bool, bool]]:
    """The chunking of the list-based story before sources (units in a list, cut by weight), as comment and
    removed-item ranges plus the two headings: the streamed one must cut at the same places."""
    units: list[tuple] = [("head",)]
    start = 0
    for index in range(1, len(thread.comments) + 1):
        if index == len(thread.comments) or thread.comments[index].parent_id is None:
            units.append(("group", start, index))
            start = index
    removed = [item for item in thread.all_items() if item.removal is not None]
    if removed:
        units += [("removed_head",), *(("removed", n) for n in range(len(removed)))]
    cuts, start, weight = [], 0, 0
    for index, unit in enumerate(units):
        weight += unit[2] - unit[1] if unit[0] == "group" else 1
        if weight >= max_weight and unit[0] not in ("head", "removed_head") and index + 1 < len(units):
            cuts.append((start, index + 1))
            start, weight = index + 1, 0
    cuts.append((start, len(units)))
    out = []
    for first, stop in cuts:
        part = units[first:stop]
        groups = [u for u in part if u[0] == "group"]
        items = [u[1] for u in part if u[0] == "removed"]
        out.append((groups[0][1] if groups else 0, groups[-1][2] if groups else 0,
                    items[0] if items else 0, items[-1] + 1 if items else 0,
                    ("head",) in part, ("removed_head",) in part))
    return out


@pytest.mark.parametrize("max_weight", [1, 2, 7, 20, 150, 1000])
def test_chunks_cut_where_the_list_based_story_did(max_weight: int) -> None:
    comments = _thread().comments
    removal = Removal(state="hidden", reason=RemovalReason.SPAM)
    for n in (5, 17, 40, 99):  # some removed items, so the removed-items section has several units
        comments[n] = comments[n].model_copy(update={"removal": removal})
    for thread in (_thread(), make_thread(comments), make_thread([]), make_thread(comments[:1])):
        story = ThreadStory(ThreadSource(thread), CoverInfo(None, None, None, ""), None)
        got = [(c.start, c.stop, c.removed_start, c.removed_stop, c.head, c.removed_head)
               for c in story.chunks(max_weight)]
        assert got == _reference_chunks(thread, max_weight)


def test_chunk_size_depends_only_on_the_thread() -> None:
    assert RenderOptions().chunk_size(300) == 150 and RenderOptions().chunk_size(20_000) == 1000
    assert RenderOptions().chunk_size(10) > 10 and SMALL.chunk_size(10) == 5 and SMALL.chunk_size(100) == 20


def test_chunked_render_is_one_document(chunked) -> None:
    thread, path, result = chunked
    story = ThreadStory(ThreadSource(thread), CoverInfo(None, None, None, ""), None)
    assert len(story.chunks(CHUNK)) >= 5
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == result.pages
    texts = [page.extract_text() for page in reader.pages]
    for number, text in enumerate(texts, start=1):
        assert f"Side {number} av {result.pages}" in text
    flat = "".join("".join(text.split()) for text in texts)
    for item in thread.all_items():
        assert "".join(item.text.split()) in flat
    assert check_pdfa(path, part="2") == []
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == "nb-NO"
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
            top = next(item for item in outline.root if item.title.startswith("Kommentarer"))
            children = [child.title for child in top.children]
            destinations = [child.destination for child in top.children]
        fonts = {font.objgen for page in pdf.pages for font in page.Resources.Font.values()}
    assert titles == ["Forside", "Innlegget", "Kommentarer (100)"]
    top_level = [c for c in thread.comments if c.parent_id is None]
    assert len(children) == len(top_level) == 75
    assert [title.split(".")[0] for title in children] == [c.id[1:] for c in top_level]
    pages = [int(dest[0].objgen[0]) for dest in destinations]
    assert len(set(pages)) > 1  # entries point at pages of later chunks too
    assert len(fonts) <= 6  # equal font subsets of the chunks are stored once


_POOL_PREAMBLE = """
import sys
from pathlib import Path
from exporters.pdf import RenderOptions
from tests.test_pdf_chunks import CHUNK

POOLED = RenderOptions(workers=2, chunk_comments=CHUNK, single_chunk_comments=0)
"""


def run_pooled(render_result: str, *args: str) -> list[str]:
    """Run ``render_result`` (code that sets ``result`` to a ``PdfResult``) in a fresh, single-threaded Python
    with small chunks and 2 workers (``POOLED``; this process runs test servers, so it never forks); return the
    number of processes that rendered the chunks and the PDF's SHA-256, as printed there."""
    script = _POOL_PREAMBLE + render_result + "\nprint(result.workers, result.sha256)\n"
    return subprocess.run(
        [sys.executable, "-c", script, *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()


def test_chunked_render_is_deterministic_and_independent_of_workers(tmp_path: Path) -> None:
    thread = _thread()
    first = render_checked(thread, tmp_path / "a.pdf", options=SMALL)
    again = render_checked(thread, tmp_path / "b.pdf", options=SMALL)
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes() and first.sha256 == again.sha256
    assert first.workers == 1
    # Two workers fork only in a single-threaded process (this one runs test servers): use a fresh one.
    pooled = run_pooled(
        "from tests.test_pdf import render\nfrom tests.test_pdf_chunks import _thread\n"
        "result = render(_thread(), sys.argv[1], options=POOLED)",
        str(tmp_path / "pooled.pdf"),
    )
    assert pooled == ["2", first.sha256]
    render_checked(thread, tmp_path / "a1.pdf", part="1", options=SMALL)


def test_no_fork_while_other_threads_run(tmp_path: Path) -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        result = render_checked(_thread(), tmp_path / "threaded.pdf",
                                options=RenderOptions(workers=2, chunk_comments=CHUNK, single_chunk_comments=0))
    finally:
        stop.set()
        other.join()
    assert result.pages > 1 and result.workers == 1


@pytest.mark.parametrize("part", ["1", "2"])
def test_qpdf_finds_no_structural_problem_in_a_merged_document(tmp_path: Path, part: str) -> None:
    qpdf = shutil.which("qpdf")
    assert qpdf, "qpdf is missing: ./dev test installs Debian's qpdf"
    path = tmp_path / f"chunked-{part}.pdf"
    render_checked(_thread(), path, part=part, options=SMALL)
    checked = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No syntax or stream encoding errors found" in checked.stdout
    assert "WARNING" not in checked.stdout + checked.stderr
