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

import exporters.pdf.render as render
from exporters.pdf import CoverInfo, check_pdfa
from exporters.pdf.render import chunk_size
from exporters.pdf.story import ThreadStory
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


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "CHUNK_COMMENTS", CHUNK)
    monkeypatch.setattr(render, "SINGLE_CHUNK_COMMENTS", 0)


@pytest.fixture
def chunked(small_chunks: None, tmp_path: Path):
    thread = _thread()
    path = tmp_path / "chunked.pdf"
    return thread, path, render_checked(thread, path)


def test_chunk_size_depends_only_on_the_thread() -> None:
    assert chunk_size(10) > 10  # small threads: one chunk
    assert chunk_size(300) == 150 and chunk_size(20_000) == render.CHUNK_COMMENTS


def test_chunked_render_is_one_document(chunked) -> None:
    thread, path, result = chunked
    story = ThreadStory(thread, CoverInfo(None, None, None, ""), None)
    assert len(story.chunks(story.units(), CHUNK)) >= 5
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


_POOLED_RENDER = """
import sys
import threading
import exporters.pdf.render as render
from tests.conftest import REPO_ROOT
from tests.test_pdf import render as render_checked
from tests.test_pdf_chunks import CHUNK, _thread

pools = []

class CountingPool(render.ProcessPoolExecutor):
    def __init__(self, *args, **kwargs):
        pools.append(kwargs.get("max_workers"))
        super().__init__(*args, **kwargs)

render.ProcessPoolExecutor = CountingPool
render.CHUNK_COMMENTS, render.SINGLE_CHUNK_COMMENTS, render.WORKERS = CHUNK, 0, 2
result = render_checked(_thread(), sys.argv[1])
print(pools, result.sha256)
"""


def test_chunked_render_is_deterministic_and_independent_of_workers(
    small_chunks: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread = _thread()
    monkeypatch.setattr(render, "WORKERS", 1)
    first = render_checked(thread, tmp_path / "a.pdf")
    again = render_checked(thread, tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes() and first.sha256 == again.sha256
    # Two workers fork only in a single-threaded process (this one runs test servers): use a fresh one.
    pooled = subprocess.run(
        [sys.executable, "-c", _POOLED_RENDER, str(tmp_path / "pooled.pdf")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split()
    assert pooled == ["[2]", first.sha256]
    render_checked(thread, tmp_path / "a1.pdf", part="1")


def test_no_fork_while_other_threads_run(small_chunks: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("forked a multi-threaded process")

    monkeypatch.setattr(render, "WORKERS", 2)
    monkeypatch.setattr(render, "ProcessPoolExecutor", refuse)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        result = render_checked(_thread(), tmp_path / "threaded.pdf")
    finally:
        stop.set()
        other.join()
    assert result.pages > 1


@pytest.mark.parametrize("part", ["1", "2"])
def test_qpdf_finds_no_structural_problem_in_a_merged_document(
    small_chunks: None, tmp_path: Path, part: str
) -> None:
    qpdf = shutil.which("qpdf")
    assert qpdf, "qpdf is missing: ./dev test installs Debian's qpdf"
    path = tmp_path / f"chunked-{part}.pdf"
    render_checked(_thread(), path, part=part)
    checked = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No syntax or stream encoding errors found" in checked.stdout
    assert "WARNING" not in checked.stdout + checked.stderr
