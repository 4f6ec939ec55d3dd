"""Capture completeness in the package index, on the queue and in the archivist's start-page chart."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from exporters.package import BuiltPackage
from pipeline.export import ExportConfig, stage_thread, upload_package
from pipeline.package_index import package_row, sync_index
from pipeline.settings import Settings
from schemas.thread import Completeness, Gap
from storage.local import LocalSink
from tests.web_support import EXPORTED, WebWorld, candidate_thread, demo_bucket_template, make_world, signed_in
from workflow.packages import PackageFilter, query_packages

__all__ = ["demo_bucket_template"]
GAP_ID = "7465123098844088888"


@pytest.fixture
def world(tmp_path: Path, demo_bucket_template: Path, xsd_dir: Path) -> Iterator[WebWorld]:
    made = make_world(tmp_path, demo_bucket_template, xsd_dir)
    yield made
    made.deps.db.dispose()


def _export_with_gap(world: WebWorld, tmp_path: Path) -> str:
    """A TikTok thread whose platform reports 9 comments where the capture holds fewer (a hidden-comment gap)."""
    thread = candidate_thread()
    captured = len(thread.comments)
    thread = thread.model_copy(update={
        "thread_id": GAP_ID, "url": f"https://www.tiktok.com/@fjordvik.ungdomsrad/video/{GAP_ID}",
        "post": thread.post.model_copy(update={"id": GAP_ID}),
        "completeness": Completeness(reported=captured + 3, captured=captured,
                                     gaps=[Gap(reason="hidden", count=3, note="skjult av plattformen")]),
    })
    work = tmp_path / "work"
    config = ExportConfig(work_dir=work, noark=Settings(_env_file=None, work_dir=work).noark(), pdfa_part="2")
    sink = LocalSink(world.bucket)
    built = stage_thread(thread, None, sink=sink, media_dir=None, config=config,
                         exported_at=EXPORTED + timedelta(days=1))
    assert isinstance(built, BuiltPackage)
    upload_package(built, sink)
    assert sync_index(world.deps.db, sink).added == 1
    return built.package_id


def test_the_index_holds_the_captures_completeness_or_none(world: WebWorld, tmp_path: Path) -> None:
    package_id = _export_with_gap(world, tmp_path)
    row = package_row(world.deps.sink, package_id)
    captured = len(candidate_thread().comments)
    assert (row.reported_comments, row.captured_comments, row.completeness) == (captured + 3, captured, "incomplete")
    rows = query_packages(world.deps.db, PackageFilter(), page_size=100).rows
    others = [r for r in rows if r.package_id != package_id]
    assert others and all(r.reported_comments is None and r.completeness == "unknown" for r in others)


def test_queue_and_start_page_show_an_incomplete_capture(world: WebWorld, tmp_path: Path) -> None:
    _export_with_gap(world, tmp_path)
    arne = signed_in(world, "arne")
    queue = arne.get("/gjennomgang?plattform=tiktok").text
    assert "mangler 3" in queue
    start = arne.get("/").text
    block = start.split('id="h-innsamling"')[1].split("</section>")[0]
    assert 'aria-labelledby="innsamling-title"' in block and "<script" not in block
    # TikTok: the new package is incomplete, the two demo packages say nothing (unknown)
    row = re.search(r'<th scope="row">TikTok</th>((?:<td>\d+</td>)+)</tr>', block)
    assert row is not None, block
    assert re.findall(r"\d+", row.group(1))[-1] == str(sum(int(n) for n in re.findall(r"\d+", row.group(1))[:-1]))
    assert "mangler kommentarer" in block and "ukjent" in block
    assert "<td>1</td>" in row.group(1)


def test_hostile_completeness_values_are_stored_as_unknown() -> None:
    from pipeline.package_index import _count

    for bad in [{"reported": -1}, {"reported": True}, {"reported": "9"}, {"reported": 2**40}, [], None, "x"]:
        assert _count(bad, "reported") is None
    assert _count({"reported": 0}, "reported") == 0
