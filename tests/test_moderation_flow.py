"""Moderation end to end against the replay server: capture → screenshot → store → platform action → records.

Real HTTP on 127.0.0.1 (the replay server, also answering POST/PUT/DELETE), a real workflow database, a real
bucket audit chain in a folder. The platform action must never reach the server before the evidence exists.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from exporters.package import build_package
from noark.model import NoarkContext
from pipeline.moderation import ModerationConfig, ModerationRequest, moderate
from schemas.errors import ConfigError, CredentialsError, InputError, SourceError
from schemas.refs import ThreadRef
from schemas.thread import Platform, RemovalReason
from sources.accounts import AccountRegistry, resolve_credential
from sources.capture import load_thread
from sources.connectors import connector_for
from sources.connectors.store import MediaPolicy, write_capture
from storage.audit import AuditLog
from storage.local import LocalSink
from tests.replay.demo import serve_all
from tests.replay.helpers import TOKEN, Sleeps, config_for
from tests.replay.methods import MethodReplayServer, method_replay_server
from tests.replay.server import Reply, fixture
from workflow import audit
from workflow.db import Database
from workflow.moderation import list_moderation
from workflow.users import UnknownUserError

FB_POST = "100064123456789_1234567890123456"
FB_COMMENT = "1234567890123456_987654321098765"
FB_URL = "https://www.facebook.com/fjordvikkommune/posts/1234567890123456/?comment_id=987654321098765"
ACCOUNTS = [
    ("fjordvik-facebook", "facebook", "100064123456789", ["fjordvikkommune"]),
    ("fjordvik-instagram", "instagram", "17841400000000999", ["eksempelkommune"]),
    ("fjordvik-x", "x", "900000000000000001", ["eksempelkommune"]),
    ("fjordvik-youtube", "youtube", "UCexampleKommune00000000", []),
    ("fjordvik-linkedin", "linkedin", "1234567", []),
    ("fjordvik-tiktok", "tiktok", "eksempelkommune", []),
]


def registry() -> AccountRegistry:
    return AccountRegistry.model_validate({"accounts": [
        {"key": key, "platform": platform, "platform_id": pid, "display_name": "Eksempel kommune",
         "owning_unit": "Kommunikasjon", "editors": ["ingrid"], "credentials_ref": "env:TOKEN", "aliases": aliases,
         "noark": {"arkivdel": "Dialog i sosiale medier"},
         **({"business_id": "open-id"} if platform == "tiktok" else {})}
        for key, platform, pid, aliases in ACCOUNTS]})


def lookup(reference: str) -> str | None:
    return TOKEN if reference == "env:TOKEN" else None


@pytest.fixture
def server() -> Iterator[MethodReplayServer]:
    with method_replay_server() as running:
        serve_all(running)
        yield running


def setup(server: MethodReplayServer, tmp_path: Path) -> tuple[ModerationConfig, AuditLog]:
    config = ModerationConfig(capture_dir=tmp_path / "captures", registry=registry(),
                              sources=config_for(server.url, Sleeps(), max_attempts=2),
                              media_policy=MediaPolicy(enabled=False))
    return config, AuditLog(LocalSink(tmp_path / "bucket"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} \
        if folder.exists() else {}


def test_facebook_delete_keeps_the_evidence_first(workflow_db: Database, server: MethodReplayServer,
                                                  tmp_path: Path) -> None:
    server.add_action("DELETE", f"/v25.0/{FB_COMMENT}", fixture("facebook/moderation_ok.json"))
    config, log = setup(server, tmp_path)
    outcome = moderate(workflow_db, ModerationRequest(FB_URL, "delete", "personsjikane", "ingrid"), config, lookup,
                       audit_log=log)
    assert outcome.done and outcome.platform_request == f"DELETE /v25.0/{FB_COMMENT}"
    # the platform was asked exactly once, after the thread was read
    assert [(a.method, a.path) for a in server.actions] == [("DELETE", f"/v25.0/{FB_COMMENT}")]
    assert server.actions[0].query["access_token"] == TOKEN
    root = config.capture_dir
    thread = load_thread(root / "threads" / f"facebook-{FB_POST}.json")
    comment = next(c for c in thread.comments if c.id == FB_COMMENT)
    removal = comment.removal
    assert removal is not None and removal.state == "deleted" and removal.reason is RemovalReason.PERSONSJIKANE
    assert removal.removed_by == "ingrid" and removal.removed_at is not None
    shot = removal.screenshot
    assert shot is not None and shot.kind == "screenshot" and shot.path is not None
    png = (root / "media" / shot.path).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and shot.sha256 == hashlib.sha256(png).hexdigest()
    # the evidence manifest: capture, screenshot and raw exchanges, with hashes; recorded in the database
    manifest = json.loads(outcome.manifest.read_bytes())
    assert manifest["comment"]["text"].startswith("Når er høringsfristen")
    for entry in manifest["files"].values():
        assert hashlib.sha256((root / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    assert TOKEN.encode() not in b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())
    record = outcome.record
    assert (record.state, record.action, record.reason) == ("done", "delete", "personsjikane")
    assert record.evidence_path == str(outcome.manifest)
    with workflow_db.transaction() as session:
        actions = [e.action for e in audit.events(session, entity=f"moderation:{record.id}")]
    assert actions == ["moderation.request", "moderation.evidence", "moderation.delete"]
    chain, findings = log.events()
    assert findings == [] and [s.event.kind for s in chain] == ["moderation.deleted"]
    assert chain[0].event.actor == "ingrid" and chain[0].event.data["evidence_sha256"] == record.evidence_sha256
    # the next package of the thread carries the screenshot as a vedlegg
    built = build_package(thread, None, media_dir=root / "media", work_dir=tmp_path / "work",
                          exported_at=thread.captured_at,
                          ctx=NoarkContext(arkiv_title="A", arkivdel_title="B", municipality="Fjordvik kommune",
                                           system_name="somearkiv", archivist="somearkiv"))
    vedlegg = [f for f in built.manifest.files if f.role == "vedlegg"]
    assert len(vedlegg) == 1 and vedlegg[0].sha256 == shot.sha256


def test_a_recapture_keeps_the_editors_removal(sqlite_db: Database, server: MethodReplayServer,
                                               tmp_path: Path) -> None:
    server.add_action("POST", f"/v25.0/{FB_COMMENT}", fixture("facebook/moderation_ok.json"),
                      query={"is_hidden": "true"})
    config, log = setup(server, tmp_path)
    outcome = moderate(sqlite_db, ModerationRequest(FB_URL, "hide", "spam", "ingrid"), config, lookup, audit_log=log)
    assert outcome.done and server.actions[0].query["is_hidden"] == "true"
    # the platform now reports the comment hidden (is_hidden), and a re-capture must not forget who hid it and why
    entry = config.registry.accounts[0]
    capture = connector_for(config.sources, resolve_credential(entry, lookup), entry.thread_account(),
                            Platform.FACEBOOK).fetch_thread(ThreadRef(Platform.FACEBOOK, FB_POST, entry.key))
    write_capture(config.capture_dir, capture, MediaPolicy(enabled=False))
    thread = load_thread(config.capture_dir / "threads" / f"facebook-{FB_POST}.json")
    removal = next(c for c in thread.comments if c.id == FB_COMMENT).removal
    assert removal is not None and removal.reason is RemovalReason.SPAM and removal.removed_by == "ingrid"
    assert removal.screenshot is not None and removal.state == "hidden"


def test_capture_failure_means_nothing_is_deleted(sqlite_db: Database, server: MethodReplayServer,
                                                  tmp_path: Path) -> None:
    server.add(f"/v25.0/{FB_POST}/comments", Reply.json({"error": {"message": "boom", "code": 2}}, 500))
    server.add_action("DELETE", f"/v25.0/{FB_COMMENT}", fixture("facebook/moderation_ok.json"))
    config, log = setup(server, tmp_path)
    with pytest.raises(SourceError):
        moderate(sqlite_db, ModerationRequest(FB_URL, "delete", "spam", "ingrid"), config, lookup, audit_log=log)
    assert server.actions == []  # no hide or delete reached the platform
    assert list_moderation(sqlite_db) == []
    assert snapshot(config.capture_dir) == {} and log.events() == ([], [])


def test_platform_failure_is_recorded_and_the_evidence_stays(sqlite_db: Database, server: MethodReplayServer,
                                                             tmp_path: Path) -> None:
    server.add_action("DELETE", f"/v25.0/{FB_COMMENT}", Reply(400, fixture("facebook/moderation_permission.json").body,
                                                            {"Content-Type": "application/json"}))
    config, log = setup(server, tmp_path)
    outcome = moderate(sqlite_db, ModerationRequest(FB_URL, "delete", "sensitive-personal-data", "ingrid"), config,
                       lookup, audit_log=log)
    assert not outcome.done and len(server.actions) == 1
    record = outcome.record
    assert record.state == "failed" and "pages_manage_engagement" in (record.error or "")
    assert record.evidence_sha256 is not None and outcome.screenshot.is_file() and outcome.manifest.is_file()
    thread = load_thread(config.capture_dir / "threads" / f"facebook-{FB_POST}.json")
    assert next(c for c in thread.comments if c.id == FB_COMMENT).removal is None  # not claimed removed
    platform_evidence = config.capture_dir / "moderation" / f"{record.id}-platform.jsonl.gz"
    assert platform_evidence.is_file()
    chain, _ = log.events()
    assert [s.event.kind for s in chain] == ["moderation.failed"]


def test_instagram_youtube_and_x(sqlite_db: Database, server: MethodReplayServer, tmp_path: Path) -> None:
    config, log = setup(server, tmp_path)
    # Instagram: the media id comes from a capture of the thread (the URL has only the shortcode)
    entry = config.registry.accounts[1]
    capture = connector_for(config.sources, resolve_credential(entry, lookup), entry.thread_account(),
                            Platform.INSTAGRAM).fetch_thread(ThreadRef(Platform.INSTAGRAM, "17900000000000001",
                                                                       entry.key))
    write_capture(config.capture_dir, capture, MediaPolicy(enabled=False))
    shortcode = capture.thread.url.rstrip("/").rsplit("/", 1)[-1]
    server.add_action("POST", "/v25.0/17912345678901234", fixture("instagram/moderation_ok.json"),
                      query={"hide": "true"})
    ig = moderate(sqlite_db, ModerationRequest(f"https://www.instagram.com/p/{shortcode}/c/17912345678901234/",
                                               "hide", "spam", "ingrid"), config, lookup, audit_log=log)
    assert ig.done and ig.platform_request == "POST /v25.0/17912345678901234?hide=true"
    # YouTube: someone else's comment is rejected (setModerationStatus), not deleted
    server.add_action("POST", "/youtube/v3/comments/setModerationStatus", Reply(204, b""))
    yt = moderate(sqlite_db, ModerationRequest("https://www.youtube.com/watch?v=AbCdEfGhIjK&lc=UgzExampleThread0001AaABAg",
                                               "delete", "case-handling", "ingrid"), config, lookup, audit_log=log)
    assert yt.done
    sent = server.actions[-1]
    assert (sent.method, sent.query["moderationStatus"], sent.query["id"]) == (
        "POST", "rejected", "UgzExampleThread0001AaABAg")
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    # X: a reply's URL; the conversation is looked up, the reply hidden with PUT … {"hidden": true}
    server.add("/2/tweets/1853000000000000002", fixture("x/reply_lookup.json"))
    server.add_action("PUT", "/2/tweets/1853000000000000002/hidden", fixture("x/hide_ok.json"))
    x = moderate(sqlite_db, ModerationRequest("https://x.com/perhansen/status/1853000000000000002", "hide",
                                              "personsjikane", "ingrid"), config, lookup, audit_log=log)
    assert x.done and x.thread_key == "x-1853000000000000001"
    assert json.loads(server.actions[-1].body) == {"hidden": True}
    with pytest.raises(InputError, match="bare skjules"):
        moderate(sqlite_db, ModerationRequest("https://x.com/perhansen/status/1853000000000000002", "delete",
                                              "spam", "ingrid"), config, lookup)
    assert [s.event.kind for s in log.events()[0]] == ["moderation.hidden", "moderation.deleted", "moderation.hidden"]
    assert [r.state for r in list_moderation(sqlite_db)] == ["done", "done", "done"]


def test_bare_comment_id_found_in_the_capture_folder(sqlite_db: Database, server: MethodReplayServer,
                                                     tmp_path: Path) -> None:
    server.add_action("POST", f"/v25.0/{FB_COMMENT}", fixture("facebook/moderation_ok.json"))
    config, _ = setup(server, tmp_path)
    with pytest.raises(InputError, match="finnes ikke i noen innsamlet tråd"):
        moderate(sqlite_db, ModerationRequest(FB_COMMENT, "hide", "spam", "ingrid"), config, lookup)
    first = moderate(sqlite_db, ModerationRequest("987654321098765", "hide", "spam", "ingrid",
                                                  thread_url="https://www.facebook.com/fjordvikkommune/posts/"
                                                             "1234567890123456"), config, lookup)
    assert first.done and first.comment_id == FB_COMMENT
    again = moderate(sqlite_db, ModerationRequest(FB_COMMENT, "hide", "spam", "ingrid"), config, lookup)
    assert again.done and again.thread_key == f"facebook-{FB_POST}"


@pytest.mark.parametrize(("target", "action", "reason", "by", "error", "match"), [
    ("https://www.facebook.com/fjordvikkommune/about", "hide", "spam", "ingrid", InputError, "ett innlegg"),
    ("https://evil.example/posts/1?comment_id=2", "hide", "spam", "ingrid", InputError, "kjent plattform"),
    (FB_URL, "hide", "spam", "mallory", UnknownUserError, "mallory"),
    (FB_URL, "hide", "spam", "arne", UnknownUserError, "har ikke rollen"),  # an archivist may not moderate
    (FB_URL, "burn", "spam", "ingrid", InputError, "hide eller delete"),
    (FB_URL, "hide", "kjedelig", "ingrid", InputError, "ukjent grunn"),
    ("https://www.facebook.com/fjordvikkommune/posts/1234567890123456/?comment_id=111", "hide", "spam", "ingrid",
     InputError, "finnes ikke i tråden"),
    ("https://www.facebook.com/fjordvikkommune/posts/1234567890123456", "hide", "spam", "ingrid", InputError,
     "ikke på én kommentar"),
    ("https://www.facebook.com/ukjentside/posts/1234567890123456/?comment_id=987654321098765", "hide", "spam",
     "ingrid", ConfigError, "ingen konto"),
    ("https://www.linkedin.com/feed/update/urn:li:activity:7390000000000000001", "delete", "spam", "ingrid",
     InputError, "LinkedIn"),
    ("https://www.tiktok.com/@eksempelkommune/video/7429000000000000001", "hide", "spam", "ingrid", InputError,
     "TikTok"),
    ("x-1\x00\u202e\ud800", "hide", "spam", "ingrid", InputError, "ugyldig kommentar-id"),
    ("9" * 3000, "hide", "spam", "ingrid", InputError, "2048"),
    ("https://x.com/eksempelkommune/status/1853000000000000001", "hide", "spam", "ingrid", InputError,
     "selve innlegget"),
])
def test_bad_input_changes_nothing(sqlite_db: Database, server: MethodReplayServer, tmp_path: Path, target: str,
                                   action: str, reason: str, by: str, error: type[Exception], match: str) -> None:
    server.add_action("POST", f"/v25.0/{FB_COMMENT}", fixture("facebook/moderation_ok.json"))
    server.add("/2/tweets/1853000000000000001", Reply.json({"data": {"id": "1853000000000000001",
                                                                     "conversation_id": "1853000000000000001"}}))
    config, log = setup(server, tmp_path)
    with pytest.raises(error, match=match):
        moderate(sqlite_db, ModerationRequest(target, action, reason, by), config, lookup, audit_log=log)
    assert server.actions == [] and list_moderation(sqlite_db) == []
    assert snapshot(config.capture_dir) == {} and log.events() == ([], [])
    with sqlite_db.transaction() as session:
        assert not [e for e in audit.events(session) if e.action.startswith("moderation")]


def test_youtube_api_key_cannot_moderate(sqlite_db: Database, server: MethodReplayServer, tmp_path: Path) -> None:
    config, log = setup(server, tmp_path)
    data = registry().model_dump()
    data["accounts"][3]["credential_kind"] = "api_key"
    config = ModerationConfig(config.capture_dir, AccountRegistry.model_validate(data), config.sources,
                              config.media_policy)
    with pytest.raises(CredentialsError, match="OAuth"):
        moderate(sqlite_db, ModerationRequest("https://youtu.be/AbCdEfGhIjK?lc=UgzExampleThread0001AaABAg", "hide",
                                              "spam", "ingrid"), config, lookup, audit_log=log)
    assert server.actions == [] and server.requests == [] and list_moderation(sqlite_db) == []
