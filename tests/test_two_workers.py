"""Two Prefect process workers on one work pool, one bucket and one workflow database: overlapping export runs
write each package exactly once (a real ``prefect server start``, two ``prefect worker start`` processes, the
moto S3 server and a real PostgreSQL database, all on 127.0.0.1 with ports the OS picked).

The runs start within a second or two of each other over the same threads, so the second run reaches threads
the first is still building. Without the export claims this fails: a package's files get a second version
(seen: ``arkivstruktur.xml``, ``arkivmelding.xml`` and others written twice under one manifest)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from pipeline.export import planned_package_id
from somearkiv import prefect_server
from somearkiv.prefect_server import PREFECT, local_prefect_server
from sources.folder import load_catalog
from storage.s3 import create_lock_bucket
from tests.conftest import REPO_ROOT
from tests.pg_server import PgServer
from tests.s3_server import s3_env_for

SAMPLES = REPO_ROOT / "samples"
POOL = "somearkiv-to"
THREADS = 4
SERVER_STARTUP_S = 240.0
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
# Server services this test does not need (no schedules, automations or task-run history): less CPU for the runs.
QUIET_SERVER = {f"PREFECT_SERVER_SERVICES_{name}_ENABLED": "false" for name in (
    "SCHEDULER", "LATE_RUNS", "TRIGGERS", "TASK_RUN_RECORDER", "EVENT_PERSISTER", "PAUSE_EXPIRATIONS",
    "CANCELLATION_CLEANUP", "REPOSSESSOR", "FOREMAN")} | {"PREFECT_UI_ENABLED": "false"}


def _api(url: str, path: str, body: Any = None, *, method: str | None = None, attempts: int = 20) -> Any:
    """The Prefect REST API; a 503 (the server's SQLite busy on a loaded machine) is tried again, bounded."""
    for attempt in range(attempts):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{url}{path}", data=data, method=method or ("POST" if data else "GET"),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                raw = response.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            if exc.code != 503 or attempt == attempts - 1:
                raise AssertionError(f"{path}: {exc.code} {exc.read()[:500]!r}") from exc
            time.sleep(0.5)
    raise AssertionError("unreachable")


def _wait(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a worker and everything it started (its own process group): SIGTERM, then SIGKILL."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _process_job_template() -> dict[str, Any]:
    from prefect.workers.process import ProcessWorker

    return ProcessWorker.get_default_base_job_template()


@pytest.fixture
def shared_database(pg_server: PgServer, pg_template: str) -> Iterator[str]:
    """One migrated PostgreSQL workflow database for both workers (what several machines would share)."""
    url = pg_server.create_database(template=pg_template)
    try:
        yield url
    finally:
        pg_server.drop_database(url)


def _submitted(log: str) -> list[str]:
    """The flow runs a worker's log says it submitted (a run another worker took first is aborted)."""
    tried = re.findall(r"Worker '[^']+' submitting flow run '([0-9a-f-]+)'", log)
    return [run for run in tried if f"Aborted submission of flow run '{run}'" not in log]


def _summary_rows(url: str, flow_run_id: str) -> dict[str, str]:
    """package id → status ("skrevet", "uendret") from the run's ``export-summary`` artifact."""
    artifacts = _api(url, "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [flow_run_id]},
                                                              "key": {"any_": ["export-summary"]}}})
    assert len(artifacts) == 1, artifacts
    markdown = artifacts[0]["data"]
    assert "**feilet**" not in markdown, markdown  # no thread failed
    rows = re.findall(r"^\| .*? \| `([^`]+)` \| (skrevet|uendret) \|", markdown, flags=re.MULTILINE)
    return dict(rows)


def test_two_workers_export_each_package_exactly_once(
    tmp_path: Path, moto_endpoint: str, s3_client: Any, shared_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `prefect server start` migrates a new SQLite database first: over 90 s when the machine is busy.
    monkeypatch.setattr(prefect_server, "STARTUP_TIMEOUT_S", SERVER_STARTUP_S)
    bucket = f"two-workers-{uuid.uuid4().hex[:12]}"
    create_lock_bucket(bucket, client=s3_client)
    chosen = load_catalog(SAMPLES).flagged[:THREADS]  # enough for the runs to meet, few for a fast test
    expected = sorted(planned_package_id(item.thread) for item in chosen)
    assert len(expected) == THREADS

    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SOMEARKIV_"))}
    base.update(s3_env_for(moto_endpoint))
    base.update(
        SOMEARKIV_HOME=str(REPO_ROOT), PYTHONPATH=str(REPO_ROOT), SOMEARKIV_BUCKET=f"s3://{bucket}/archive",
        SOMEARKIV_DATABASE_URL=shared_database, SOMEARKIV_SAMPLES_DIR=str(SAMPLES),
        SOMEARKIV_OBJECT_LOCK_MODE="COMPLIANCE", SOMEARKIV_OBJECT_LOCK_DAYS="1",
    )
    if "SOMEARKIV_XSD_DIR" in os.environ:
        base["SOMEARKIV_XSD_DIR"] = os.environ["SOMEARKIV_XSD_DIR"]

    with ExitStack() as stack:
        server = stack.enter_context(local_prefect_server(tmp_path / "prefect-server", env={**base, **QUIET_SERVER}))
        url = server.api_url
        _api(url, "/work_pools/", {"name": POOL, "type": "process", "base_job_template": _process_job_template()})
        workers: list[subprocess.Popen[bytes]] = []
        logs: list[Path] = []
        for index in range(2):
            home = tmp_path / f"worker-{index}"
            home.mkdir()
            logs.append(home / "worker.log")
            env = {**base, "PREFECT_API_URL": url, "PREFECT_HOME": str(home), "PREFECT_WORKER_QUERY_SECONDS": "1",
                   "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                   "SOMEARKIV_WORK_DIR": str(home / "work")}
            with logs[-1].open("wb") as log:
                worker = subprocess.Popen(
                    [PREFECT, "worker", "start", "--pool", POOL, "--type", "process", "--limit", "1",
                     "--name", f"worker-{index}"],
                    cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )
            workers.append(worker)
            stack.callback(_stop, worker)

        flow = _api(url, "/flows/", {"name": "export-threads"})
        deployment = _api(url, "/deployments/", {
            "name": "two-workers", "flow_id": flow["id"], "work_pool_name": POOL,
            "entrypoint": "flows/export.py:export_threads", "enforce_parameter_schema": False,
            "pull_steps": [{"prefect.deployments.steps.set_working_directory": {"directory": str(REPO_ROOT)}}],
        })

        def online() -> bool:
            assert all(w.poll() is None for w in workers), [p.read_text(errors="replace")[-2000:] for p in logs]
            found = _api(url, f"/work_pools/{POOL}/workers/filter", {})
            return sum(1 for w in found if w.get("status") == "ONLINE") == 2

        _wait(online, 120, "two online workers")
        parameters = {"threads": [item.key for item in chosen]}
        runs = [_api(url, f"/deployments/{deployment['id']}/create_flow_run", {"parameters": parameters})["id"]
                for _ in range(2)]

        def finished() -> list[dict[str, Any]] | None:
            states = [_api(url, f"/flow_runs/{run}") for run in runs]
            return states if all(s["state"]["type"] in TERMINAL for s in states) else None

        try:
            done = _wait(finished, 300, "both flow runs to finish", every=0.5)
        except AssertionError:
            raise AssertionError("\n".join(p.read_text(errors="replace")[-3000:] for p in logs)) from None

        states = {run["id"]: run["state"]["type"] for run in done}
        assert set(states.values()) == {"COMPLETED"}, (states, [p.read_text(errors="replace")[-3000:] for p in logs])
        first, second = sorted(done, key=lambda run: run["start_time"])
        assert second["start_time"] < first["end_time"], "the two runs did not overlap"
        by_worker = [_submitted(path.read_text(errors="replace")) for path in logs]
        assert sorted(by_worker) == sorted([[run] for run in runs]), by_worker  # one run on each worker

        # Each package exists once in the bucket: one version of every object, so nothing was ever written twice.
        versions: dict[str, int] = defaultdict(int)
        for page in s3_client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix="archive/"):
            for version in page.get("Versions", []):
                versions[version["Key"]] += 1
            assert not page.get("DeleteMarkers")
        manifests = sorted(key.split("/")[1] for key in versions if key.endswith("/manifest.json"))
        assert manifests == expected
        assert {key: n for key, n in versions.items() if n != 1} == {}

        # The runs' summaries together: each package written by exactly one run, "unchanged" in the other.
        summaries = [_summary_rows(url, run) for run in runs]
        written = Counter(pid for rows in summaries for pid, status in rows.items() if status == "skrevet")
        assert written == Counter(expected), summaries
        for rows in summaries:
            assert sorted(rows) == expected, rows
