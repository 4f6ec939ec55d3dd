"""YouTube connector against the replay server: commentThreads paging, comments.list by parentId, quota."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.errors import CredentialsError, SourceError
from schemas.refs import ThreadRef
from schemas.thread import Platform
from sources.connectors.youtube import YouTubeConnector, seconds_to_pacific_midnight
from tests.replay.generate import youtube_threads
from tests.replay.helpers import TOKEN, Sleeps, account, config_for, credential
from tests.replay.server import Reply, fixture, replay_server

VIDEO = "AbCdEfGhIjK"
REF = ThreadRef(Platform.YOUTUBE, VIDEO, "UCexampleKommune00000000")
THREADS = "/youtube/v3/commentThreads"


def connector(url: str, sleeps: Sleeps, *, kind: str = "bearer", **kwargs: object) -> YouTubeConnector:
    return YouTubeConnector(config_for(url, sleeps, **kwargs), credential(kind=kind),
                            account("UCexampleKommune00000000"))


def serve(server) -> None:  # type: ignore[no-untyped-def]
    server.add("/youtube/v3/videos", fixture("youtube/video.json"))
    server.add(THREADS, fixture("youtube/threads_p1.json"))
    server.add(THREADS, fixture("youtube/threads_p2.json"), query={"pageToken": "QURTSl9pM1RleGFtcGxl"})
    server.add("/youtube/v3/comments", fixture("youtube/replies.json"),
               query={"parentId": "UgzExampleThread0001AaABAg"})


def test_threads_pages_and_all_replies() -> None:
    with replay_server() as server:
        serve(server)
        capture = connector(server.url, Sleeps(), kind="api_key").fetch_thread(REF)
        key = server.requests[0].query["key"]
    thread = capture.thread
    assert key == TOKEN and all("key=REDACTED" in e.url for e in capture.exchanges)
    assert [
        c.id for c in thread.comments] == ["UgzExampleThread0001AaABAg", "UgzExampleThread0001AaABAg.A1b2C3d4E5f",
                                           "UgzExampleThread0001AaABAg.A1b2C3d4E6g", "UgzExampleThread0002AaABAg"]
    assert thread.comments[0].edited_at is not None  # updatedAt after publishedAt
    assert thread.comments[1].edited_at is None and thread.comments[1].author.is_municipality
    assert thread.comments[3].text == "Lyden var dårlig fra 12:30 <3"  # textOriginal, not the HTML
    assert thread.post.text.startswith("Kommunestyremøtet") and thread.post.media
    assert thread.completeness is not None and thread.completeness.reported == 4
    assert thread.completeness.captured == 4 and thread.completeness.gaps == []


def test_ten_thousand_comments() -> None:
    with replay_server() as server:
        server.add("/youtube/v3/videos", fixture("youtube/video.json"))
        server.add(THREADS, youtube_threads(VIDEO, 10_000))
        capture = connector(server.url, Sleeps()).fetch_thread(REF)
        assert len(server.hits(THREADS)) == 100
    assert len(capture.thread.comments) == 10_000


def test_quota_exceeded_stops_until_pacific_midnight_with_a_clear_error() -> None:
    sleeps = Sleeps()
    with replay_server() as server:
        serve(server)
        server.add(THREADS, Reply(403, fixture("youtube/quota_exceeded.json").body))
        with pytest.raises(SourceError, match=r"quotaExceeded.*midnatt"):
            connector(server.url, sleeps).fetch_thread(REF)
        assert len(server.hits(THREADS)) == 1
    assert sleeps.waits == []
    assert 0 < seconds_to_pacific_midnight(datetime(2026, 12, 1, 7, 59, tzinfo=UTC)) == 60


def test_comments_disabled_is_an_empty_thread_with_a_reason() -> None:
    with replay_server() as server:
        serve(server)
        server.add(THREADS, Reply(403, fixture("youtube/comments_disabled.json").body))
        capture = connector(server.url, Sleeps()).fetch_thread(REF)
    assert capture.thread.comments == []
    assert "slått av" in (capture.thread.completeness.gaps[0].note or "")  # type: ignore[union-attr]


def test_429_storm_500_then_success_and_malformed_json() -> None:
    sleeps = Sleeps()
    limited = Reply.json({"error": {"code": 429, "errors": [{"reason": "rateLimitExceeded"}]}}, 429)
    with replay_server() as server:
        serve(server)
        server.add("/youtube/v3/videos", [limited, limited, Reply(500, b""), fixture("youtube/video.json")])
        connector(server.url, sleeps).fetch_thread(REF)
        assert sleeps.waits == [1.0, 2.0, 4.0]
        server.add("/youtube/v3/comments", Reply(200, b"<html>not json</html>"))
        with pytest.raises(SourceError, match="ikke gyldig JSON"):
            connector(server.url, sleeps).fetch_thread(REF)


def test_private_video_and_forbidden_key() -> None:
    with replay_server() as server:
        server.add("/youtube/v3/videos", Reply.json({"kind": "youtube#videoListResponse", "items": []}))
        with pytest.raises(SourceError, match="finnes ikke, er privat"):
            connector(server.url, Sleeps()).fetch_thread(REF)
        server.add("/youtube/v3/videos", Reply.json({"error": {"code": 403, "errors": [{"reason": "forbidden"}]}},
                                                    403))
        with pytest.raises(CredentialsError, match="Eksempel kommune"):
            connector(server.url, Sleeps()).fetch_thread(REF)


def test_held_for_review_comments_are_kept_hidden_where_configured() -> None:
    held = {"kind": "youtube#commentThreadListResponse", "items": [{"id": "UgzHeld", "snippet": {
        "videoId": VIDEO, "totalReplyCount": 0, "topLevelComment": {"id": "UgzHeld", "snippet": {
            "textOriginal": "Venter på godkjenning", "authorDisplayName": "@x", "authorChannelId": {"value": "UCx"},
            "publishedAt": "2026-09-03T08:00:00Z", "updatedAt": "2026-09-03T08:00:00Z",
            "moderationStatus": "heldForReview"}}}}]}
    with replay_server() as server:
        serve(server)
        server.add(THREADS, Reply.json(held), query={"moderationStatus": "heldForReview"})
        server.add(THREADS, Reply.json({"items": []}), query={"moderationStatus": "likelySpam"})
        capture = connector(server.url, Sleeps(), youtube_moderation=True).fetch_thread(REF)
    comment = next(c for c in capture.thread.comments if c.id == "UgzHeld")
    assert comment.removal is not None and comment.removal.state == "hidden"
    assert "heldForReview" in (comment.removal.note or "")
