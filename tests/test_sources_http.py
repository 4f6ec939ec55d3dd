"""The shared HTTP layer and tree building under hostile input: real HTTP against the replay server."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest

from schemas.capture import capture_bytes
from schemas.errors import SourceError
from schemas.refs import ThreadRef
from schemas.thread import Author, Item, Platform
from sources.capture import parse_thread
from sources.connectors.base import PartialError
from sources.connectors.build import conversation_order, segment
from sources.connectors.facebook import FacebookConnector
from sources.connectors.http import ApiClient, default_verdict, paginate, redact_body, redact_url
from tests.replay.helpers import TOKEN, Sleeps, account, config_for, credential
from tests.replay.server import Reply, fixture, replay_server

POST = "100064123456789_1234567890123456"
REF = ThreadRef(Platform.FACEBOOK, POST)
T = datetime(2026, 1, 1, tzinfo=UTC)


def item(item_id: str, parent: str | None = None, minutes: int = 0, text: str = "") -> Item:
    return Item(id=item_id, parent_id=parent, author=Author(id="a", display_name="A"),
                created_at=T + timedelta(minutes=minutes), text=text)


def test_redaction_of_urls_and_bodies() -> None:
    url = "https://graph.facebook.com/v25.0/1/comments?access_token=EAAx&after=abc&appsecret_proof=ff&key=AIza"
    assert redact_url(url) == ("https://graph.facebook.com/v25.0/1/comments?access_token=REDACTED&after=abc&"
                               "appsecret_proof=REDACTED&key=REDACTED")
    body = b'{"next": "https://x/?access_token=EAAleak&a=1", "t": "my-secret-token"}'
    expected = b'{"next": "https://x/?access_token=REDACTED&a=1", "t": "REDACTED"}'
    assert redact_body(body, ["my-secret-token"]) == expected


def test_text_xml_cannot_hold_survives_a_connector_and_the_capture_file() -> None:
    hostile = ('{"data": [{"id": "1_9", "created_time": "2026-10-02T07:00:00+0000", '
               '"from": {"id": "6", "name": "\\u202eX"}, '
               '"message": "nul \\u0000 bell \\u0007 lone \\ud800 surrogate"}], "paging": {}}')
    with replay_server() as server:
        server.add(f"/v25.0/{POST}", fixture("facebook/post.json"))
        server.add(f"/v25.0/{POST}/comments", Reply(200, hostile.encode()))
        thread = FacebookConnector(config_for(server.url, Sleeps()), credential(), account()).fetch_thread(REF).thread
    assert thread.comments[0].text == "nul \x00 bell \x07 lone \ud800 surrogate"
    assert parse_thread(capture_bytes(thread)) == thread


def test_deeply_nested_and_huge_responses_are_clear_errors() -> None:
    with replay_server() as server:
        server.add("/deep", Reply(200, b"[" * 40_000 + b"]" * 40_000))
        server.add("/huge", Reply(200, b'{"data": "' + b"x" * 300_000 + b'"}'))
        server.add("/list", Reply(200, b"[1, 2]"))
        client = ApiClient(platform_label="Facebook, konto K", base_url=server.url, credential=credential(),
                           classifier=lambda r: None, retry=config_for(server.url, Sleeps()).retry,
                           max_response_bytes=100_000)
        with client:
            with pytest.raises(SourceError, match="ikke gyldig JSON"):
                client.get_json("/deep", what="dyp")
            with pytest.raises(SourceError, match="større enn 100000 byte"):
                client.get_json("/huge", what="stor")
            with pytest.raises(SourceError, match="ikke et JSON-objekt"):
                client.get_json("/list", what="liste")


def test_a_server_that_is_not_there_is_retried_then_named() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    connector = FacebookConnector(config_for(f"http://127.0.0.1:{port}", sleeps, max_attempts=3), credential(),
                                  account())
    with pytest.raises(SourceError, match="ga opp etter 3 forsøk \\(nettverksfeil\\)"):
        connector.fetch_thread(REF)
    assert sleeps.waits == [1.0, 2.0]


def test_a_cursor_that_repeats_stops_paging() -> None:
    pages = iter([([1], "a"), ([2], "b"), ([3], "a"), ([4], "c")])
    with pytest.raises(SourceError, match="samme sidemarkør"):
        list(paginate(lambda cursor: next(pages), max_pages=10, what="tråd"))


def test_a_repeating_next_link_from_the_server_stops_with_nothing_written() -> None:
    looping = Reply.json({"data": [], "paging": {"next": f"https://graph.facebook.com/v25.0/{POST}/comments?after=X"}})
    with replay_server() as server:
        server.add(f"/v25.0/{POST}", fixture("facebook/post.json"))
        server.add(f"/v25.0/{POST}/comments", looping)
        with pytest.raises(SourceError, match="samme sidemarkør"):
            FacebookConnector(config_for(server.url, Sleeps()), credential(), account()).fetch_thread(REF)


def test_retry_after_as_http_date_and_default_verdicts() -> None:
    from email.utils import format_datetime

    import httpx

    from sources.connectors.http import Response, retry_after_seconds

    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    headers = httpx.Headers({"Retry-After": format_datetime(now + timedelta(seconds=90), usegmt=True)})
    assert retry_after_seconds(headers, now.timestamp()) == 90
    assert retry_after_seconds(httpx.Headers({"Retry-After": "garbage"}), 0) is None
    assert default_verdict(Response(404, httpx.Headers(), None, "u")).kind == "fail"
    assert default_verdict(Response(503, httpx.Headers(), None, "u")).kind == "retry"


def test_tree_cycles_orphans_duplicates_and_deep_chains() -> None:
    errors: list[PartialError] = []
    items = [item("a", "c", 1), item("b", "a", 2), item("c", "b", 3),  # a cycle
             item("d", None, 0), item("e", "gone", 4),  # an orphan
             item("d", None, 0), item("f", "d", 5, "x"), item("f", "d", 5, "y")]  # duplicates
    ordered = conversation_order(items, errors, "tråd")
    assert [i.id for i in ordered] == ["d", "f", "e", "a", "b", "c"]
    assert ordered[3].parent_id is None and ordered[5].parent_id == "b"
    assert {e.detail.split(" ")[1] for e in errors} == {"f", "e", "a"}
    chain = [item("n0", None, 0)] + [item(f"n{i}", f"n{i - 1}", i) for i in range(1, 20_000)]
    deep = conversation_order(reversed(chain), [], "tråd")
    assert [i.id for i in deep] == [i.id for i in chain]


@pytest.mark.parametrize("bad", ["", " ", ".", "..", "a\x00b", "a\nb"])
def test_ids_that_cannot_be_a_path_segment(bad: str) -> None:
    with pytest.raises(SourceError, match="ugyldig id"):
        segment(bad, "tråd")


def test_path_tricks_are_escaped() -> None:
    assert segment("../../me?x=1#f", "t") == "..%2F..%2Fme%3Fx%3D1%23f"
    assert TOKEN  # the helpers' token is what the connectors send


def test_text_that_only_looks_like_a_parameter_is_kept_and_echoed_tokens_are_scrubbed() -> None:
    assert redact_body(b'{"message": "monkey=banana; key=value"}', []) == b'{"message": "monkey=banana; key=value"}'
    echo = Reply.json({"error": {"message": f"Invalid token {TOKEN} in /v25.0/x?access_token={TOKEN}",
                                 "type": "OAuthException", "code": 190}}, 401)
    with replay_server() as server:
        server.add(f"/v25.0/{POST}", echo)
        with pytest.raises(SourceError) as info:
            FacebookConnector(config_for(server.url, Sleeps()), credential(), account()).fetch_thread(REF)
    assert TOKEN not in str(info.value) and "REDACTED" in str(info.value)
    assert type(info.value).__name__ == "CredentialsError"


def test_a_scope_error_names_the_account_and_the_thread() -> None:
    with replay_server() as server:
        server.add(f"/v25.0/{POST}", Reply(400, fixture("facebook/error_permission.json").body))
        with pytest.raises(SourceError) as info:
            FacebookConnector(config_for(server.url, Sleeps()), credential(), account()).fetch_thread(REF)
    message = str(info.value)
    assert message.startswith(f"Facebook, konto Eksempel kommune (100064123456789), tråd {POST}")
    assert "pages_read_engagement" in message and message.count("Facebook, konto") == 1


def test_a_query_token_reaches_the_platform_but_no_log_line(caplog: pytest.LogCaptureFixture) -> None:
    """Graph and YouTube keys go in the query; httpx logs every request URL at INFO. The token is added on the
    wire only, so neither httpx's log (even at DEBUG) nor the evidence holds it — while the platform gets it."""
    import logging

    caplog.set_level(logging.DEBUG)
    with replay_server() as server:
        server.add(f"/v25.0/{POST}", fixture("facebook/post.json"))
        server.add(f"/v25.0/{POST}/comments", fixture("facebook/comments_p1.json"))
        server.add(f"/v25.0/{POST}/comments", fixture("facebook/comments_p2.json"), query={"after": "QVFIUnh5ejEyMzQ1"})
        fetched = FacebookConnector(config_for(server.url, Sleeps()), credential(), account()).fetch_thread(REF)
        hits = server.hits(f"/v25.0/{POST}")
    assert hits and all(h.query.get("access_token") == TOKEN for h in hits)  # the platform got it
    assert "HTTP Request: GET" in caplog.text  # httpx did log the requests
    assert TOKEN not in caplog.text
    assert fetched.exchanges and all(TOKEN not in e.url for e in fetched.exchanges)
