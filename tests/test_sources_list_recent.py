"""``list_recent`` of each connector against the replay server, and a gone post on each platform."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.refs import ThreadRef
from schemas.thread import Platform
from sources.connectors import CONNECTORS
from sources.connectors.base import AccountRef, ThreadGoneError
from tests.replay.helpers import Sleeps, account, config_for, credential
from tests.replay.server import Reply, fixture, replay_server

SINCE = datetime(2026, 9, 1, tzinfo=UTC)


def make(platform: Platform, url: str, account_id: str = "acc"):  # type: ignore[no-untyped-def]
    return CONNECTORS[platform](config_for(url, Sleeps()), credential(business_id="open-1"), account(account_id))


def test_instagram_media_since() -> None:
    with replay_server() as server:
        server.add("/v25.0/1784/media", Reply.json({"data": [
            {"id": "17900000000000001", "timestamp": "2026-10-01T00:00:00+0000", "permalink": "https://i/p/1"},
            {"id": "", "timestamp": "2026-10-01T00:00:00+0000"}], "paging": {}}))
        refs = make(Platform.INSTAGRAM, server.url).list_recent(AccountRef(Platform.INSTAGRAM, "1784", "K", "U"), SINCE)
        assert server.requests[0].query["since"] == str(int(SINCE.timestamp()))
    assert [(r.post_id, r.url) for r in refs] == [("17900000000000001", "https://i/p/1")]


def test_x_timeline_pages_with_pagination_token() -> None:
    with replay_server() as server:
        server.add("/2/users/900/tweets", Reply.json({"data": [{"id": "1"}], "meta": {"next_token": "t2"}}))
        server.add("/2/users/900/tweets", Reply.json({"data": [{"id": "2"}], "meta": {"result_count": 1}}),
                   query={"pagination_token": "t2"})
        refs = make(Platform.X, server.url).list_recent(AccountRef(Platform.X, "900", "K", "U"), SINCE)
        assert server.requests[0].query["start_time"] == "2026-09-01T00:00:00Z"
        assert server.requests[0].query["exclude"] == "retweets,replies"
    assert [r.post_id for r in refs] == ["1", "2"]


def test_youtube_uploads_playlist_since() -> None:
    with replay_server() as server:
        server.add("/youtube/v3/channels", Reply.json({"items": [{"contentDetails": {"relatedPlaylists": {
            "uploads": "UUexample"}}}]}))
        server.add("/youtube/v3/playlistItems", Reply.json({"items": [
            {"contentDetails": {"videoId": "new", "videoPublishedAt": "2026-10-01T00:00:00Z"}},
            {"contentDetails": {"videoId": "old", "videoPublishedAt": "2020-01-01T00:00:00Z"}}]}))
        refs = make(Platform.YOUTUBE, server.url).list_recent(AccountRef(Platform.YOUTUBE, "UC1", "K", "U"), SINCE)
    assert [r.post_id for r in refs] == ["new"]


def test_linkedin_posts_finder() -> None:
    with replay_server() as server:
        server.add("/rest/posts", Reply.json({"elements": [
            {"id": "urn:li:share:1", "publishedAt": 1790000000000},
            {"id": "urn:li:share:0", "createdAt": 1500000000000}],
            "paging": {"start": 0, "count": 100}}))
        refs = make(Platform.LINKEDIN, server.url).list_recent(AccountRef(Platform.LINKEDIN, "1234", "K", "U"), SINCE)
        assert server.requests[0].query["author"] == "urn:li:organization:1234"
    assert [r.post_id for r in refs] == ["urn:li:share:1"]


def test_tiktok_video_list_stops_at_older_videos() -> None:
    with replay_server() as server:
        server.add("/open_api/v1.3/business/video/list/", Reply.json({"code": 0, "message": "OK", "data": {
            "videos": [{"item_id": "7", "create_time": 1790000000, "share_url": "https://t/7"}],
            "cursor": 1790000000000, "has_more": True}}))
        server.add("/open_api/v1.3/business/video/list/", Reply.json({"code": 0, "message": "OK", "data": {
            "videos": [{"item_id": "6", "create_time": 1500000000}], "cursor": 1, "has_more": True}}),
            query={"cursor": "1790000000000"})
        refs = make(Platform.TIKTOK, server.url).list_recent(AccountRef(Platform.TIKTOK, "kommune", "K", "U"), SINCE)
        assert len(server.requests) == 2
    assert [r.post_id for r in refs] == ["7"]


@pytest.mark.parametrize(
    ("platform", "post_id", "path", "reply"),
    [(Platform.FACEBOOK, "1_2", "/v25.0/1_2", Reply(400, fixture("facebook/error_missing_object.json").body)),
     (Platform.INSTAGRAM, "179", "/v25.0/179", Reply(400, fixture("facebook/error_missing_object.json").body)),
     (Platform.X, "185", "/2/tweets/185", fixture("x/not_found.json")),
     (Platform.YOUTUBE, "vid", "/youtube/v3/videos", Reply.json({"items": []})),
     (Platform.LINKEDIN, "urn:li:share:9", "/rest/posts/urn:li:share:9", Reply.json({"status": 404}, 404)),
     (Platform.TIKTOK, "74", "/open_api/v1.3/business/video/list/", Reply.json({"code": 0, "data": {"videos": []}}))],
)
def test_a_post_that_is_gone_is_a_thread_gone_error(platform: Platform, post_id: str, path: str,
                                                    reply: Reply) -> None:
    with replay_server() as server:
        server.add(path, reply)
        with pytest.raises(ThreadGoneError, match="Eksempel kommune"):
            make(platform, server.url).fetch_thread(ThreadRef(platform, post_id))
