"""X connector against the replay server: post, note_tweet, edit history, conversation search, partial errors."""

from __future__ import annotations

import time

import pytest

from schemas.errors import CredentialsError, SourceError
from schemas.refs import ThreadRef
from schemas.thread import Platform
from sources.connectors.x import XConnector
from tests.replay.generate import x_search
from tests.replay.helpers import TOKEN, Sleeps, account, config_for, credential
from tests.replay.server import Reply, fixture, replay_server

ROOT = "1853000000000000001"
REF = ThreadRef(Platform.X, ROOT, "eksempelkommune")
TWEET_PATH = f"/2/tweets/{ROOT}"
RECENT = "/2/tweets/search/recent"


def connector(url: str, sleeps: Sleeps, **kwargs: object) -> XConnector:
    return XConnector(config_for(url, sleeps, **kwargs), credential(), account("900000000000000001"))


def serve(server) -> None:  # type: ignore[no-untyped-def]
    server.add(TWEET_PATH, fixture("x/tweet.json"))
    server.add(RECENT, fixture("x/search_p1.json"))
    server.add(RECENT, fixture("x/search_p2.json"), query={"next_token": "b26v89c19zqg8o3frr3bd7xmpvwqy4d7m"})


def test_post_edit_history_note_tweet_replies_and_partial_errors() -> None:
    with replay_server() as server:
        serve(server)
        capture = connector(server.url, Sleeps()).fetch_thread(REF)
        search = server.hits(RECENT)
        auth = server.requests[0].headers["authorization"]
    thread = capture.thread
    assert auth == f"Bearer {TOKEN}"
    assert search[0].query["query"] == f"conversation_id:{ROOT}"
    assert "note_tweet" in search[0].query["tweet.fields"]
    assert thread.post.text.endswith("ikke i text.")  # the long text from note_tweet
    assert [r.text for r in thread.post.revisions] == ["Bussen til sentrum er innstilt i dag på grunn av glatte veier."]
    assert thread.post.edited_at is not None and thread.post.media[0].alt_text == "Glatt vei"
    assert [(c.id[-1], c.parent_id and c.parent_id[-1]) for c in thread.comments] == [("2", None), ("3", "2"),
                                                                                       ("4", None)]
    assert thread.comments[0].author.display_name == "Per Hansen (@perhansen)"
    assert thread.comments[2].media[0].url.endswith("hi.mp4")  # the best mp4 variant
    assert any("1853000000000000005" in e.detail for e in capture.partial_errors)  # errors[] in a 200: kept
    assert thread.completeness is not None and thread.completeness.gaps  # partial errors and the 7-day window


def test_full_archive_search_where_configured() -> None:
    with replay_server() as server:
        server.add(TWEET_PATH, fixture("x/tweet.json"))
        server.add("/2/tweets/search/all", fixture("x/search_p2.json"))
        capture = connector(server.url, Sleeps(), x_full_archive=True).fetch_thread(REF)
        assert server.hits(RECENT) == []
    assert not any(g.reason == "api_limit" for g in capture.thread.completeness.gaps)  # type: ignore[union-attr]


def test_ten_thousand_replies() -> None:
    with replay_server() as server:
        server.add(TWEET_PATH, fixture("x/tweet.json"))
        server.add(RECENT, x_search(ROOT, 10_000))
        capture = connector(server.url, Sleeps()).fetch_thread(REF)
        assert len(server.hits(RECENT)) == 100
    assert len(capture.thread.comments) == 10_000
    assert max(capture.thread.depth_of().values()) == 2


def test_429_waits_until_x_rate_limit_reset() -> None:
    sleeps = Sleeps()
    reset = str(int(time.time()) + 30)
    limited = Reply(429, fixture("x/rate_limit.json").body, {"x-rate-limit-remaining": "0",
                                                             "x-rate-limit-reset": reset})
    with replay_server() as server:
        serve(server)
        server.add(RECENT, [limited, limited, fixture("x/search_p1.json")], query={"query": f"conversation_id:{ROOT}"})
        server.add(RECENT, fixture("x/search_p2.json"), query={"next_token": "b26v89c19zqg8o3frr3bd7xmpvwqy4d7m"})
        capture = connector(server.url, sleeps).fetch_thread(REF)
    assert len(sleeps.waits) == 2 and all(25 <= w <= 32 for w in sleeps.waits)
    assert capture.exchanges[1].headers["x-rate-limit-reset"] == reset


def test_500_then_success_and_malformed_json() -> None:
    sleeps = Sleeps()
    with replay_server() as server:
        serve(server)
        server.add(TWEET_PATH, [Reply(503, b"over capacity"), fixture("x/tweet.json")])
        assert connector(server.url, sleeps).fetch_thread(REF).thread.post.id == ROOT
        server.add(RECENT, Reply(200, b'{"data": [ }'), query={"next_token": "b26v89c19zqg8o3frr3bd7xmpvwqy4d7m"})
        with pytest.raises(SourceError, match="ikke gyldig JSON"):
            connector(server.url, sleeps).fetch_thread(REF)
    assert sleeps.waits == [1.0]


def test_deleted_post_and_bad_token() -> None:
    with replay_server() as server:
        server.add(TWEET_PATH, fixture("x/not_found.json"))
        with pytest.raises(SourceError, match="finnes ikke"):
            connector(server.url, Sleeps()).fetch_thread(REF)
        server.add(TWEET_PATH, Reply(401, fixture("x/unauthorized.json").body))
        with pytest.raises(CredentialsError, match=r"Eksempel kommune.*forny"):
            connector(server.url, Sleeps()).fetch_thread(REF)
