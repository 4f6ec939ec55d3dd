"""TikTok connector against the replay server: HTTP-200 error envelope, cursor + has_more, reply lists."""

from __future__ import annotations

import pytest

from schemas.errors import CredentialsError, SourceError
from schemas.refs import ThreadRef
from schemas.thread import Platform
from sources.connectors.tiktok import TikTokConnector
from tests.replay.generate import tiktok_comments
from tests.replay.helpers import TOKEN, Sleeps, account, config_for, credential
from tests.replay.server import Reply, fixture, replay_server

VIDEO = "7429000000000000001"
REF = ThreadRef(Platform.TIKTOK, VIDEO, "eksempelkommune")
API = "/open_api/v1.3/business"


def connector(url: str, sleeps: Sleeps, **kwargs: object) -> TikTokConnector:
    return TikTokConnector(config_for(url, sleeps, **kwargs), credential(business_id="open-id-123"),
                           account("eksempelkommune"))


def serve(server) -> None:  # type: ignore[no-untyped-def]
    server.add(f"{API}/video/list/", fixture("tiktok/video_list.json"))
    server.add(f"{API}/comment/list/", fixture("tiktok/comments_p1.json"), query={"cursor": "0"})
    server.add(f"{API}/comment/list/", fixture("tiktok/comments_p2.json"), query={"cursor": "1"})
    server.add(f"{API}/comment/reply/list/", fixture("tiktok/replies.json"))


def test_comments_replies_hidden_and_numeric_ids() -> None:
    with replay_server() as server:
        serve(server)
        capture = connector(server.url, Sleeps()).fetch_thread(REF)
        first = server.hits(f"{API}/comment/list/")[0]
    assert first.headers["access-token"] == TOKEN and "authorization" not in first.headers
    assert first.query["status"] == "ALL" and first.query["business_id"] == "open-id-123"
    thread = capture.thread
    assert [c.id for c in thread.comments] == ["7430000000000000001", "7430000000000000002", "7430000000000000009"]
    assert thread.comments[1].parent_id == "7430000000000000001" and thread.comments[1].author.is_municipality
    assert thread.comments[2].removal is not None and thread.comments[2].removal.state == "hidden"
    assert thread.completeness is not None and thread.completeness.reported == 4
    assert TOKEN not in str(capture.exchanges[0].request_headers)


def test_ten_thousand_comments_with_short_pages() -> None:
    with replay_server() as server:
        server.add(f"{API}/video/list/", fixture("tiktok/video_list.json"))
        server.add(f"{API}/comment/list/", tiktok_comments(VIDEO, 10_000))
        capture = connector(server.url, Sleeps()).fetch_thread(REF)
        pages = len(server.hits(f"{API}/comment/list/"))
    assert len(capture.thread.comments) == 10_000
    assert pages == 371  # 27 per page although 30 were asked for: has_more, not the page size, decides


def test_rate_limit_envelope_in_a_200_then_success() -> None:
    sleeps = Sleeps()
    with replay_server() as server:
        serve(server)
        server.add(f"{API}/video/list/", [fixture("tiktok/rate_limited.json")] * 3 + [Reply(500, b""),
                                          fixture("tiktok/video_list.json")])
        connector(server.url, sleeps).fetch_thread(REF)
    assert sleeps.waits == [1.0, 2.0, 4.0, 8.0]


def test_storm_cap_malformed_json_and_expired_token() -> None:
    with replay_server() as server:
        serve(server)
        server.add(f"{API}/video/list/", fixture("tiktok/rate_limited.json"))
        with pytest.raises(SourceError, match="40100"):
            connector(server.url, Sleeps(), max_attempts=3).fetch_thread(REF)
        server.add(f"{API}/video/list/", Reply(200, b'{"code": 0, "data": {"videos": [{'))
        with pytest.raises(SourceError, match="ikke gyldig JSON"):
            connector(server.url, Sleeps()).fetch_thread(REF)
        server.add(f"{API}/video/list/", fixture("tiktok/token_expired.json"))
        with pytest.raises(CredentialsError, match="Eksempel kommune"):
            connector(server.url, Sleeps()).fetch_thread(REF)


def test_a_video_that_is_not_the_accounts() -> None:
    with replay_server() as server:
        server.add(f"{API}/video/list/", Reply.json({"code": 0, "message": "OK", "data": {"videos": []}}))
        with pytest.raises(SourceError, match="finnes ikke"):
            connector(server.url, Sleeps()).fetch_thread(REF)
