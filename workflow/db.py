"""Opening the workflow database and migrating it (Alembic, run programmatically).

SQLite (the default, one file) or PostgreSQL (``postgresql+psycopg://…``, several editors on several
machines). On SQLite every transaction starts with ``BEGIN IMMEDIATE`` (one writer at a time, readers go on
under WAL), foreign keys are on and a busy writer is waited for; these are set on this engine's connections
only. :meth:`Database.transaction` is one unit of work: committed on success, rolled back on any error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from schemas.errors import ConfigError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (pysqlite's own is unreliable)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created. A bad URL is a ConfigError naming it."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"ugyldig database-URL {url!r}: {exc}") from None
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise ConfigError(f"database-URL {parsed.render_as_string()}: bare sqlite og postgresql støttes")
    if backend == "postgresql" and parsed.drivername != "postgresql+psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if backend == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
    except NoSuchModuleError as exc:
        raise ConfigError(f"database-URL {parsed.render_as_string()}: {exc}") from None
    return engine


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(url: str | Engine) -> str:
    """Migrate the database at ``url`` to the newest revision; returns that revision."""
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        command.upgrade(_alembic_config(engine), "head")
        return current_revision(engine) or ""
    except OperationalError as exc:
        raise ConfigError(f"kan ikke åpne databasen {engine.url.render_as_string()}: {exc.orig}") from None
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


@cache
def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config(create_engine("sqlite://"))).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


class Database:
    """The workflow database: an engine plus sessions, one transaction per unit of work."""

    def __init__(self, url: str | Engine, *, check_revision: bool = True) -> None:
        self.engine = url if isinstance(url, Engine) else make_engine(url)
        self.dialect = self.engine.dialect.name
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if check_revision:
            try:
                self.require_current()
            except ConfigError:
                self.engine.dispose()
                raise

    def require_current(self) -> None:
        """A ConfigError telling to run ``somearkiv db upgrade`` when the schema is not the newest."""
        try:
            have = current_revision(self.engine)
        except OperationalError as exc:
            raise ConfigError(f"kan ikke åpne databasen {self.engine.url.render_as_string()}: {exc.orig}") from None
        want = head_revision()
        if have != want:
            raise ConfigError(
                f"databasen {self.engine.url.render_as_string()} har skjemaversjon {have or 'ingen'}, "
                f"ventet {want}: kjør «somearkiv db upgrade»"
            )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()
