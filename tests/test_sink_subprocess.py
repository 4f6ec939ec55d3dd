"""Real processes: an export killed with SIGKILL mid-upload, and the memory a multipart upload needs.

The child side runs this file as a script (see ``_child`` at the bottom): it reads its configuration from
``SOMEARKIV_*`` variables like a real deployment, so these tests also cover configuration by environment.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from schemas.package import MANIFEST_NAME, Manifest
from storage.base import Sink
from storage.fixity import verify_bucket
from storage.local import LocalSink
from storage.s3 import S3Sink
from tests.s3_server import make_package, s3_env_for

REPO_ROOT = Path(__file__).resolve().parent.parent
BIG = 12 * 1024 * 1024
BIG_PATH = "DOKUMENT/video.mp4"
READY_TIMEOUT_S = 30


def _start_child(mode: str, sink: Sink, package_dir: Path, manifest: Manifest, env: dict[str, str]) -> subprocess.Popen:
    manifest_file = package_dir.parent / f"{manifest.package_id}.manifest.json"
    manifest_file.write_bytes(manifest.to_bytes())
    return subprocess.Popen(
        [sys.executable, __file__, mode, sink.url, str(package_dir), str(manifest_file)],
        cwd=REPO_ROOT,
        env={**os.environ, **env, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_line(child: subprocess.Popen) -> str:
    assert child.stdout is not None
    readable, _, _ = select.select([child.stdout], [], [], READY_TIMEOUT_S)
    line = child.stdout.readline().strip() if readable else ""
    if not line:
        child.kill()
        pytest.fail(f"child gave no answer; stderr:\n{child.communicate()[1]}")
    return line


def _child_env(sink: Sink, request: pytest.FixtureRequest) -> dict[str, str]:
    return s3_env_for(request.getfixturevalue("moto_endpoint")) if isinstance(sink, S3Sink) else {}


def test_sigkill_midway_leaves_no_package_and_a_rerun_completes_it(
    any_sink: Sink, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    small = {f"DOKUMENT/vedlegg-{i:02}.png": os.urandom(2048) for i in range(10)}
    package_dir, manifest = make_package(tmp_path / "staging", files=small, big_files={BIG_PATH: BIG})
    assert manifest.files[-1].path == BIG_PATH  # the big file goes last, after every small one

    child = _start_child("crash", any_sink, package_dir, manifest, _child_env(any_sink, request))
    assert _read_line(child) == "READY"  # half of the big file has been sent
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=10) == -signal.SIGKILL

    assert any_sink.list_packages() == []
    assert not any_sink.has_package(manifest.package_id)
    assert verify_bucket(any_sink).packages == 0
    stored = {obj.path for obj in any_sink.iter_objects(manifest.package_id)}
    assert set(small) <= stored and MANIFEST_NAME not in stored
    _assert_big_file_was_in_flight(any_sink, manifest.package_id)

    rerun = any_sink.put_package(package_dir, manifest)

    assert rerun.written == [BIG_PATH, MANIFEST_NAME]  # the small files were kept from the killed run
    assert any_sink.list_packages() == [manifest.package_id]
    report = verify_bucket(any_sink)
    assert report.ok, report.to_text()  # no temp files or stale multipart parts left over
    if isinstance(any_sink, S3Sink):
        assert any_sink.client.list_multipart_uploads(Bucket=any_sink.bucket).get("Uploads", []) == []


def _assert_big_file_was_in_flight(sink: Sink, package_id: str) -> None:
    if isinstance(sink, S3Sink):
        uploads = sink.client.list_multipart_uploads(Bucket=sink.bucket).get("Uploads", [])
        assert [u["Key"] for u in uploads] == [f"{sink.prefix}/{package_id}/{BIG_PATH}"]
    else:
        assert isinstance(sink, LocalSink)
        temps = [p.name for p in (sink.root / package_id / "DOKUMENT").iterdir() if p.name.endswith(".part")]
        assert len(temps) == 1 and temps[0].startswith(".video.mp4.somearkiv-")


def test_multipart_upload_memory_stays_bounded(s3_sink: S3Sink, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    package_dir, manifest = make_package(tmp_path / "staging", big_files={BIG_PATH: BIG})

    child = _start_child("measure", s3_sink, package_dir, manifest, _child_env(s3_sink, request))
    measured = json.loads(_read_line(child))
    assert child.wait(timeout=30) == 0

    assert measured["written"][-2:] == [BIG_PATH, MANIFEST_NAME]
    # botocore reads each part in flight in 1 MiB chunks (once for the SHA-256, once for the SigV4 payload
    # hash over plain HTTP), so memory grows with MAX_CONCURRENCY, not with the file: the file is never held
    assert measured["python_peak_bytes"] < BIG / 2, measured  # every Python allocation, all threads
    assert measured["rss_peak_growth_bytes"] < BIG, measured  # the process as the OS sees it (malloc arenas too)
    attributes = s3_sink.client.get_object_attributes(
        Bucket=s3_sink.bucket, Key=f"archive/{manifest.package_id}/{BIG_PATH}", ObjectAttributes=["Checksum"]
    )
    assert attributes["Checksum"]["ChecksumType"] == "COMPOSITE"
    assert verify_bucket(s3_sink).ok


# -- child process ---------------------------------------------------------------------------------


def _child(mode: str, bucket_url: str, package_dir: str, manifest_file: str) -> None:
    import threading
    import tracemalloc

    import psutil

    from pipeline.settings import Settings
    from storage.factory import open_sink

    sink = open_sink(bucket_url, Settings(_env_file=None).s3())
    manifest = Manifest.model_validate_json(Path(manifest_file).read_bytes())
    if mode == "crash":
        half = manifest.file(BIG_PATH).size // 2

        def signal_then_hang(path: str, done: int) -> None:
            if path == BIG_PATH and done >= half:
                print("READY", flush=True)
                time.sleep(120)  # the parent kills us here, halfway through the big file

        sink.put_package(Path(package_dir), manifest, on_progress=signal_then_hang)
        print("FINISHED (not killed)", flush=True)
        return
    sink.list_packages()  # warm up: connection pool and lazily imported modules
    process = psutil.Process()
    rss_before = process.memory_info().rss
    rss_peak = rss_before
    uploading = threading.Event()
    uploading.set()

    def sample_rss() -> None:
        nonlocal rss_peak
        while uploading.is_set():
            rss_peak = max(rss_peak, process.memory_info().rss)
            time.sleep(0.002)

    sampler = threading.Thread(target=sample_rss)
    sampler.start()
    tracemalloc.start()
    try:
        result = sink.put_package(Path(package_dir), manifest)
        python_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        uploading.clear()
        sampler.join()
    measured: dict[str, Any] = {
        "written": result.written,
        "python_peak_bytes": python_peak,
        "rss_peak_growth_bytes": rss_peak - rss_before,
    }
    print(json.dumps(measured), flush=True)


if __name__ == "__main__":
    _child(*sys.argv[1:5])
