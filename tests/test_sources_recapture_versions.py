"""Re-capture versioning: a re-capture that observes no change keeps the canonical capture (and so the package
id); the look goes to the observation log and its raw responses to the evidence. A change gives a new version
whose observations include the unchanged looks in between."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from exporters.package import BuiltPackage
from pipeline.export import ExportConfig, ExportResult, stage_thread, upload_package
from pipeline.settings import Settings
from schemas.refs import ThreadRef
from schemas.thread import Platform
from sources.accounts import AccountRegistry
from sources.capture import load_thread
from sources.connectors.runner import capture_one
from sources.connectors.store import MediaPolicy, observation_log_path, read_observation_log
from sources.evidence import evidence_files
from storage.local import LocalSink
from tests.replay.helpers import Sleeps, config_for
from tests.replay.server import Reply, fixture, fixture_data, replay_server

POST = "100064123456789_1234567890123456"
KEY = f"facebook-{POST}"
REGISTRY = AccountRegistry.model_validate({"accounts": [{
    "key": "fjordvik-facebook", "platform": "facebook", "platform_id": "100064123456789",
    "display_name": "Fjordvik kommune", "owning_unit": "Kommunikasjonsavdelingen", "editors": ["kari"],
    "credentials_ref": "env:T", "noark": {"arkivdel": "Sosiale medier"}}]})
REF = ThreadRef(Platform.FACEBOOK, POST, "fjordvik-facebook")
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _serve(server, first_comment: str | None = None, likes: int | None = None) -> None:  # type: ignore[no-untyped-def]
    p1 = fixture_data("facebook/comments_p1.json")
    if first_comment is not None:
        p1["data"][0]["message"] = first_comment
    if likes is not None:
        p1["data"][0]["like_count"] = likes
    server.add(f"/v25.0/{POST}", fixture("facebook/post.json"))
    server.add(f"/v25.0/{POST}/comments", Reply.json(p1))
    server.add(f"/v25.0/{POST}/comments", fixture("facebook/comments_p2.json"), query={"after": "QVFIUnh5ejEyMzQ1"})


def _capture(root: Path, url: str) -> tuple[str, bool, int]:
    outcome = capture_one(root, REF, REGISTRY, {"env:T": "x"}.get, config_for(url, Sleeps()),
                          MediaPolicy(enabled=False))
    assert outcome.status == "captured", outcome.message
    return outcome.status, outcome.unchanged, outcome.edited


def _export(root: Path, bucket: Path, at: datetime) -> BuiltPackage | ExportResult:
    work = root / "work"
    config = ExportConfig(work_dir=work, noark=Settings(_env_file=None, work_dir=work).noark(), pdfa_part="2")
    sink = LocalSink(bucket)
    staged = stage_thread(load_thread(root / "threads" / f"{KEY}.json"), None, sink=sink, media_dir=None,
                          config=config, exported_at=at)
    if isinstance(staged, BuiltPackage):
        upload_package(staged, sink)
    return staged


def test_unchanged_recapture_keeps_the_version_and_an_edit_makes_a_new_one(tmp_path: Path) -> None:
    root, bucket = tmp_path / "capture", tmp_path / "bucket"
    thread_path = root / "threads" / f"{KEY}.json"
    with replay_server() as server:
        _serve(server)
        assert _capture(root, server.url) == ("captured", False, 0)
        first_bytes = thread_path.read_bytes()
        first = _export(root, bucket, NOW)
        assert isinstance(first, BuiltPackage)

        assert _capture(root, server.url) == ("captured", True, 0)  # same answers: nothing changed
        assert thread_path.read_bytes() == first_bytes  # the canonical capture is not rewritten
        again = _export(root, bucket, NOW + timedelta(hours=1))
        assert isinstance(again, ExportResult) and again.status == "unchanged"
        assert again.package_id == first.package_id
        logged = read_observation_log(root, KEY)
        assert len(logged) == 1 and logged[0].note is not None and "uendret" in logged[0].note
        assert len(evidence_files(root, KEY)) == 2  # the raw responses of both captures are kept

        _serve(server, first_comment="Når er fristen? Fant det, takk!")
        assert _capture(root, server.url) == ("captured", False, 1)
        newer = _export(root, bucket, NOW + timedelta(hours=2))
    assert isinstance(newer, BuiltPackage) and newer.package_id != first.package_id
    assert newer.manifest.previous_package_id == first.package_id
    thread = load_thread(thread_path)
    assert [o.at for o in thread.observations] == sorted(o.at for o in thread.observations)
    assert len([o for o in thread.observations if o.source == "api"]) == 3  # the unchanged look joined
    assert any(o.note and "uendret" in o.note for o in thread.observations)
    assert thread.comments[0].revisions[-1].text != thread.comments[0].text


def test_a_changed_count_is_a_change(tmp_path: Path) -> None:
    root = tmp_path / "capture"
    with replay_server() as server:
        _serve(server)
        _capture(root, server.url)
        _serve(server, likes=999)
        assert _capture(root, server.url) == ("captured", False, 0)
    assert not observation_log_path(root, KEY).exists()


def test_a_hostile_observation_log_is_skipped_not_trusted(tmp_path: Path) -> None:
    root = tmp_path / "capture"
    log = observation_log_path(root, KEY)
    log.parent.mkdir(parents=True)
    log.write_bytes(b'{"at": "2026-01-01T00:00:00Z", "source": "api"}\n' + b"\xff\xfe{not json\n"
                    + b'{"at": "x' + b"a" * 10_000 + b'"}\n' + b'{"at": "2026-01-01T00:00:00Z", "source": "evil"}\n'
                    + b'[' * 5000 + b"\n")
    assert [o.source for o in read_observation_log(root, KEY)] == ["api"]
    with replay_server() as server:
        _serve(server)
        _capture(root, server.url)
        assert _capture(root, server.url)[1] is True
    assert len(read_observation_log(root, KEY)) == 2


def test_an_unchanged_look_keeps_the_thread_in_the_recapture_window(tmp_path: Path) -> None:
    from schemas.thread import Observation
    from sources.connectors.runner import recapture_refs
    from sources.connectors.store import append_observation

    root = tmp_path / "capture"
    with replay_server() as server:
        _serve(server)
        server.add("/v25.0/100064123456789/published_posts", Reply.json({"data": []}))
        _capture(root, server.url)
        captured = load_thread(root / "threads" / f"{KEY}.json").captured_at
        config = config_for(server.url, Sleeps())
        later = captured + timedelta(days=30)
        assert recapture_refs(root, REGISTRY, {"env:T": "x"}.get, config, later - timedelta(days=1))[0] == []
        append_observation(root, KEY, Observation(at=later, source="api", comments_seen=3, note="uendret"))
        found, failures = recapture_refs(root, REGISTRY, {"env:T": "x"}.get, config, later - timedelta(days=1))
    assert failures == [] and [r.key for r in found] == [KEY]
