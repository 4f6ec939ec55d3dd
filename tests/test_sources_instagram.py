"""Instagram connector against the replay server: media, comments, replies (embedded and paged), hidden."""

from __future__ import annotations

import pytest

from schemas.errors import CredentialsError, SourceError
from schemas.refs import ThreadRef
from schemas.thread import Platform
from sources.connectors.instagram import InstagramConnector
from tests.replay.generate import instagram_comments
from tests.replay.helpers import TOKEN, Sleeps, account, config_for, credential
from tests.replay.server import Reply, fixture, replay_server

MEDIA = "17900000000000001"
REF = ThreadRef(Platform.INSTAGRAM, MEDIA, "eksempelkommune")
MEDIA_PATH = f"/v25.0/{MEDIA}"
COMMENTS_PATH = f"/v25.0/{MEDIA}/comments"
REPLIES_PATH = "/v25.0/17912345678901234/replies"


def connector(url: str, sleeps: Sleeps, **kwargs: object) -> InstagramConnector:
    return InstagramConnector(config_for(url, sleeps, **kwargs), credential(),
                              account("17841400000000999", "Eksempel kommune"))


def serve(server) -> None:  # type: ignore[no-untyped-def]
    server.add(MEDIA_PATH, fixture("instagram/media.json"))
    server.add(COMMENTS_PATH, fixture("instagram/comments_p1.json"))
    server.add(COMMENTS_PATH, fixture("instagram/comments_p2.json"), query={"after": "QVFIUmFmdGVy"})
    server.add(REPLIES_PATH, fixture("instagram/replies.json"))


def test_media_comments_paged_replies_and_hidden() -> None:
    with replay_server() as server:
        serve(server)
        capture = connector(server.url, Sleeps()).fetch_thread(REF)
        assert server.hits(REPLIES_PATH), "replies with a next link are read from /replies"
    thread = capture.thread
    assert [c.id for c in thread.comments] == ["17912345678901234", "17998765432109876", "17998765432100002",
                                                "17912345678905555"]
    assert [c.parent_id for c in thread.comments][1:3] == ["17912345678901234"] * 2
    assert thread.comments[1].author.is_municipality and not thread.comments[0].author.is_municipality
    assert thread.comments[3].removal is not None and thread.comments[3].removal.state == "hidden"
    assert [m.kind for m in thread.post.media] == ["image", "image", "video"]
    assert thread.post.text.startswith("Badeplassen") and thread.post.reactions == 120
    assert thread.completeness is not None and (thread.completeness.reported, thread.completeness.captured) == (5, 4)
    assert thread.url == "https://www.instagram.com/p/C8abcDEFgh1/"
    bodies = b"".join(e.body for e in capture.exchanges)
    assert b"IGQVJleakedtoken" not in bodies and TOKEN.encode() not in bodies


def test_ten_thousand_comments() -> None:
    with replay_server() as server:
        server.add(MEDIA_PATH, fixture("instagram/media.json"))
        server.add(COMMENTS_PATH, instagram_comments(10_000))
        capture = connector(server.url, Sleeps()).fetch_thread(REF)
        assert len(server.hits(COMMENTS_PATH)) == 200  # 50 per page, the documented maximum
    assert len(capture.thread.comments) == 10_000


def test_80002_instagram_throttle_then_500_then_success() -> None:
    sleeps = Sleeps()
    throttle = Reply.json({"error": {"message": "(#80002) There have been too many calls to this Instagram account.",
                                     "type": "OAuthException", "code": 80002}}, 400,
                          {"X-Business-Use-Case-Usage": '{"178414":[{"type":"instagram","call_count":100,'
                                                        '"estimated_time_to_regain_access":2}]}'})
    with replay_server() as server:
        serve(server)
        server.add(MEDIA_PATH, [throttle, Reply(502, b"Bad Gateway"), fixture("instagram/media.json")])
        connector(server.url, sleeps).fetch_thread(REF)
    assert sleeps.waits == [120.0, 2.0]


def test_429_storm_over_the_cap() -> None:
    sleeps = Sleeps()
    with replay_server() as server:
        serve(server)
        server.add(COMMENTS_PATH, Reply.json({"error": {"code": 4, "message": "(#4) limit"}}, 429,
                                             {"Retry-After": "1200"}))
        with pytest.raises(SourceError, match="mer enn grensen"):
            connector(server.url, sleeps, max_delay=600.0).fetch_thread(REF)
    assert sleeps.waits == []


def test_malformed_json_and_expired_token() -> None:
    with replay_server() as server:
        serve(server)
        server.add(COMMENTS_PATH, Reply(200, b"\xff\xfe{not json"))
        with pytest.raises(SourceError, match="ikke gyldig JSON"):
            connector(server.url, Sleeps()).fetch_thread(REF)
        server.add(MEDIA_PATH, Reply(400, fixture("facebook/error_token_expired.json").body))
        with pytest.raises(CredentialsError, match="Eksempel kommune"):
            connector(server.url, Sleeps()).fetch_thread(REF)
