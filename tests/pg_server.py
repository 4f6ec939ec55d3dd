"""A real PostgreSQL server for the tests, from Debian's ``postgresql`` package (no mocks, no containers).

One server per test session: ``initdb`` into a temporary folder, ``postgres`` on 127.0.0.1 with a port the
OS picked and its unix socket in that folder, stopped (``pg_ctl stop -m immediate``: the data is thrown
away, so no shutdown checkpoint) and removed at the end.
PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` system user (``runuser``).
Each test gets its own fresh database (``CREATE DATABASE … TEMPLATE`` of one migrated, seeded database;
SQLite: a copy of one migrated file), so tests never see each other's rows. ``seeded_url``/``workflow_db``
are parametrized over both engines.
"""

from __future__ import annotations

import getpass
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from workflow.db import Database


def _pg_bin(name: str) -> str:
    """A PostgreSQL server binary: on PATH, else Debian's /usr/lib/postgresql/<newest>/bin."""
    found = shutil.which(name)
    if found:
        return found
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    for folder in dirs:
        candidate = Path(folder) / name
        if candidate.is_file():
            return str(candidate)
    pytest.fail(f"PostgreSQL's {name} not found: install Debian's postgresql package (./dev test does)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str
    socket_dir: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, template: str | None = None) -> str:
        """A new database (empty, or a copy of ``template``); returns its SQLAlchemy URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        with psycopg.connect(host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a test's database (its files would otherwise pile up until the session ends)."""
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    user = "postgres" if as_root else getpass.getuser()
    tmp = Path(tempfile.mkdtemp(prefix="somearkiv-pg-"))
    data, sock = tmp / "data", tmp / "sock"
    sock.mkdir()
    if as_root:
        shutil.chown(tmp, "postgres")
        shutil.chown(sock, "postgres")
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    subprocess.run(
        [*run_as, _pg_bin("initdb"), "-D", str(data), "-U", user, "--auth=trust", "--encoding=UTF8",
         "--no-sync", "--locale=C.UTF-8"],
        check=True, capture_output=True, env=env,
    )
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off -c full_page_writes=off "
               "-c max_connections=60")
    started = subprocess.run(
        [*run_as, _pg_bin("pg_ctl"), "-D", str(data), "-l", str(tmp / "server.log"), "-o", options, "-w", "-t", "60",
         "start"],
        capture_output=True, env=env, text=True,
    )
    if started.returncode != 0:
        log = (tmp / "server.log").read_text(errors="replace") if (tmp / "server.log").exists() else ""
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {started.stderr}\n{log}")
    try:
        yield PgServer(host="127.0.0.1", port=port, user=user, socket_dir=sock)
    finally:
        subprocess.run([*run_as, _pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, env=env)
        shutil.rmtree(tmp, ignore_errors=True)


def _seed(url: str) -> None:
    """Migrate ``url`` and add the test users: an editor (``ingrid``), an archivist (``arne``), an admin (``ada``)."""
    from workflow.db import Database, upgrade
    from workflow.users import add_user

    upgrade(url)
    db = Database(url)
    add_user(db, "ingrid", display_name="Ingrid Moe", roles=["editor"], unit="Kommunikasjon", by="test")
    add_user(db, "arne", display_name="Arne Arkivar", roles=["archivist"], unit="Dokumentsenteret", by="test")
    add_user(db, "ada", display_name="Ada Admin", roles=["admin"], by="test")
    db.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, seeded SQLite file that each test copies (faster than migrating per test)."""
    path = tmp_path_factory.mktemp("workflow-template") / "template.sqlite3"
    _seed(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> str:
    """A migrated, seeded PostgreSQL database that each test clones with ``CREATE DATABASE … TEMPLATE``."""
    url = pg_server.create_database()
    _seed(url)
    return url.rsplit("/", 1)[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def workflow_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty workflow database URL on each engine: a SQLite file, and a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'workflow.sqlite3'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with the newest schema and the test users, on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "workflow.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = server.create_database(template=request.getfixturevalue("pg_template"))
    yield url
    server.drop_database(url)


@pytest.fixture
def workflow_db(seeded_url: str) -> Iterator[Database]:
    """A migrated workflow database with an editor (``ingrid``), an archivist (``arne``) and an admin (``ada``)."""
    from workflow.db import Database

    db = Database(seeded_url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A copy of the seeded SQLite template only (tests that need no PostgreSQL run)."""
    from workflow.db import Database

    path = tmp_path / "workflow.sqlite3"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    try:
        yield db
    finally:
        db.dispose()
