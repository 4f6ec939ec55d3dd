"""Facebook Pages connector against the replay server: real HTTP, Graph API shapes and signals."""

from __future__ import annotations

import json

import pytest

from schemas.errors import CredentialsError, SourceError
from schemas.refs import ThreadRef
from schemas.thread import Platform, RemovalReason
from sources.connectors.facebook import FacebookConnector
from tests.replay.generate import graph_comments
from tests.replay.helpers import TOKEN, Sleeps, account, config_for, credential
from tests.replay.server import Reply, fixture, replay_server

POST = "100064123456789_1234567890123456"
REF = ThreadRef(Platform.FACEBOOK, POST, "100064123456789")
POST_PATH = f"/v25.0/{POST}"
COMMENTS_PATH = f"/v25.0/{POST}/comments"


def connector(url: str, sleeps: Sleeps, **kwargs: object) -> FacebookConnector:
    return FacebookConnector(config_for(url, sleeps, **kwargs), credential(), account())


def serve_thread(server) -> None:  # type: ignore[no-untyped-def]
    server.add(POST_PATH, fixture("facebook/post.json"))
    server.add(COMMENTS_PATH, fixture("facebook/comments_p1.json"))
    server.add(COMMENTS_PATH, fixture("facebook/comments_p2.json"), query={"after": "QVFIUnh5ejEyMzQ1"})


def test_thread_with_paging_replies_hidden_media_and_an_orphan() -> None:
    sleeps = Sleeps()
    with replay_server() as server:
        serve_thread(server)
        capture = connector(server.url, sleeps).fetch_thread(REF)
        calls = server.hits(COMMENTS_PATH)
    thread = capture.thread
    assert [c.id.split("_")[1] for c in thread.comments] == [
        "987654321098765", "987654321098999", "987654321099200", "987654321099100", "987654321099300"]
    assert thread.comments[1].parent_id == thread.comments[0].id  # reply follows its parent
    assert thread.comments[2].parent_id == thread.comments[0].id
    assert thread.comments[4].parent_id is None  # its parent is gone: kept, at top level, reported
    assert any("987654321000000" in e.detail for e in capture.partial_errors)
    hidden = thread.comments[3]
    assert hidden.removal is not None and hidden.removal.state == "hidden"
    assert hidden.removal.reason is RemovalReason.UNKNOWN
    assert thread.comments[1].author.is_municipality
    assert thread.comments[1].media[0].url.startswith("https://scontent.xx.fbcdn.net/")
    assert next(m.alt_text for m in thread.post.media) == "Kart over planområdet"
    assert len(thread.post.media) == 2 and thread.post.reactions == 41
    assert "\u202e" in thread.comments[2].text and "\x07" in thread.comments[2].text
    assert thread.completeness is not None
    assert (thread.completeness.reported, thread.completeness.captured) == (6, 5)
    assert {g.reason for g in thread.completeness.gaps} == {"unknown"}
    # the second page went to OUR host and path with the next link's query, the leaked token dropped
    assert calls[1].query["after"] == "QVFIUnh5ejEyMzQ1" and calls[1].query["access_token"] == TOKEN
    assert calls[0].query["filter"] == "stream"
    evidence = b"".join(e.body for e in capture.exchanges) + "".join(e.url for e in capture.exchanges).encode()
    assert TOKEN.encode() not in evidence and b"EAAGsecretFromTheRealApi" not in evidence
    assert all("access_token=REDACTED" in e.url for e in capture.exchanges)
    assert sleeps.waits == []


def test_ten_thousand_comments_over_many_pages() -> None:
    with replay_server() as server:
        server.add(POST_PATH, fixture("facebook/post.json"))
        server.add(COMMENTS_PATH, graph_comments(POST, 10_000, duplicate_at=5000))
        capture = connector(server.url, Sleeps()).fetch_thread(REF)
        pages = len(server.hits(COMMENTS_PATH))
    assert pages == 100
    assert len(capture.thread.comments) == 10_000
    assert capture.thread.depth_of()[capture.thread.comments[1].id] == 2
    assert not any("ulikt innhold" in e.detail for e in capture.partial_errors)  # an identical duplicate: dropped


def test_after_cursor_limit_is_read_from_the_other_end() -> None:
    with replay_server() as server:
        server.add(POST_PATH, fixture("facebook/post.json"))
        server.add(COMMENTS_PATH, graph_comments(POST, 1500, cursor_limit=1000))
        capture = connector(server.url, Sleeps()).fetch_thread(REF)
    thread = capture.thread
    assert len(thread.comments) == 1500
    assert thread.completeness is not None
    assert [g.reason for g in thread.completeness.gaps] == ["api_limit"]
    assert "ingen mangler" in (thread.completeness.gaps[0].note or "")


def test_after_cursor_limit_on_both_ends_records_the_gap() -> None:
    with replay_server() as server:
        server.add(POST_PATH, fixture("facebook/post.json"))
        server.add(COMMENTS_PATH, graph_comments(POST, 5000, cursor_limit=1000))
        capture = connector(server.url, Sleeps()).fetch_thread(REF)
    assert len(capture.thread.comments) == 2200
    gap = capture.thread.completeness.gaps[0]  # type: ignore[union-attr]
    assert gap.reason == "api_limit" and "mangler" in (gap.note or "")


def test_throttle_code_80001_waits_on_the_usage_header_then_succeeds() -> None:
    sleeps = Sleeps()
    usage = json.dumps({"100064123456789": [{"type": "pages", "call_count": 100, "total_cputime": 23,
                                             "total_time": 23, "estimated_time_to_regain_access": 3}]})
    throttled = Reply(400, fixture("facebook/error_throttle_80001.json").body,
                      {"Content-Type": "application/json", "X-Business-Use-Case-Usage": usage})
    with replay_server() as server:
        serve_thread(server)
        server.add(POST_PATH, [throttled, throttled, fixture("facebook/post.json")])
        capture = connector(server.url, sleeps).fetch_thread(REF)
    assert sleeps.waits == [180.0, 180.0]
    statuses = [e.status for e in capture.exchanges]
    assert statuses[:3] == [400, 400, 200]
    assert "x-business-use-case-usage" in capture.exchanges[0].headers


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001, 80002])
def test_every_graph_throttle_code_backs_off(code: int) -> None:
    sleeps = Sleeps()
    body = {"error": {"message": f"(#{code}) limit", "type": "OAuthException", "code": code}}
    with replay_server() as server:
        serve_thread(server)
        server.add(POST_PATH, [Reply.json(body, 403), fixture("facebook/post.json")])
        connector(server.url, sleeps).fetch_thread(REF)
    assert sleeps.waits == [1.0]


def test_a_429_storm_hits_the_cap_with_a_clear_error() -> None:
    sleeps = Sleeps()
    storm = Reply.json({"error": {"message": "(#4) Application request limit reached", "code": 4}}, 429,
                       {"X-App-Usage": '{"call_count":100,"total_time":25,"total_cputime":25}'})
    with replay_server() as server:
        serve_thread(server)
        server.add(POST_PATH, storm)
        with pytest.raises(SourceError, match="ga opp etter 4 forsøk"):
            connector(server.url, sleeps, max_attempts=4).fetch_thread(REF)
        assert len(server.hits(POST_PATH)) == 4
    assert sleeps.waits == [60.0, 60.0, 60.0]


def test_500_then_success_is_retried_with_backoff() -> None:
    sleeps = Sleeps()
    with replay_server() as server:
        serve_thread(server)
        server.add(COMMENTS_PATH, [Reply(500, b"<html>oops</html>"), Reply(503, b""),
                                   fixture("facebook/comments_p1.json")], query={"order": "chronological"})
        server.add(COMMENTS_PATH, fixture("facebook/comments_p2.json"), query={"after": "QVFIUnh5ejEyMzQ1"})
        capture = connector(server.url, sleeps).fetch_thread(REF)
    assert sleeps.waits == [1.0, 2.0]
    assert len(capture.thread.comments) == 5


def test_malformed_json_is_a_clear_error() -> None:
    with replay_server() as server:
        serve_thread(server)
        server.add(COMMENTS_PATH, Reply(200, b'{"data": [{"id": "1_2", '), query={"after": "QVFIUnh5ejEyMzQ1"})
        with pytest.raises(SourceError, match="ikke gyldig JSON; ingenting er skrevet"):
            connector(server.url, Sleeps()).fetch_thread(REF)


@pytest.mark.parametrize(
    ("name", "status", "match"),
    [("error_token_expired.json", 400, "utløpt eller ugyldig.*Meta Business Suite"),
     ("error_permission.json", 403, "mangler en tillatelse.*pages_read_engagement")],
)
def test_token_problems_name_the_account_and_what_to_renew(name: str, status: int, match: str) -> None:
    with replay_server() as server:
        server.add(POST_PATH, Reply(status, fixture(f"facebook/{name}").body))
        with pytest.raises(CredentialsError, match=match) as info:
            connector(server.url, Sleeps()).fetch_thread(REF)
    assert "Eksempel kommune" in str(info.value) and TOKEN not in str(info.value)


def test_missing_token_fails_before_any_request() -> None:
    with replay_server() as server:
        with pytest.raises(CredentialsError, match="mangler tilgangsnøkkel"):
            FacebookConnector(config_for(server.url, Sleeps()), None, account()).fetch_thread(REF)
        assert server.requests == []


def test_a_post_that_no_longer_exists_names_the_thread() -> None:
    with replay_server() as server:
        server.add(POST_PATH, Reply(400, fixture("facebook/error_missing_object.json").body))
        with pytest.raises(SourceError, match="finnes ikke"):
            connector(server.url, Sleeps()).fetch_thread(REF)


def test_ids_with_path_tricks_stay_one_path_segment() -> None:
    with replay_server() as server:
        with pytest.raises(SourceError):
            connector(server.url, Sleeps()).fetch_thread(ThreadRef(Platform.FACEBOOK, "../../me/accounts"))
        assert [r.path for r in server.requests] == ["/v25.0/../../me/accounts"]


def test_list_recent_posts() -> None:
    from datetime import UTC, datetime

    from sources.connectors.base import AccountRef

    with replay_server() as server:
        server.add("/v25.0/100064123456789/published_posts", fixture("facebook/published_posts.json"))
        refs = connector(server.url, Sleeps()).list_recent(
            AccountRef(Platform.FACEBOOK, "100064123456789", "Eksempel kommune", "Kommunikasjon"),
            datetime(2026, 9, 1, tzinfo=UTC))
        since = server.requests[0].query["since"]
    assert [r.post_id for r in refs] == ["100064123456789_1234567890123456", "100064123456789_1234567890120000"]
    assert since == str(int(datetime(2026, 9, 1, tzinfo=UTC).timestamp()))


def test_usage_near_the_limit_paces_the_next_call() -> None:
    sleeps = Sleeps()
    busy = Reply(200, fixture("facebook/post.json").body, {"Content-Type": "application/json",
                                                            "X-App-Usage": '{"call_count":97,"total_time":10}'})
    with replay_server() as server:
        serve_thread(server)
        server.add(POST_PATH, busy)
        connector(server.url, sleeps).fetch_thread(REF)
    assert sleeps.waits == [30.0]


def test_without_a_page_token_names_are_missing_and_that_is_reported() -> None:
    anonymous = {"data": [{"id": "1234567890123456_1", "created_time": "2026-10-02T07:14:09+0000",
                           "message": "Hei"}, {"id": "1234567890123456_2", "created_time": "2026-10-02T07:15:09+0000",
                                               "message": "Hallo", "from": {"id": "6"}}], "paging": {}}
    with replay_server() as server:
        server.add(POST_PATH, fixture("facebook/post.json"))
        server.add(COMMENTS_PATH, Reply.json(anonymous))
        capture = connector(server.url, Sleeps()).fetch_thread(REF)
    assert [c.author.display_name for c in capture.thread.comments] == ["(ukjent)", "(ukjent)"]
    assert sum("sidetilgangsnøkkel" in e.detail for e in capture.partial_errors) == 1
