"""Keep what disappears: a re-capture against the replay server finds a deleted and an edited comment."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from schemas.capture import capture_bytes
from schemas.refs import ThreadRef
from schemas.thread import Author, Item, Platform, Removal, RemovalReason
from sources.capture import parse_thread
from sources.connectors.facebook import FacebookConnector
from sources.observe import WebhookEvent, apply_events, mark_thread_gone, merge_captures
from tests.replay.helpers import Sleeps, account, config_for, credential
from tests.replay.server import Reply, fixture, fixture_data, replay_server

POST = "100064123456789_1234567890123456"
REF = ThreadRef(Platform.FACEBOOK, POST)
FIRST = "1234567890123456_987654321098765"
REPLY = "1234567890123456_987654321098999"
SPAM = "1234567890123456_987654321099100"


def capture(comments_p2: dict[str, object] | None = None, comments_p1: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    with replay_server() as server:
        server.add(f"/v25.0/{POST}", fixture("facebook/post.json"))
        server.add(f"/v25.0/{POST}/comments", Reply.json(comments_p1 or fixture_data("facebook/comments_p1.json")))
        server.add(f"/v25.0/{POST}/comments", Reply.json(comments_p2 or fixture_data("facebook/comments_p2.json")),
                   query={"after": "QVFIUnh5ejEyMzQ1"})
        return FacebookConnector(config_for(server.url, Sleeps()), credential(), account()).fetch_thread(REF).thread


def test_a_recapture_keeps_the_deleted_comment_and_the_old_text() -> None:
    first = capture()
    p1 = fixture_data("facebook/comments_p1.json")
    p1["data"][0]["message"] = "Når er fristen? (endret)"
    p2 = fixture_data("facebook/comments_p2.json")
    p2["data"] = [c for c in p2["data"] if c["id"] != SPAM]
    second = capture(p2, p1)
    merged, report = merge_captures(first, second)
    assert report.removed == [SPAM] and report.edited == [FIRST]
    by_id = {c.id: c for c in merged.comments}
    gone = by_id[SPAM]
    assert gone.text.startswith("Dette er spam") and gone.removal is not None
    assert gone.removal.state == "deleted" and gone.removal.reason is RemovalReason.UNKNOWN
    assert gone.removal.discovered_at == second.captured_at and gone.removal.last_seen_at == first.captured_at
    edited = by_id[FIRST]
    assert edited.text == "Når er fristen? (endret)"
    assert [r.text for r in edited.revisions] == ["Når er høringsfristen for reguleringsplanen på Ås? 🙏"]
    assert edited.revisions[0].valid_to == second.captured_at and edited.edited_at == second.captured_at
    assert [o.source for o in merged.observations] == ["api", "api"]
    assert merged.observations[1].note == "1 borte, 1 endret, 0 nye"
    assert merged.completeness is not None and merged.completeness.captured == 4
    assert parse_thread(capture_bytes(merged)) == merged  # still a valid canonical capture
    # a third capture without changes keeps both records and adds nothing
    third, report3 = merge_captures(merged, second)
    assert report3.removed == [] and report3.edited == []
    assert {c.id: c for c in third.comments}[SPAM].removal == gone.removal
    assert [r.text for r in {c.id: c for c in third.comments}[FIRST].revisions] == [edited.revisions[0].text]


def test_an_incomplete_recapture_marks_nothing_removed() -> None:
    first = capture()
    second = capture(fixture_data("facebook/comments_p1.json") | {"paging": {}, "data": []})
    from schemas.thread import Completeness, Gap

    limited = second.model_copy(update={"completeness": Completeness(captured=0, gaps=[Gap(reason="api_limit")])})
    merged, report = merge_captures(first, limited)
    assert report.removed == [] and len(merged.comments) == len(first.comments)
    assert all(c.removal is None or c.removal.state == "hidden" for c in merged.comments)


def test_an_editors_removal_record_is_not_overwritten() -> None:
    first = capture()
    removal = Removal(state="deleted", reason=RemovalReason.PERSONSJIKANE, removed_by="kari.nordmann",
                      removed_at=datetime(2026, 10, 3, tzinfo=UTC))
    comments = [c.model_copy(update={"removal": removal}) if c.id == SPAM else c for c in first.comments]
    first = first.model_copy(update={"comments": comments})
    p2 = fixture_data("facebook/comments_p2.json")
    p2["data"] = [c for c in p2["data"] if c["id"] != SPAM]
    merged, _ = merge_captures(first, capture(p2))
    kept = {c.id: c for c in merged.comments}[SPAM].removal
    assert kept == removal


def test_webhook_events_and_a_post_that_is_gone() -> None:
    thread = capture()
    at = datetime(2026, 10, 5, 12, tzinfo=UTC)
    events = [
        WebhookEvent("facebook", "100064123456789", POST, REPLY, "edited", at, text="Fristen er 20. november."),
        WebhookEvent("facebook", "100064123456789", POST, FIRST, "remove", at),
        WebhookEvent("facebook", "100064123456789", POST, "1234567890123456_1", "add", at, parent_id=FIRST,
                     text="Ny kommentar", author_id="7", author_name="Nils"),
        WebhookEvent("facebook", "100064123456789", "other_post", FIRST, "remove", at),
    ]
    updated, report = apply_events(thread, events)
    by_id = {c.id: c for c in updated.comments}
    assert by_id[FIRST].removal is not None and by_id[FIRST].removal.removed_at == at
    assert by_id[REPLY].text == "Fristen er 20. november." and by_id[REPLY].revisions[0].text.startswith("Hei Kari")
    assert by_id["1234567890123456_1"].parent_id == FIRST
    assert report.added == ["1234567890123456_1"]
    assert [o.source for o in updated.observations][-3:] == ["webhook"] * 3
    gone = mark_thread_gone(updated, at, "Facebook: objektet finnes ikke")
    assert gone.post.removal is not None and gone.post.removal.discovered_at == at


def test_a_capture_without_the_new_fields_keeps_its_bytes() -> None:
    thread = capture().model_copy(update={"completeness": None, "observations": []})
    data = json.loads(capture_bytes(thread))
    assert "completeness" not in data and "observations" not in data
    item = Item(id="x", author=Author(id="a", display_name="A"), created_at=datetime(2026, 1, 1, tzinfo=UTC),
                removal=Removal(state="hidden", reason=RemovalReason.SPAM))
    assert "discovered_at" not in item.model_dump(mode="json")["removal"]
