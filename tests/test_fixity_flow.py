"""The fixity-check Prefect flow: a real flow run, its markdown artifact, and failure on a problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.fixity import FixityCheckError, fixity_check
from storage.local import LocalSink
from tests.artifacts import latest_artifact
from tests.s3_server import make_package

pytestmark = [pytest.mark.flowrun, pytest.mark.usefixtures("prefect_harness")]


def test_fixity_flow_reports_a_clean_bucket_and_fails_on_a_changed_file(tmp_path: Path) -> None:
    sink = LocalSink(tmp_path / "bucket")
    package_dir, manifest = make_package(tmp_path / "staging")
    sink.put_package(package_dir, manifest)

    summary = fixity_check(bucket_url=sink.url)

    assert summary["ok"] is True and summary["packages"] == 1
    assert "# Fixitetskontroll: OK" in latest_artifact("fixity-report")

    (sink.root / manifest.package_id / "arkivstruktur.xml").write_bytes(b"<changed/>")
    with pytest.raises(FixityCheckError, match="1 avvik"):
        fixity_check(bucket_url=str(sink.root))
    artifact = latest_artifact("fixity-report")
    assert "# Fixitetskontroll: AVVIK" in artifact and "`arkivstruktur.xml` | endret" in artifact
