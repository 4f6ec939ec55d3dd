"""Capture into the folder format: media fetched, evidence kept, re-capture merged, a gone thread marked,
and the Prefect ``capture-threads`` flow end to end against the replay server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas.refs import ThreadRef
from schemas.thread import Platform
from sources.accounts import AccountRegistry
from sources.capture import load_thread
from sources.connectors.store import MediaPolicy
from sources.evidence import read_evidence
from sources.folder import load_catalog
from tests.replay.helpers import Sleeps, config_for
from tests.replay.server import Reply, fixture, fixture_data, replay_server

POST = "100064123456789_1234567890123456"
REF = ThreadRef(Platform.FACEBOOK, POST, "fjordvik-facebook")
SPAM = "1234567890123456_987654321099100"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00"
       b"\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
REGISTRY = AccountRegistry.model_validate({"accounts": [{
    "key": "fjordvik-facebook", "platform": "facebook", "platform_id": "100064123456789",
    "display_name": "Fjordvik kommune", "owning_unit": "Kommunikasjonsavdelingen", "editors": ["kari"],
    "credentials_ref": "env:SOMEARKIV_TEST_FB_TOKEN", "noark": {"arkivdel": "Sosiale medier"}}]})


def serve(server, *, without_spam: bool = False) -> None:  # type: ignore[no-untyped-def]
    post = fixture_data("facebook/post.json")
    post["attachments"]["data"][0]["subattachments"]["data"][0]["media"]["image"]["src"] = f"{server.url}/media/1.png"
    server.add(f"/v25.0/{POST}", Reply.json(post))
    server.add("/media/1.png", Reply(200, PNG, {"Content-Type": "image/png"}))
    server.add(f"/v25.0/{POST}/comments", fixture("facebook/comments_p1.json"))
    p2 = fixture_data("facebook/comments_p2.json")
    if without_spam:
        p2["data"] = [c for c in p2["data"] if c["id"] != SPAM]
    server.add(f"/v25.0/{POST}/comments", Reply.json(p2), query={"after": "QVFIUnh5ejEyMzQ1"})


def test_capture_one_writes_the_folder_and_a_recapture_keeps_the_deleted(tmp_path: Path) -> None:
    from sources.connectors.runner import capture_one

    policy = MediaPolicy(allowed_hosts=frozenset({"127.0.0.1"}))
    tokens = {"env:SOMEARKIV_TEST_FB_TOKEN": "EAAGtoken"}.get
    with replay_server() as server:
        serve(server)
        config = config_for(server.url, Sleeps())
        first = capture_one(tmp_path, REF, REGISTRY, tokens, config, policy)
        assert (first.status, first.comments, first.partial_errors) == ("captured", 5, 4)  # orphan + 3 CDN media
        serve(server, without_spam=True)
        second = capture_one(tmp_path, REF, REGISTRY, tokens, config, policy)
        assert (second.status, second.removed) == ("captured", 1)
        server.add(f"/v25.0/{POST}", Reply(400, fixture("facebook/error_missing_object.json").body))
        gone = capture_one(tmp_path, REF, REGISTRY, tokens, config, policy)
        assert gone.status == "gone"
        missing = capture_one(tmp_path, ThreadRef(Platform.FACEBOOK, POST, "unknown"), REGISTRY, tokens, config,
                              policy)
        no_token = capture_one(tmp_path, REF, REGISTRY, lambda ref: None, config, policy)
    assert missing.status == "failed" and "ingen konto" in missing.message
    assert no_token.status == "failed" and "SOMEARKIV_TEST_FB_TOKEN" in no_token.message
    thread = load_thread(tmp_path / "threads" / f"facebook-{POST}.json")
    assert thread.post.removal is not None and thread.post.removal.state == "deleted"
    spam = next(c for c in thread.comments if c.id == SPAM)
    assert spam.removal is not None and spam.removal.discovered_at is not None
    image = thread.post.media[0]
    assert image.path == f"facebook-{POST}/{image.id}.png" and (tmp_path / "media" / image.path).read_bytes() == PNG
    assert thread.post.media[1].path is None  # the real CDN is never contacted from a test
    evidence = sorted((tmp_path / "evidence" / f"facebook-{POST}").glob("*.jsonl.gz"))
    assert len(evidence) == 2 and len(list(read_evidence(evidence[0]))) == 3
    assert [o.source for o in thread.observations] == ["api", "api", "api"]
    (tmp_path / "flags.json").write_text("[]")
    assert load_catalog(tmp_path).broken == []  # the folder reader accepts what was written


def test_malformed_json_writes_nothing(tmp_path: Path) -> None:
    from sources.connectors.runner import capture_one

    with replay_server() as server:
        serve(server)
        server.add(f"/v25.0/{POST}/comments", Reply(200, b"{broken"), query={"after": "QVFIUnh5ejEyMzQ1"})
        outcome = capture_one(tmp_path, REF, REGISTRY, {"env:SOMEARKIV_TEST_FB_TOKEN": "t0ken"}.get,
                              config_for(server.url, Sleeps()), MediaPolicy(enabled=False))
    assert outcome.status == "failed" and "ikke gyldig JSON" in outcome.message
    assert not any(tmp_path.rglob("*.json")) and not any(tmp_path.rglob("*.gz"))


@pytest.mark.flowrun
def test_capture_flow_fetches_refs_and_recaptures_accounts(prefect_harness, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.capture import capture_threads

    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps(REGISTRY.model_dump(mode="json")))
    with replay_server() as server:
        serve(server)
        server.add("/v25.0/100064123456789/published_posts", Reply.json(
            {"data": [{"id": POST, "created_time": "2026-10-02T06:30:00+0000"}], "paging": {}}))
        monkeypatch.setenv("SOMEARKIV_REPLAY_BASE_URL", server.url)
        monkeypatch.setenv("SOMEARKIV_TEST_FB_TOKEN", "EAAGflowtoken")
        first = capture_threads(refs=[REF], capture_dir=str(tmp_path / "cap"), accounts_file=str(accounts))
        serve(server, without_spam=True)
        second = capture_threads(recapture_days=3650, capture_dir=str(tmp_path / "cap"), accounts_file=str(accounts))
    assert [(o["status"], o["comments"]) for o in first] == [("captured", 5)]
    assert [(o["status"], o["removed"]) for o in second] == [("captured", 1)]
    raw = b"".join(p.read_bytes() for p in (tmp_path / "cap").rglob("*") if p.is_file())
    assert b"EAAGflowtoken" not in raw


def test_media_caps_bad_answers_and_path_tricks(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from schemas.thread import Account, Author, Item, Media, Thread
    from sources.connectors.base import Capture
    from sources.connectors.store import write_capture

    with replay_server() as server:
        server.add("/ok.png", Reply(200, PNG, {"Content-Type": "image/png"}))
        server.add("/big.mp4", Reply(200, b"x" * 5000, {"Content-Type": "video/mp4"}))
        server.add("/gone.jpg", Reply(404, b""))
        media = [Media(id="../../evil", url=f"{server.url}/ok.png"), Media(id="big", url=f"{server.url}/big.mp4"),
                 Media(id="gone", url=f"{server.url}/gone.jpg"), Media(id="file", url="file:///etc/passwd")]
        thread = Thread(platform=Platform.FACEBOOK, account=Account(id="1", name="K", owning_unit="U"),
                        thread_id="1_2", url="https://www.facebook.com/1_2",
                        post=Item(id="1_2", author=Author(id="1", display_name="K"),
                                  created_at=datetime(2026, 1, 1, tzinfo=UTC), media=media),
                        captured_at=datetime.now(UTC))
        result = write_capture(tmp_path, Capture(thread, []), MediaPolicy(max_bytes=1000))
    saved = load_thread(result.thread_path).post.media
    assert saved[0].path == "facebook-1_2/evil.png" and (tmp_path / "media" / saved[0].path).is_file()
    assert [m.path for m in saved[1:]] == [None, None, None]
    assert len(result.media_errors) == 3 and result.media_fetched == 1
    files = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert all(f.startswith(("media/facebook-1_2/", "threads/", "evidence/")) for f in files)
    assert not any(".part" in f for f in files)
