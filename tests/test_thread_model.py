"""The canonical thread model: round-trips, its JSON Schema stays in sync, and bad input is named."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from schemas.capture import capture_bytes, capture_sha256
from schemas.generate import generated
from schemas.package import package_id_for, thread_key
from schemas.thread import Item
from sources.capture import CaptureError, parse_thread
from tests.factories import KOMMUNE, T0, make_thread


def test_capture_round_trips_byte_exactly() -> None:
    thread = make_thread()
    raw = capture_bytes(thread)
    again = parse_thread(raw)
    assert again == thread
    assert capture_bytes(again) == raw
    assert "æ".encode() in raw or "Å".encode() in raw  # UTF-8, not escaped
    assert again.depth_of() == {"c1": 1, "c2": 2, "c3": 1}


def test_text_xml_cannot_hold_survives_the_capture_verbatim() -> None:
    hostile = "bell\x07 nul\x00 lone\ud83d surrogate \udc00 end"
    thread = make_thread(post=Item(id="p1", author=KOMMUNE, created_at=T0, text=hostile))
    raw = capture_bytes(thread)
    raw.decode("utf-8")  # still valid UTF-8 on disk
    assert parse_thread(raw).post.text == hostile


def test_package_id_is_stable_and_changes_with_the_capture() -> None:
    thread = make_thread()
    first = package_id_for(thread.platform, thread.thread_id, capture_sha256(thread))
    assert first == package_id_for(thread.platform, thread.thread_id, capture_sha256(make_thread()))
    assert first.startswith(thread_key(thread.platform, thread.thread_id) + "-")
    edited = make_thread(captured_at=T0 + timedelta(days=3))
    assert package_id_for(edited.platform, edited.thread_id, capture_sha256(edited)) != first


def test_checked_in_json_schemas_match_the_models() -> None:
    for path, text in generated().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run python -m schemas.generate"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["comments"][1].update(parent_id="nope"), "comments[1] (c2).parent_id 'nope' viser ikke til"),
        (lambda d: d["comments"][2].update(id="c1"), "comments[2].id 'c1' er ikke unik"),
        (lambda d: d["comments"][0].update(created_at="2026-03-02T09:20:00"), "comments.0.created_at"),
        (lambda d: d["post"].pop("author"), "post.author"),
        (lambda d: d.update(platform="myspace"), "platform"),
    ],
)
def test_bad_input_names_the_thread_and_field(mutate, expected: str) -> None:
    data = json.loads(capture_bytes(make_thread()))
    mutate(data)
    with pytest.raises(CaptureError) as info:
        parse_thread(json.dumps(data), source="inbox/x.json")
    message = str(info.value)
    assert "inbox/x.json" in message
    assert "100_200" in message
    assert expected in message
    assert "ugyldig trådinnsamling" in message


def test_not_json_is_a_clear_error() -> None:
    with pytest.raises(CaptureError, match=r"bad\.json: ikke gyldig JSON"):
        parse_thread(b"{oops", source="bad.json")


def test_invalid_utf8_and_a_repeated_key_are_capture_errors() -> None:
    raw = capture_bytes(make_thread())
    with pytest.raises(CaptureError, match=r"x\.json: ikke gyldig UTF-8 \(byte \d+\)"):
        parse_thread(raw.replace(b'"comments"', b'"comments\xff"', 1), source="x.json")
    # json.loads alone would keep the second "comments" and drop every comment of the first
    doubled = raw.replace(b'"comments": [', b'"comments": [], "comments": [', 1)
    with pytest.raises(CaptureError, match=r"x\.json: nøkkelen 'comments' står flere ganger"):
        parse_thread(doubled, source="x.json")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"id": "c1"}, "comments[2].id 'c1' er ikke unik"),
        ({"id": "p1"}, "comments[2].id 'p1' er ikke unik"),
        ({"parent_id": "c9"}, "comments[2] (c3).parent_id 'c9' viser ikke til en tidligere kommentar"),
        ({"parent_id": "p1"}, "comments[2] (c3).parent_id 'p1' viser ikke til en tidligere kommentar"),
    ],
)
def test_both_capture_readers_apply_one_tree_rule(tmp_path, change: dict[str, str], problem: str) -> None:
    from exporters.pdf.capture_store import CaptureSource
    from schemas.thread import comment_tree_problem

    thread = make_thread()
    data = json.loads(capture_bytes(thread))
    data["comments"][2].update(change)
    bad = Item.model_validate(data["comments"][2])
    earlier = {c.id: True for c in thread.comments[:2]}
    assert comment_tree_problem(2, bad, thread.post.id, earlier.get) == problem
    with pytest.raises(CaptureError) as whole:
        parse_thread(json.dumps(data))
    path = tmp_path / "thread.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CaptureError) as streamed:
        CaptureSource.load(path, tmp_path / "store.sqlite")
    assert problem in str(whole.value) and problem in str(streamed.value)
