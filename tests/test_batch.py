"""pipeline.batch on real worker processes: the same bytes with 1 and 2 workers, failures and dead workers
isolated, the deadline stops hung workers. No Prefect here (tests/test_export_flow.py runs the flow)."""

from __future__ import annotations

import functools
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.batch import WORKER_DIED, BatchExporter, BuildJob, BuildSetup, Built, build_job
from pipeline.batch_config import BatchConfig
from pipeline.export import Deadline, ExportConfig
from pipeline.settings import Settings
from schemas.package import MANIFEST_NAME, sha256_file
from sources.folder import load_catalog

SAMPLES = Settings().samples_dir
EXPORTED_AT = datetime(2026, 3, 5, 22, 30, tzinfo=UTC)


def _jobs(limit: int | None = None) -> list[BuildJob]:
    """The sample threads as jobs (``limit``: only the smallest captures, for speed)."""
    items = sorted(load_catalog(SAMPLES).flagged, key=lambda item: item.path.stat().st_size)[:limit]
    return [BuildJob(item.key, item.flag, path=item.path) for item in items]


def _setup(tmp_path: Path, bucket: Path) -> BuildSetup:
    config = ExportConfig(work_dir=tmp_path / "work", noark=Settings().noark())
    return BuildSetup(str(bucket), None, load_catalog(SAMPLES).media_dir, config, EXPORTED_AT)


@functools.cache
def _keys() -> list[str]:
    return sorted(j.key for j in _jobs(4))


def _digests(bucket: Path) -> dict[str, str]:
    return {p.relative_to(bucket).as_posix(): sha256_file(p) for p in sorted(bucket.rglob("*")) if p.is_file()}


# Build functions the tests hand to the worker processes (module level: a spawned worker imports them).

def failing_build(setup: BuildSetup, job: BuildJob) -> Built:
    """The first sample thread raises, the second kills its worker process; the rest build normally."""
    keys = _keys()
    if job.key == keys[0]:
        raise RuntimeError(f"renderer crashed on {job.key}")
    if job.key == keys[1]:
        os._exit(9)  # what the OOM killer does to a worker
    return build_job(setup, job)


def hanging_build(setup: BuildSetup, job: BuildJob) -> Built:
    """The first sample thread never finishes."""
    if job.key == _keys()[0]:
        time.sleep(600)
    return build_job(setup, job)


def test_packages_are_byte_identical_with_one_and_two_worker_processes(tmp_path: Path) -> None:
    jobs = _jobs()
    trees = {}
    for workers in (1, 2):
        bucket = tmp_path / f"bucket-{workers}"
        with BatchExporter(_setup(tmp_path / f"w{workers}", bucket), BatchConfig(workers=workers),
                           Deadline(10)) as exporter:
            outcomes = exporter.run(jobs)
        assert sorted(o.status for o in outcomes) == ["written"] * len(jobs), [o.error for o in outcomes]
        trees[workers] = _digests(bucket)
    assert len([name for name in trees[1] if name.endswith(MANIFEST_NAME)]) == len(jobs) >= 8
    assert trees[1] == trees[2]  # every file of every package, manifests included: nothing excluded


def test_a_failing_thread_and_a_dead_worker_fail_alone(tmp_path: Path) -> None:
    jobs = _jobs(4)
    keys = sorted(j.key for j in jobs)
    with BatchExporter(_setup(tmp_path, tmp_path / "bucket"), BatchConfig(workers=2), Deadline(10),
                       build=failing_build) as exporter:
        outcomes = {o.key: o for o in exporter.run(jobs)}
    assert set(outcomes) == set(keys)
    assert outcomes[keys[0]].status == "failed" and outcomes[keys[0]].error_type == "RuntimeError"
    assert outcomes[keys[0]].error == f"RuntimeError: renderer crashed on {keys[0]}"
    assert outcomes[keys[1]].status == "failed" and outcomes[keys[1]].error == WORKER_DIED
    assert {outcomes[k].status for k in keys[2:]} == {"written"}  # those in flight with the dead one: run again
    assert len([p for p in (tmp_path / "bucket").iterdir() if (p / MANIFEST_NAME).is_file()]) == len(keys) - 2


def test_the_deadline_stops_a_hung_worker_and_reports_what_was_not_done(tmp_path: Path) -> None:
    jobs = _jobs(4)
    hung = sorted(j.key for j in jobs)[0]
    began = time.monotonic()
    with BatchExporter(_setup(tmp_path, tmp_path / "bucket"), BatchConfig(workers=2), Deadline(0.25),
                       build=hanging_build) as exporter:
        outcomes = {o.key: o for o in exporter.run(jobs)}
    assert time.monotonic() - began < 60
    assert set(outcomes) == {j.key for j in jobs}
    assert outcomes[hung].status == "failed" and "frist på 0.25 minutter" in (outcomes[hung].error or "")
    for outcome in outcomes.values():  # the others were written, or not reached (a busy machine): nothing else
        assert outcome.status == "written" or "frist på 0.25 minutter" in (outcome.error or ""), outcome


def test_in_process_mode_builds_the_same_bytes(tmp_path: Path) -> None:
    jobs = _jobs(2)
    trees = []
    for workers in (0, 1):
        bucket = tmp_path / f"bucket-{workers}"
        with BatchExporter(_setup(tmp_path / f"w{workers}", bucket), BatchConfig(workers=workers),
                           Deadline(10)) as exporter:
            assert {o.status for o in exporter.run(jobs)} == {"written"}
        trees.append(_digests(bucket))
    assert trees[0] == trees[1]


@pytest.mark.parametrize(("size", "items", "expected"), [(3, 7, [3, 3, 1]), (100, 2, [2]), (5, 0, [])])
def test_batches_keep_order_and_size(size: int, items: int, expected: list[int]) -> None:
    parts = BatchConfig(workers=1, batch_size=size).batches(list(range(items)))
    assert [len(p) for p in parts] == expected and [x for p in parts for x in p] == list(range(items))


def test_a_capture_swapped_during_the_run_fails_alone_and_the_catalog_keeps_headers_only(tmp_path: Path) -> None:
    catalog = load_catalog(SAMPLES, keep_comments=False)
    assert all(item.thread.comments == [] for item in catalog.flagged)
    assert any(load_catalog(SAMPLES).flagged[i].thread.comments for i in range(len(catalog.flagged)))
    first, second, *_ = catalog.flagged
    jobs = [BuildJob(first.key, first.flag, path=second.path), BuildJob(second.key, second.flag, path=second.path)]
    with BatchExporter(_setup(tmp_path, tmp_path / "bucket"), BatchConfig(workers=0), Deadline(10)) as exporter:
        outcomes = {o.key: o for o in exporter.run(jobs)}
    assert outcomes[first.key].status == "failed" and "byttet ut under kjøringen" in (outcomes[first.key].error or "")
    assert outcomes[second.key].status == "written"


def test_the_worker_count_defaults_to_the_cores_and_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    assert Settings().batch().workers == (os.cpu_count() or 1)
    monkeypatch.setenv("SOMEARKIV_EXPORT_WORKERS", "0")
    assert Settings().batch().workers == 0
    for bad in ("-1", "257", "to"):
        monkeypatch.setenv("SOMEARKIV_EXPORT_WORKERS", bad)
        with pytest.raises(ValidationError):
            Settings()
