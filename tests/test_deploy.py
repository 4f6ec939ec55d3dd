"""prefect.yaml deploys on a real Prefect server: nightly cron, on-demand event trigger, weekly fixity, the
re-capture every 6 hours, the nightly delivery and the hourly candidate scan."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections.abc import Iterator

import pytest

from somearkiv.prefect_server import PREFECT, local_prefect_server
from tests.conftest import REPO_ROOT


def _api(url: str, path: str, body: dict | None = None) -> object:
    request = urllib.request.Request(
        f"{url}{path}", data=json.dumps(body or {}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """``prefect server start`` on a free loopback port with its own home and SQLite database."""
    env = {**os.environ, "SOMEARKIV_HOME": str(REPO_ROOT)}
    with local_prefect_server(tmp_path_factory.mktemp("prefect-home"), env=env) as server:
        yield server.api_url, server.env


def test_prefect_yaml_deploys_the_five_deployments(prefect_server: tuple[str, dict[str, str]]) -> None:
    url, env = prefect_server
    run = {"env": env, "cwd": REPO_ROOT, "capture_output": True, "text": True, "timeout": 120}
    subprocess.run([PREFECT, "work-pool", "create", "somearkiv", "--type", "process"], check=True, **run)
    deployed = subprocess.run([PREFECT, "--no-prompt", "deploy", "--all"], **run)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr

    deployments = {d["name"]: d for d in _api(url, "/deployments/filter")}
    assert set(deployments) == {"nightly", "on-demand", "fixity", "capture", "deliver", "candidates"}
    nightly = deployments["nightly"]["schedules"][0]["schedule"]
    assert (nightly["cron"], nightly["timezone"]) == ("30 2 * * *", "Europe/Oslo")
    assert deployments["nightly"]["entrypoint"] == "flows/export.py:export_threads"
    assert deployments["on-demand"]["entrypoint"] == "flows/export.py:export_thread"
    assert deployments["fixity"]["entrypoint"] == "flows/fixity.py:fixity_check"
    assert deployments["capture"]["entrypoint"] == "flows/capture.py:capture_threads"
    assert deployments["capture"]["parameters"] == {"recapture_days": 14}
    capture = deployments["capture"]["schedules"][0]["schedule"]
    assert (capture["cron"], capture["timezone"]) == ("0 */6 * * *", "Europe/Oslo")
    assert deployments["deliver"]["entrypoint"] == "flows/deliver.py:deliver_packages"
    deliver = deployments["deliver"]["schedules"][0]["schedule"]
    assert (deliver["cron"], deliver["timezone"]) == ("0 3 * * *", "Europe/Oslo")
    assert deployments["candidates"]["entrypoint"] == "flows/candidates.py:scan_candidates"
    assert deployments["candidates"]["parameters"] == {"days": 2}
    candidates = deployments["candidates"]["schedules"][0]["schedule"]
    assert (candidates["cron"], candidates["timezone"]) == ("0 * * * *", "Europe/Oslo")
    for name in ("nightly", "fixity", "capture", "deliver", "candidates"):
        limit = (deployments[name].get("global_concurrency_limit") or {}).get("limit")
        assert (limit or deployments[name].get("concurrency_limit")) == 1, name

    automations = _api(url, "/automations/filter")
    trigger = next(a["trigger"] for a in automations if a["name"].startswith("on-demand"))
    assert trigger["expect"] == ["somearkiv.thread.flagged"]
    assert trigger["match"] == {"prefect.resource.id": "somearkiv.thread.*"}
