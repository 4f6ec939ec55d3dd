"""LinkedIn actor names: organizations by the Organization Lookup API (batched), the own page from the
registry, members as their URN with a stable label, and a capture note that says why."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.refs import ThreadRef
from schemas.thread import Platform
from sources.connectors.linkedin import LinkedInConnector, member_label
from tests.replay.helpers import Sleeps, account, config_for, credential
from tests.replay.server import Reply, fixture, replay_server

POST = "urn:li:ugcPost:7390000000000000001"
REF = ThreadRef(Platform.LINKEDIN, POST, "1234567")
COMMENTS = f"/rest/socialActions/{POST}/comments"
LOOKUP = "/rest/organizationsLookup"


def _fetch(url: str):  # type: ignore[no-untyped-def]
    return LinkedInConnector(config_for(url, Sleeps()), credential(), account("1234567", "Fjordvik kommune")
                             ).fetch_thread(REF)


def _serve(server) -> None:  # type: ignore[no-untyped-def]
    server.add(f"/rest/posts/{POST}", fixture("linkedin/post.json"))
    server.add(COMMENTS, fixture("linkedin/comments_names.json"))


def test_organizations_are_looked_up_members_get_a_stable_label() -> None:
    with replay_server() as server:
        _serve(server)
        server.add(LOOKUP, fixture("linkedin/organizations_lookup.json"))
        capture = _fetch(server.url)
        lookups = server.hits(LOOKUP)
    assert len(lookups) == 1 and lookups[0].query["ids"] == "List(2414183,99)"  # own page not looked up
    assert lookups[0].headers["linkedin-version"]
    names = {c.id[-4:]: (c.author.id, c.author.display_name) for c in capture.thread.comments}
    assert names["201)"] == ("urn:li:organization:2414183", "Fjordvik næringsforening")
    assert names["202)"] == ("urn:li:person:AbCdEf123", member_label("urn:li:person:AbCdEf123"))
    assert names["203)"] == ("urn:li:organization:99", "LinkedIn-organisasjon 99")  # not found: a label
    assert names["204)"] == ("urn:li:organization:1234567", "Fjordvik kommune")
    assert capture.thread.post.author.display_name == "Fjordvik kommune"
    note = capture.thread.observations[-1].note or ""
    assert "1 LinkedIn-medlem" in note and "gir ikke sideadministratorer navnet" in note
    assert "1 organisasjon(er) uten navn" in note
    assert capture.thread.completeness is not None and not capture.thread.completeness.gaps  # nothing is missing
    assert any(LOOKUP in e.url for e in capture.exchanges)  # the lookup is evidence too


def test_the_label_is_stable_and_does_not_show_the_urn() -> None:
    urn = "urn:li:person:AbCdEf123"
    assert member_label(urn) == member_label(urn) != member_label("urn:li:person:AbCdEf124")
    assert "AbCdEf123" not in member_label(urn) and len(member_label(urn)) == len("LinkedIn-medlem ") + 8
    assert member_label("urn:li:person:\ud800\u202e") .startswith("LinkedIn-medlem ")  # lone surrogate, RTL


def test_a_refused_lookup_does_not_fail_the_capture() -> None:
    with replay_server() as server:
        _serve(server)
        server.add(LOOKUP, Reply(403, b'{"message": "Not enough permissions", "status": 403}'))
        capture = _fetch(server.url)
    names = {c.author.id: c.author.display_name for c in capture.thread.comments}
    assert names["urn:li:organization:2414183"] == "LinkedIn-organisasjon 2414183"
    assert "organisasjonsnavn ikke hentet" in (capture.thread.observations[-1].note or "")
    assert capture.thread.completeness is not None and capture.thread.completeness.captured == 4


def test_hostile_lookup_answers() -> None:
    hostile = Reply.json({"results": {"2414183": {"localizedName": "Ond\u202e\x00\n" + "x" * 5000},
                                      "99": {"localizedName": ["not", "a", "string"]}}})
    with replay_server() as server:
        _serve(server)
        server.add(LOOKUP, hostile)
        capture = _fetch(server.url)
        server.add(LOOKUP, Reply(200, b'{"results": [1, 2'))  # malformed: labels, noted, capture kept
        broken = _fetch(server.url)
    names = {c.author.id: c.author.display_name for c in capture.thread.comments}
    org = names["urn:li:organization:2414183"]
    assert org.startswith("Ond") and len(org) <= 200 and "\x00" not in org and "\u202e" not in org
    assert names["urn:li:organization:99"] == "LinkedIn-organisasjon 99"
    assert "organisasjonsnavn ikke hentet" in (broken.thread.observations[-1].note or "")
    assert broken.thread.captured_at <= datetime.now(UTC)


def test_many_organizations_are_looked_up_in_batches_of_fifty() -> None:
    def comment(n: int) -> dict[str, object]:
        urn = f"urn:li:comment:(urn:li:activity:7390000000000000001,{7390000000000100000 + n})"
        return {"$URN": urn, "commentUrn": urn, "id": str(n), "actor": f"urn:li:organization:{5000 + n % 120}",
                "message": {"text": f"k{n}"}, "created": {"time": 1762165000000 + n},
                "lastModified": {"time": 1762165000000 + n}}

    elements = [comment(n) for n in range(240)]  # 120 distinct organizations, each twice
    pages = [Reply.json({"elements": elements[i:i + 100], "paging": {"start": i, "count": 100}})
             for i in range(0, 240, 100)]
    with replay_server() as server:
        server.add(f"/rest/posts/{POST}", fixture("linkedin/post.json"))
        for index, page in enumerate(pages):
            server.add(COMMENTS, page, query={"start": str(index * 100)})
        server.add(LOOKUP, lambda request: Reply.json({"results": {
            i: {"localizedName": f"Org {i}"} for i in request.query["ids"][5:-1].split(",")}}))
        capture = _fetch(server.url)
        lookups = server.hits(LOOKUP)
    assert [len(h.query["ids"][5:-1].split(",")) for h in lookups] == [50, 50, 20]
    assert {c.author.display_name for c in capture.thread.comments} == {f"Org {5000 + i}" for i in range(120)}
    assert capture.thread.observations[-1].note is None  # every name found, no members: nothing to say
