"""The settings model: the README's table is generated from it, defaults stay inside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.settings import REPO_ROOT, Settings, with_configuration_table
from schemas.errors import ConfigError


def test_readme_configuration_table_is_current() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert with_configuration_table(readme) == readme, "run: python -m pipeline.settings --readme README.md"


def test_every_setting_is_described() -> None:
    assert all(field.description for field in Settings.model_fields.values())


def test_defaults_do_not_point_outside_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(f"SOMEARKIV_{name.upper()}", raising=False)
    settings = Settings(_env_file=None)
    for value in settings.model_dump().values():
        if isinstance(value, Path):
            assert value.resolve().is_relative_to(REPO_ROOT), value


def test_missing_xsds_say_how_to_get_them(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SOMEARKIV_XSD_DIR"):
        Settings(_env_file=None, xsd_dir=None).require_xsd_dir()
    with pytest.raises(ConfigError, match=str(tmp_path)):
        Settings(_env_file=None, xsd_dir=tmp_path).require_xsd_dir()


@pytest.mark.parametrize(
    ("name", "value"),
    [("s3_multipart_threshold_mb", 1), ("object_lock_days", 0), ("pdfa_part", "3"), ("bucket", "")],
)
def test_out_of_bounds_values_are_refused(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=name):
        Settings(_env_file=None, **{name: value})
