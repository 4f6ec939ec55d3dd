"""Layout rules the import-linter contract cannot see."""

from __future__ import annotations

import tomllib

from tests.conftest import REPO_ROOT


def test_no_flow_module_shadows_a_top_level_package() -> None:
    """Prefect loads a deployment's entrypoint as a script with flows/ on sys.path, so flows/delivery.py
    would be imported in place of the delivery package (a served run then crashes)."""
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = set(config["tool"]["importlinter"]["root_packages"])
    flow_modules = {path.stem for path in (REPO_ROOT / "flows").glob("*.py")}
    assert flow_modules & packages == set()
