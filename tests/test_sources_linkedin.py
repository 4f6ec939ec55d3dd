"""LinkedIn connector against the replay server: start/count paging, nested comments, version header."""

from __future__ import annotations

import pytest

from schemas.errors import CredentialsError, SourceError
from schemas.refs import ThreadRef
from schemas.thread import Platform
from sources.connectors.linkedin import LinkedInConnector
from tests.replay.generate import linkedin_comments
from tests.replay.helpers import Sleeps, account, config_for, credential
from tests.replay.server import Reply, fixture, replay_server

POST = "urn:li:ugcPost:7390000000000000001"
REF = ThreadRef(Platform.LINKEDIN, POST, "1234567")
COMMENTS = f"/rest/socialActions/{POST}/comments"
PARENT = "urn:li:comment:(urn:li:activity:7390000000000000001,7390000000000000101)"


def connector(url: str, sleeps: Sleeps, **kwargs: object) -> LinkedInConnector:
    return LinkedInConnector(config_for(url, sleeps, **kwargs), credential(), account("1234567"))


def serve(server) -> None:  # type: ignore[no-untyped-def]
    server.add(f"/rest/posts/{POST}", fixture("linkedin/post.json"))
    server.add(COMMENTS, fixture("linkedin/comments_p1.json"), query={"start": "0"})
    server.add(COMMENTS, fixture("linkedin/comments_p2.json"), query={"start": "2"})
    server.add(f"/rest/socialActions/{PARENT}/comments", fixture("linkedin/replies.json"))


def test_paging_nested_comments_images_and_headers() -> None:
    with replay_server() as server:
        serve(server)
        capture = connector(server.url, Sleeps(), page_size=2, linkedin_version="202611").fetch_thread(REF)
        first = server.hits(COMMENTS)[0]
        raw_paths = [e.url for e in capture.exchanges]
    thread = capture.thread
    assert first.headers["linkedin-version"] == "202611" and first.headers["x-restli-protocol-version"] == "2.0.0"
    assert capture.exchanges[0].request_headers["linkedin-version"] == "202611"
    assert "urn%3Ali%3AugcPost%3A7390000000000000001" in raw_paths[1]  # the URN is URL-encoded in the path
    assert [c.id[-4:] for c in thread.comments] == ["101)", "102)", "103)", "104)"]
    assert thread.comments[1].parent_id == PARENT and thread.comments[1].author.is_municipality
    assert thread.comments[0].edited_at is not None  # lastModified later than created
    assert thread.comments[2].media[0].alt_text == "urn:li:image:C4E10AQFexample"
    assert thread.completeness is not None and thread.completeness.captured == 4


def test_ten_thousand_comments() -> None:
    with replay_server() as server:
        server.add(f"/rest/posts/{POST}", fixture("linkedin/post.json"))
        server.add(COMMENTS, linkedin_comments("urn:li:activity:7390000000000000001", 10_000))
        capture = connector(server.url, Sleeps()).fetch_thread(REF)
        assert len(server.hits(COMMENTS)) == 100
    assert len(capture.thread.comments) == 10_000


def test_throttle_500_and_malformed_json() -> None:
    sleeps = Sleeps()
    throttled = Reply(429, fixture("linkedin/throttled.json").body, {"Retry-After": "7"})
    with replay_server() as server:
        serve(server)
        server.add(f"/rest/posts/{POST}", [throttled, Reply(500, b""), fixture("linkedin/post.json")])
        connector(server.url, sleeps, page_size=2).fetch_thread(REF)
        assert sleeps.waits == [7.0, 2.0]
        server.add(COMMENTS, Reply(200, b'{"elements": [1, 2'), query={"start": "2"})
        with pytest.raises(SourceError, match="ikke gyldig JSON"):
            connector(server.url, sleeps, page_size=2).fetch_thread(REF)


def test_token_and_version_errors() -> None:
    with replay_server() as server:
        server.add(f"/rest/posts/{POST}", Reply(401, fixture("linkedin/unauthorized.json").body))
        with pytest.raises(CredentialsError, match="Eksempel kommune"):
            connector(server.url, Sleeps()).fetch_thread(REF)
        server.add(f"/rest/posts/{POST}", Reply(426, fixture("linkedin/version_inactive.json").body))
        with pytest.raises(SourceError, match="SOMEARKIV_LINKEDIN_VERSION"):
            connector(server.url, Sleeps(), linkedin_version="202401").fetch_thread(REF)
