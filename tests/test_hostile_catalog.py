"""Hostile capture folders: deep nesting, clashing ids, two flags or two captures for one thread, bad flags.json."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from schemas.errors import InputError
from schemas.package import MAX_KEY_BYTES, escape_id, package_id_for, thread_key
from sources.capture import MAX_FLAGS_BYTES, parse_thread
from sources.folder import load_catalog
from tests.factories import make_thread
from tests.hostile import deep_capture, flag_json, other_thread, write_catalog

SAFE_IDS = ["100_200", "1234567890", "a.b-c_d", "UgkxA-b.C"]
HOSTILE_IDS = [
    "kollisjon/1", "kollisjon-1", "kollisjon_1", "kollisjon~2F1", "-1", "1", "1-", ".", "..", "a..b", "../x",
    "a b", "a\x00b", "a\ud800b", "a\udc00b", "ø", "o\u0308", "\u202eevil", "~", "~~", "%2F", "x" * 1000,
    "x" * 999 + "y", "x" * MAX_KEY_BYTES, "/" * 300, "/" * 301,
]


def test_thread_keys_are_injective_bounded_and_keep_safe_ids() -> None:
    for safe in SAFE_IDS:
        assert thread_key("facebook", safe) == f"facebook-{safe}"
    keys = [escape_id(value) for value in SAFE_IDS + HOSTILE_IDS]
    assert len(set(keys)) == len(keys)
    assert escape_id("kollisjon/1") == "kollisjon~2F1" != escape_id("kollisjon-1") == "kollisjon-1"
    for key in keys:
        assert len(key.encode()) <= MAX_KEY_BYTES and key.isascii() and key not in {".", ".."}
        assert "/" not in key and not key.startswith(("-", ".")), key
    assert max(len(package_id_for("instagram", v, "f" * 64)) for v in HOSTILE_IDS) <= MAX_KEY_BYTES + 27


def test_a_deeply_nested_capture_is_named_and_the_others_are_read(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nestet for dypt"):
        parse_thread(deep_capture(), "deep.json")
    write_catalog(tmp_path, {"a.json": make_thread(), "deep.json": deep_capture()})
    catalog = load_catalog(tmp_path)
    assert [f.key for f in catalog.flagged] == ["facebook-100_200"]
    assert [(p.name, "nestet for dypt" in e) for p, e in catalog.broken] == [("deep.json", True)]


def test_ids_that_differ_only_in_slash_and_dash_are_both_flagged(tmp_path: Path) -> None:
    write_catalog(tmp_path, {"a.json": other_thread("kollisjon/1"), "b.json": other_thread("kollisjon-1")})
    catalog = load_catalog(tmp_path)
    assert sorted(f.key for f in catalog.flagged) == ["facebook-kollisjon-1", "facebook-kollisjon~2F1"]
    assert [f.key for f in catalog.select(["kollisjon/1"])[0]] == ["facebook-kollisjon~2F1"]


def test_two_flags_for_one_thread_refuse_that_thread_naming_both(tmp_path: Path) -> None:
    thread, other = make_thread(), other_thread("999")
    flags = [
        flag_json(thread.url, kind="journal-required", case_number="2026/1"),
        flag_json(other.url),
        flag_json(thread.url, kind="archive-worthy", case_number="2026/2"),
    ]
    write_catalog(tmp_path, {"a.json": thread, "b.json": other}, flags)
    catalog = load_catalog(tmp_path)
    assert [f.key for f in catalog.flagged] == ["facebook-999"]
    [refused] = catalog.refused
    assert refused.key == "facebook-100_200"
    assert "[0] (journal-required, sak 2026/1" in refused.reason and "[2] (archive-worthy, sak 2026/2" in refused.reason


def test_two_captures_of_one_thread_are_both_refused(tmp_path: Path) -> None:
    later = make_thread(captured_at=make_thread().captured_at.replace(year=2027))
    write_catalog(tmp_path, {"a.json": make_thread(), "b.json": later, "c.json": other_thread("5")},
                  [flag_json(make_thread().url), flag_json(other_thread("5").url)])
    catalog = load_catalog(tmp_path)
    assert [f.key for f in catalog.flagged] == ["facebook-5"]
    assert len(catalog.refused) == 2 and all("b.json" in r.reason or "a.json" in r.reason for r in catalog.refused)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (b'{"thread_url": "x"}', "skal være en JSON-liste"),
        (b"[" * 100_000 + b"]" * 100_000, "nestet for dypt"),
        (b'[{"thread_url": "a", "thread_url": "b"}]', "står flere ganger"),
        (b"\xff\xfe[]", "UTF-8"),
        (b"[1, 2", "ikke gyldig JSON"),
    ],
)
def test_a_flags_file_that_is_not_a_list_of_objects_is_one_named_error(
    tmp_path: Path, flags: bytes, message: str
) -> None:
    write_catalog(tmp_path, {"a.json": make_thread()}, flags)
    with pytest.raises(InputError, match=message) as caught:
        load_catalog(tmp_path)
    assert "flags.json" in str(caught.value)


def test_bad_flag_entries_fail_alone_and_name_index_and_field(tmp_path: Path) -> None:
    thread, other, third = make_thread(), other_thread("2"), other_thread("3")
    flags = [
        "not a flag",
        {"thread_url": 17, "kind": "archive-worthy"},
        flag_json(other.url, case_number=2026),
        flag_json(third.url, kind="journal-required", case_number="2026/7", note="\ud800 \x07"),
        flag_json(thread.url),
    ]
    write_catalog(tmp_path, {"a.json": thread, "b.json": other, "c.json": third}, flags)
    catalog = load_catalog(tmp_path)
    assert sorted(f.key for f in catalog.flagged) == ["facebook-100_200", "facebook-3"]
    reasons = {r.key: r.reason for r in catalog.refused}
    assert "flags.json[2]: ugyldig flagg: case_number" in reasons["facebook-2"]
    loose = [r for r in catalog.refused if r.thread_id is None]
    assert len(loose) == 2 and "[0]" in loose[0].reason and "[1]" in loose[1].reason


def test_flag_for_an_unknown_url_is_refused_not_fatal(tmp_path: Path) -> None:
    write_catalog(tmp_path, {"a.json": make_thread()}, [flag_json(make_thread().url), flag_json("https://x.invalid/")])
    catalog = load_catalog(tmp_path)
    assert [f.key for f in catalog.flagged] == ["facebook-100_200"]
    assert ["ukjent tråd-URL https://x.invalid/" in r.reason for r in catalog.refused] == [True]


def test_huge_flags_and_links_or_pipes_out_of_the_folder_are_refused(tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "big", {"a.json": make_thread()}, b" " * (MAX_FLAGS_BYTES + 1) + b"[]")
    with pytest.raises(InputError, match="større enn grensen"):
        load_catalog(root)

    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps([flag_json(make_thread().url)]), encoding="utf-8")
    root = write_catalog(tmp_path / "link", {"a.json": make_thread()})
    (root / "flags.json").unlink()
    os.symlink(outside, root / "flags.json")
    with pytest.raises(InputError, match="peker ut av mappen"):
        load_catalog(root)

    root = write_catalog(tmp_path / "pipes", {"a.json": make_thread()})
    os.mkfifo(root / "threads" / "pipe.json")  # reading it would block forever
    os.symlink("/etc/hostname", root / "threads" / "host.json")
    os.symlink(outside, root / "threads" / "out.json")
    catalog = load_catalog(root)
    assert [f.key for f in catalog.flagged] == ["facebook-100_200"]
    assert sorted(p.name for p, _ in catalog.broken) == ["host.json", "out.json", "pipe.json"]


def test_a_media_folder_that_leads_out_of_the_capture_folder_is_not_used(tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "captures", {"a.json": make_thread()})
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", root / "media")
    assert load_catalog(root).media_dir is None
    (root / "media").unlink()
    (root / "media").mkdir()
    assert load_catalog(root).media_dir == root / "media"
