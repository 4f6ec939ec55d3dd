"""``somearkiv serve``: one process that starts its own Prefect server and runs the five deployments."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT

SOMEARKIV = str(Path(sys.executable).with_name("somearkiv"))


def _api(url: str, path: str, body: dict[str, Any] | None = None, *, attempts: int = 20) -> Any:
    """POST to the Prefect API; a 503 (the server's SQLite busy on a loaded machine) is tried again, bounded."""
    for attempt in range(attempts):
        request = urllib.request.Request(
            f"{url}{path}", data=json.dumps(body or {}).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code != 503 or attempt == attempts - 1:
                raise
            time.sleep(1.0)
    raise AssertionError("unreachable")


def _wait(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _healthy(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/health", timeout=2).read()
        return True
    except OSError:
        return False


@pytest.mark.flowrun
def test_serve_runs_the_deployments_of_prefect_yaml_from_one_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(SOMEARKIV_BUCKET=str(tmp_path / "bucket"), SOMEARKIV_WORK_DIR=str(tmp_path / "work"))
    (tmp_path / "bucket").mkdir()
    serve = subprocess.Popen(
        [SOMEARKIV, "serve", "--prefect-home", str(tmp_path / "prefect")],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert serve.stdout is not None
        first = serve.stdout.readline()
        assert first.startswith("Prefect-server: http://127.0.0.1:"), first
        url = first.split()[1]

        def served() -> dict[str, Any]:
            try:
                found = {d["name"]: d for d in _api(url, "/deployments/filter")}
            except OSError:  # a 503 while the server is still starting up under load
                return {}
            return found if len(found) == 6 else {}

        deployments = _wait(served, 90, "six served deployments")
        declared = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
        assert {spec["name"] for spec in declared} == set(deployments)
        for spec in declared:
            got = deployments[spec["name"]]
            want_cron = [(s["cron"], s["timezone"]) for s in spec.get("schedules", [])]
            got_cron = [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in got["schedules"]]
            assert got_cron == want_cron, spec["name"]
            assert all(s["active"] for s in got["schedules"])
            assert got["parameters"] == spec.get("parameters", {}), spec["name"]
        automations = _api(url, "/automations/filter")
        trigger = next(a["trigger"] for a in automations if a["name"].startswith("on-demand"))
        assert trigger["expect"] == ["somearkiv.thread.flagged"]

        run = _api(url, f"/deployments/{deployments['fixity']['id']}/create_flow_run", {})
        final = _wait(lambda: _state(url, run["id"]), 120, "the served fixity run to finish")
        if final not in {"COMPLETED", "FAILED"}:
            os.killpg(serve.pid, signal.SIGTERM)
            output, _ = serve.communicate(timeout=60)
            raise AssertionError(f"served run ended {final}:\n{output[-4000:]}")
    finally:
        os.killpg(serve.pid, signal.SIGKILL)  # the hardest way to stop it
        serve.wait(timeout=60)
    _wait(lambda: not _healthy(url), 30, "the local Prefect server to stop with somearkiv serve")


def _state(url: str, run_id: str) -> str | None:
    request = urllib.request.Request(f"{url}/flow_runs/{run_id}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            state = json.loads(response.read())["state"]["type"]
    except urllib.error.HTTPError as exc:
        if exc.code == 503:  # busy: ask again on the next poll
            return None
        raise
    return state if state in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"} else None
