"""Every deployment entrypoint of prefect.yaml loads the way a Prefect worker loads it: as a script, with
flows/ on sys.path (a flow module named like a top-level package would shadow it), in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from tests.conftest import REPO_ROOT

LOADER = """
import json, sys
from prefect.flows import load_flow_from_entrypoint
out = {}
for entrypoint in sys.argv[1:]:
    flow = load_flow_from_entrypoint(entrypoint)
    out[entrypoint] = [flow.name, sorted(flow.parameters.properties)]
print(json.dumps(out))
"""


def test_each_entrypoint_loads_as_a_script_in_a_fresh_process() -> None:
    declared = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
    entrypoints = [spec["entrypoint"] for spec in declared]
    assert "flows/capture.py:capture_threads" in entrypoints and "flows/deliver.py:deliver_packages" in entrypoints
    done = subprocess.run([sys.executable, "-c", LOADER, *entrypoints], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["flows/capture.py:capture_threads"][0] == "capture-threads"
    assert "recapture_days" in loaded["flows/capture.py:capture_threads"][1]
    assert loaded["flows/deliver.py:deliver_packages"][0] == "deliver-packages"
    for spec in declared:  # every declared parameter is one the flow takes
        assert set(spec.get("parameters") or {}) <= set(loaded[spec["entrypoint"]][1]), spec["name"]


def test_served_deployments_mirror_prefect_yaml() -> None:
    from flows.deployments import served_deployments

    declared = {spec["name"]: spec for spec in
                yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]}
    served = {d.name: d for d in served_deployments()}
    assert set(served) == set(declared) == {"nightly", "on-demand", "fixity", "capture", "candidates", "deliver"}
    for name, spec in declared.items():
        deployment = served[name]
        assert (deployment.parameters or {}) == (spec.get("parameters") or {}), name
        crons = [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules or []]  # type: ignore[union-attr]
        assert crons == [(s["cron"], s["timezone"]) for s in spec.get("schedules", [])], name
        assert deployment.concurrency_limit == spec.get("concurrency_limit"), name
