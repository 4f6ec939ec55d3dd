"""Shared set-up of the web tests: a demo bucket (the pipeline's own functions, no Prefect), a workflow
database with one user per role, and the app wired to both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exporters.package import BuiltPackage
from pipeline.export import ExportConfig, stage_thread, upload_package
from pipeline.package_index import sync_index
from pipeline.settings import REPO_ROOT, Settings
from sources.folder import load_catalog
from storage.config import RetentionPolicy
from storage.local import LocalSink
from web.app import Deps
from web.auth import set_password
from web.config import WebConfig
from workflow.db import Database, upgrade
from workflow.users import add_user

PASSWORD = "riktig-hest-batteri-stift"
EXPORTED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# (username, display name, roles, unit): Oppvekst og kultur owns three demo threads, Teknisk etat one.
USERS = [
    ("tone", "Tone Rønning", ["editor"], "Oppvekst og kultur"),
    ("teknisk", "Terje Teknisk", ["editor"], "Teknisk etat"),
    ("arne", "Arne Arkivar", ["archivist"], "Dokumentsenteret"),
]


@dataclass(frozen=True)
class WebWorld:
    deps: Deps
    bucket: Path


def export_demo(bucket: Path, work: Path) -> None:
    """Every sample thread packaged into ``bucket`` with the same steps as the export flow."""
    settings = Settings(_env_file=None, work_dir=work)
    config = ExportConfig(work_dir=work, noark=settings.noark(), pdfa_part="2")
    catalog = load_catalog(REPO_ROOT / "samples")
    sink = LocalSink(bucket)
    chosen, refused = catalog.select(None)
    if refused or catalog.broken:
        raise AssertionError(f"the samples must all be exportable: {refused} {catalog.broken}")
    for item in chosen:
        built = stage_thread(item.thread, item.flag, sink=sink, media_dir=catalog.media_dir, config=config,
                             exported_at=EXPORTED)
        if isinstance(built, BuiltPackage):
            upload_package(built, sink)


@pytest.fixture(scope="session")
def demo_bucket_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web-demo")
    export_demo(root / "bucket", root / "work")
    return root / "bucket"


def make_world(tmp_path: Path, template: Path, xsd_dir: Path | None) -> WebWorld:
    import shutil

    bucket = tmp_path / "bucket"
    shutil.copytree(template, bucket)
    url = f"sqlite:///{tmp_path / 'workflow.sqlite3'}"
    upgrade(url)
    db = Database(url)
    for username, name, roles, unit in USERS:
        add_user(db, username, display_name=name, roles=roles, unit=unit, by="test")
        set_password(db, username, PASSWORD)
    sink = LocalSink(bucket)
    sync_index(db, sink)
    config = WebConfig(secret_key="k" * 48, cache_dir=tmp_path / "cache", page_image_dpi=30)
    deps = Deps(config=config, db=db, sink=sink, xsd_dir=xsd_dir, retention=RetentionPolicy("COMPLIANCE", 1))
    return WebWorld(deps=deps, bucket=bucket)
