"""Shared fixtures. Prefect is kept off the network and gets one test harness per session, on demand."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# The workflow database the CLI and the flows open by default: a throwaway SQLite file, never <repo>/var/.
os.environ.setdefault(
    "SOMEARKIV_DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='somearkiv-test-db-')}/workflow.sqlite3"
)

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect server and database, started once for the tests that run real flows."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def xsd_dir() -> Path:
    """Arkivverket's and KS's official schemas (../shared/noark5/xsd, or SOMEARKIV_XSD_DIR)."""
    from pipeline.settings import Settings
    from schemas.errors import ConfigError

    try:
        return Settings().require_xsd_dir()
    except ConfigError as exc:
        pytest.fail(str(exc))


# Bucket fixtures (moto S3 server, lock buckets, test packages): tests/s3_server.py
# Workflow database fixtures (a real PostgreSQL server, both engines): tests/pg_server.py
pytest_plugins = ["tests.s3_server", "tests.pg_server"]
