"""A flag becomes an export through a real Prefect server: ``somearkiv serve`` serves the on-demand deployment,
``somearkiv flag URL`` (PREFECT_API_URL set) emits ``somearkiv.thread.flagged``, the trigger starts the run,
the package lands in the bucket and the flag becomes ``exported``."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from pipeline.settings import Settings
from schemas.package import MANIFEST_NAME, Manifest
from tests.conftest import REPO_ROOT
from workflow.db import Database
from workflow.flags import list_flags

SOMEARKIV = str(Path(sys.executable).with_name("somearkiv"))
SAMPLES = Settings().samples_dir
INSTAGRAM = "https://www.instagram.com/p/DFk2bZsNq7x/"


def _api(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        f"{url}{path}", data=json.dumps(body or {}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _wait(predicate: Any, timeout: float, what: str, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.flowrun
def test_a_flag_event_becomes_an_export_run_on_a_real_prefect_server(
    tmp_path: Path, sqlite_template: Path
) -> None:
    database = tmp_path / "workflow.sqlite3"
    shutil.copyfile(sqlite_template, database)  # migrated, with the users ingrid, arne, ada
    db_url = f"sqlite:///{database}"
    captures = tmp_path / "captures"
    (captures / "threads").mkdir(parents=True)
    shutil.copy(SAMPLES / "threads" / "instagram-nytt-bibliotek.json", captures / "threads")
    shutil.copytree(SAMPLES / "media" / "instagram-nytt-bibliotek", captures / "media" / "instagram-nytt-bibliotek")
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(SOMEARKIV_BUCKET=str(bucket), SOMEARKIV_WORK_DIR=str(tmp_path / "work"),
               SOMEARKIV_SAMPLES_DIR=str(captures), SOMEARKIV_DATABASE_URL=db_url)
    log = tmp_path / "serve.log"
    started = time.monotonic()
    with log.open("w") as out:
        serve = subprocess.Popen([SOMEARKIV, "serve", "--prefect-home", str(tmp_path / "prefect")], cwd=REPO_ROOT,
                                 env=env, stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        first = _wait(lambda: log.read_text().splitlines()[:1], 90, "the Prefect server")[0]
        assert first.startswith("Prefect-server: http://127.0.0.1:"), log.read_text()
        url = first.split()[1]
        deployment = _wait(lambda: next((d for d in _api(url, "/deployments/filter") if d["name"] == "on-demand"),
                                        None), 90, "the on-demand deployment")
        _wait(lambda: _api(url, "/automations/filter"), 30, "the on-demand trigger")

        flagged = subprocess.run(
            [SOMEARKIV, "flag", INSTAGRAM, "--case", "2025/2210", "--reason", "høringsinnspill", "--by", "ingrid"],
            env={**env, "PREFECT_API_URL": url}, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
        assert flagged.returncode == 0, flagged.stdout + flagged.stderr
        assert "hendelse sendt" in flagged.stdout

        def finished() -> dict[str, Any] | None:
            runs = _api(url, "/flow_runs/filter", {"deployments": {"id": {"any_": [deployment["id"]]}}})
            done = [r for r in runs if r["state"]["type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}]
            return done[0] if done else None

        run = _wait(finished, 120, "the on-demand export run", interval=1.0)
        assert run["state"]["type"] == "COMPLETED", log.read_text()[-4000:]
        assert run["parameters"]["thread_id"] == "instagram-DFk2bZsNq7x"
        assert run["parameters"]["reason"] == "høringsinnspill"
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(timeout=30)
    packages = [p for p in bucket.iterdir() if (p / MANIFEST_NAME).is_file()]
    assert len(packages) == 1
    manifest = Manifest.model_validate_json((packages[0] / MANIFEST_NAME).read_bytes())
    assert manifest.flag is not None and manifest.flag.case_number == "2025/2210"
    assert manifest.flag.flagged_by == "Ingrid Moe"
    db = Database(db_url)
    assert [f.status for f in list_flags(db)] == ["exported"]
    db.dispose()
    print(f"flag → package through a real Prefect server: {time.monotonic() - started:.1f} s")
