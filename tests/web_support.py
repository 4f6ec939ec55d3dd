"""Shared set-up of the web tests: a demo bucket (the pipeline's own functions, no Prefect), a workflow
database with one user per role, and the app wired to both."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from exporters.package import BuiltPackage
from pipeline.export import ExportConfig, stage_thread, upload_package
from pipeline.package_index import sync_index
from pipeline.settings import REPO_ROOT, Settings
from schemas.thread import Thread
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
# (username, display name, roles, unit): Oppvekst og kultur owns three demo threads (and the unflagged
# candidate thread below), Teknisk etat one, Kommunikasjonsavdelingen two (one with skjermet comments).
USERS = [
    ("tone", "Tone Rønning", ["editor"], "Oppvekst og kultur"),
    ("teknisk", "Terje Teknisk", ["editor"], "Teknisk etat"),
    ("kari", "Kari Kommunikasjon", ["editor"], "Kommunikasjonsavdelingen"),
    ("arne", "Arne Arkivar", ["archivist"], "Dokumentsenteret"),
    ("ada", "Ada Admin", ["admin"], None),
]
CANDIDATE_ID = "7465123098844099999"


@dataclass(frozen=True)
class WebWorld:
    deps: Deps
    bucket: Path


def candidate_thread() -> Thread:
    """An unflagged thread whose post asks for input (a variant of the TikTok sample): a candidate."""
    data = json.loads((REPO_ROOT / "samples" / "threads" / "tiktok-ungdomsradet-skatepark.json").read_text("utf-8"))
    data.update(thread_id=CANDIDATE_ID, url=f"https://www.tiktok.com/@fjordvik.ungdomsrad/video/{CANDIDATE_ID}",
                title="Hva mener du om nye benker ved skolen?")
    data["post"].update(id=CANDIDATE_ID, text="Kommunen vil høre fra deg: hva mener du om nye benker ved skolen? "
                        "Kom med innspill i kommentarfeltet innen 1. mai.")
    return Thread.model_validate(data)


def export_demo(bucket: Path, work: Path) -> None:
    """Every sample thread (and the candidate thread, without a flag) packaged into ``bucket`` with the same
    steps as the export flow."""
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
    built = stage_thread(candidate_thread(), None, sink=sink, media_dir=None, config=config, exported_at=EXPORTED)
    if built is not None:
        upload_package(built, sink)


@pytest.fixture(scope="session")
def demo_bucket_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web-demo")
    export_demo(root / "bucket", root / "work")
    return root / "bucket"


def _prepared_database(template: Path) -> Path:
    """A migrated workflow database with the users (and their Argon2 password hashes) and the package index
    of ``template``, made once per bucket template; each world gets a copy of the file."""
    prepared = template.parent / "prepared-workflow.sqlite3"
    if not prepared.is_file():
        partial = prepared.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        url = f"sqlite:///{partial}"
        upgrade(url)
        with Database(url) as db:
            for username, name, roles, unit in USERS:
                add_user(db, username, display_name=name, roles=roles, unit=unit, by="test")
                set_password(db, username, PASSWORD)
            sync_index(db, LocalSink(template))
        partial.rename(prepared)
    return prepared


def make_world(tmp_path: Path, template: Path, xsd_dir: Path | None, cache_dir: Path | None = None) -> WebWorld:
    """A bucket copied from ``template`` and a workflow database (users, package index) for the app;
    ``cache_dir`` may be shared between worlds of the same template (page images, validation reports)."""
    import shutil

    bucket = tmp_path / "bucket"
    shutil.copytree(template, bucket)
    database = tmp_path / "workflow.sqlite3"
    shutil.copyfile(_prepared_database(template), database)
    db = Database(f"sqlite:///{database}")
    sink = LocalSink(bucket)
    config = WebConfig(secret_key="k" * 48, cache_dir=cache_dir or tmp_path / "cache", page_image_dpi=30)
    deps = Deps(config=config, db=db, sink=sink, xsd_dir=xsd_dir, retention=RetentionPolicy("COMPLIANCE", 1),
                noark=Settings(_env_file=None, work_dir=tmp_path / "work").noark())
    return WebWorld(deps=deps, bucket=bucket)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if found is None:
        raise AssertionError(f"no CSRF token in {html[:300]!r}")
    return found.group(1)


def signed_in(world: WebWorld, username: str) -> TestClient:
    """A test client of the app, signed in as ``username``."""
    from web.app import create_app

    client = TestClient(create_app(world.deps), follow_redirects=False)
    token = csrf_of(client.get("/logg-inn").text)
    answer = client.post("/logg-inn", data={"csrf_token": token, "brukernavn": username, "passord": PASSWORD,
                                            "neste": "/"})
    if answer.status_code != 303:
        raise AssertionError(f"sign-in as {username} failed: {answer.status_code}")
    return client
