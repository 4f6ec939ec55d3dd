"""Each platform's moderation call and its failures, and hostile comments through the whole moderation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from pipeline.moderation import ModerationRequest, moderate
from schemas.errors import CredentialsError, InputError
from schemas.thread import Platform
from sources.capture import load_thread
from sources.connectors.moderate import ModerationRefusedError, check_moderation, moderate_comment
from sources.evidence import read_evidence
from tests.replay.helpers import TOKEN, Sleeps, account, config_for, credential
from tests.replay.methods import MethodReplayServer, method_replay_server
from tests.replay.server import Reply, fixture, fixture_data
from tests.test_moderation_flow import FB_COMMENT, FB_POST, FB_URL, lookup, server, setup  # noqa: F401
from workflow.db import Database
from workflow.moderation import list_moderation

YT_URL = "https://www.youtube.com/watch?v=AbCdEfGhIjK&lc=UgzExampleThread0001AaABAg"


def test_instagram_delete_and_youtube_hide_and_own_delete() -> None:
    with method_replay_server() as srv:
        srv.add_action("DELETE", "/v25.0/17912345678901234", fixture("instagram/moderation_ok.json"))
        srv.add_action("POST", "/youtube/v3/comments/setModerationStatus", Reply(204, b""))
        srv.add_action("DELETE", "/youtube/v3/comments", Reply(204, b""))
        config = config_for(srv.url, Sleeps())
        ig = moderate_comment(config, credential(), account(), Platform.INSTAGRAM, "17912345678901234", "delete")
        yt = moderate_comment(config, credential(), account(), Platform.YOUTUBE, "Ugz1", "hide")
        own = moderate_comment(config, credential(), account(), Platform.YOUTUBE, "Ugz2", "delete", own_comment=True)
        actions = srv.actions
    assert ig.request == "DELETE /v25.0/17912345678901234" and actions[0].query == {"access_token": TOKEN}
    assert actions[1].query == {"id": "Ugz1", "moderationStatus": "heldForReview"}
    assert (actions[2].method, actions[2].path, actions[2].query) == ("DELETE", "/youtube/v3/comments", {"id": "Ugz2"})
    assert own.request == "DELETE /youtube/v3/comments"
    # evidence of the calls: the token never in it
    recorded = b"".join(e.body for e in ig.exchanges + yt.exchanges) + "".join(
        e.url for e in ig.exchanges + yt.exchanges).encode()
    assert TOKEN.encode() not in recorded and "access_token=REDACTED" in ig.exchanges[0].url


@pytest.mark.parametrize(("platform", "action", "kind", "match"), [
    (Platform.LINKEDIN, "hide", ModerationRefusedError, "LinkedIn-appen"),
    (Platform.TIKTOK, "delete", ModerationRefusedError, "TikTok-appen"),
    (Platform.X, "delete", ModerationRefusedError, "bare skjules"),
    (Platform.FACEBOOK, "ban", ModerationRefusedError, "hide eller delete"),
])
def test_refused_before_any_request(platform: Platform, action: str, kind: type[Exception], match: str) -> None:
    with pytest.raises(kind, match=match):
        check_moderation(platform, action, credential())  # type: ignore[arg-type]


def test_a_token_without_the_moderation_scope_is_refused_before_any_request() -> None:
    with pytest.raises(CredentialsError, match="pages_manage_engagement"):
        check_moderation(Platform.FACEBOOK, "hide", credential(scopes=frozenset({"pages_read_engagement"})))


def test_youtube_forbidden_is_a_failed_record_with_the_evidence(sqlite_db: Database, server: MethodReplayServer,  # noqa: F811
                                                                tmp_path: Path) -> None:
    server.add_action("POST", "/youtube/v3/comments/setModerationStatus",
                      Reply(403, fixture("youtube/moderation_forbidden.json").body,
                            {"Content-Type": "application/json"}))
    config, log = setup(server, tmp_path)
    outcome = moderate(sqlite_db, ModerationRequest(YT_URL, "hide", "spam", "ingrid"), config, lookup, audit_log=log)
    assert not outcome.done and "HTTP 403" in (outcome.record.error or "")
    kept = list(read_evidence(config.capture_dir / "moderation" / f"{outcome.record.id}-platform.jsonl.gz"))
    assert [(r["method"], r["status"]) for r in kept] == [("POST", 403)]
    assert outcome.screenshot.is_file()


def test_network_failure_during_the_action_is_recorded_as_uncertain(sqlite_db: Database,
                                                                    server: MethodReplayServer,  # noqa: F811
                                                                    tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    config, _ = setup(server, tmp_path)
    broken = config_for("http://127.0.0.1:9", Sleeps(), max_attempts=1)  # nothing listens on the discard port
    calls: list[str] = []

    import pipeline.moderation as module

    real = module.moderate_comment

    def via_dead_host(sources, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append("called")
        return real(broken, *args, **kwargs)

    monkeypatch.setattr(module, "moderate_comment", via_dead_host)  # the capture works, the action's host is dead
    outcome = moderate(sqlite_db, ModerationRequest(FB_URL, "delete", "spam", "ingrid"), config, lookup)
    assert calls == ["called"] and not outcome.done and "uvisst" in (outcome.record.error or "")


def test_evidence_that_cannot_be_stored_stops_before_the_platform(sqlite_db: Database,
                                                                  server: MethodReplayServer,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    server.add_action("DELETE", f"/v25.0/{FB_COMMENT}", fixture("facebook/moderation_ok.json"))
    config, log = setup(server, tmp_path)
    config.capture_dir.mkdir()
    (config.capture_dir / "media").write_bytes(b"not a folder")  # the screenshot can't be written
    with pytest.raises(OSError):
        moderate(sqlite_db, ModerationRequest(FB_URL, "delete", "spam", "ingrid"), config, lookup, audit_log=log)
    assert server.actions == []
    [record] = list_moderation(sqlite_db)
    assert record.state == "failed" and "ingenting skjult eller slettet" in (record.error or "")


def test_hostile_comment_through_the_whole_moderation(sqlite_db: Database, server: MethodReplayServer,  # noqa: F811
                                                      tmp_path: Path) -> None:
    page = fixture_data("facebook/comments_p1.json")
    hostile = "\x00\x07\x1b[2J \u202eevil\u202c مرحبا 🦄👨‍👩‍👧 " + "ord " * 25_000  # ~100 KB
    page["data"][0]["message"] = hostile
    page["data"][0]["from"]["name"] = "\u202eNavn\x07"
    body = json.dumps(page, ensure_ascii=True).replace("\\u0000", "\\u0000\\ud800", 1).encode()  # a lone surrogate
    server.add(f"/v25.0/{FB_POST}/comments", Reply(200, body, {"Content-Type": "application/json"}))
    server.add(f"/v25.0/{FB_POST}/comments", fixture("facebook/comments_p2.json"), query={"after": "QVFIUnh5ejEyMzQ1"})
    server.add_action("POST", f"/v25.0/{FB_COMMENT}", fixture("facebook/moderation_ok.json"))
    config, log = setup(server, tmp_path)
    outcome = moderate(sqlite_db, ModerationRequest(FB_URL, "hide", "sensitive-personal-data", "ingrid"), config,
                       lookup, audit_log=log)
    assert outcome.done
    image = Image.open(outcome.screenshot)
    assert image.size[0] == 900 and image.size[1] < 6000
    thread = load_thread(config.capture_dir / "threads" / f"facebook-{FB_POST}.json")
    comment = next(c for c in thread.comments if c.id == FB_COMMENT)
    assert comment.text.startswith("\x00\ud800\x07") and len(comment.text) > 100_000  # kept verbatim
    assert comment.removal is not None and comment.removal.state == "hidden"


def test_unknown_comment_id_with_thread_url_changes_nothing(sqlite_db: Database,
                                                            server: MethodReplayServer,  # noqa: F811
                                                            tmp_path: Path) -> None:
    config, log = setup(server, tmp_path)
    with pytest.raises(InputError, match="finnes ikke i tråden"):
        moderate(sqlite_db, ModerationRequest("424242", "delete", "spam", "ingrid",
                                              thread_url="https://www.facebook.com/fjordvikkommune/posts/"
                                                         "1234567890123456"), config, lookup, audit_log=log)
    assert server.actions == [] and list_moderation(sqlite_db) == [] and not config.capture_dir.exists()


def test_a_bucket_that_refuses_the_audit_event_is_a_warning_after_the_action(
        sqlite_db: Database, server: MethodReplayServer, tmp_path: Path) -> None:  # noqa: F811
    server.add_action("POST", f"/v25.0/{FB_COMMENT}", fixture("facebook/moderation_ok.json"))
    config, log = setup(server, tmp_path)
    (tmp_path / "bucket").mkdir(exist_ok=True)
    (tmp_path / "bucket" / "_audit").write_bytes(b"a file where the audit folder belongs")
    outcome = moderate(sqlite_db, ModerationRequest(FB_URL, "hide", "spam", "ingrid"), config, lookup, audit_log=log)
    assert outcome.done and len(server.actions) == 1
    (warning,) = outcome.warnings
    assert (warning.rule, warning.severity) == ("moderation-audit-refused", "warning")
    assert "revisjonslogg" in warning.message and warning.where == f"moderering #{outcome.record.id}"
