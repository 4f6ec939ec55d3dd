"""The capture catalog pairs threads with flags and names what it can't read."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from schemas.capture import capture_bytes
from schemas.errors import InputError
from schemas.thread import Flag
from sources.folder import load_catalog
from tests.factories import T0, make_thread


def _write(root: Path, *, flag_urls: list[str], extra_thread: bool = False) -> None:
    (root / "threads").mkdir(parents=True)
    (root / "threads" / "a.json").write_bytes(capture_bytes(make_thread()))
    if extra_thread:
        other = make_thread(thread_id="999", url="https://www.facebook.com/fjordvikkommune/posts/999")
        (root / "threads" / "b.json").write_bytes(capture_bytes(other))
    flags = [
        Flag(thread_url=url, kind="archive-worthy", flagged_by="ed", flagged_at=T0 + timedelta(days=1)).model_dump(
            mode="json"
        )
        for url in flag_urls
    ]
    (root / "flags.json").write_text(json.dumps(flags), encoding="utf-8")


def test_pairs_flags_and_lists_unflagged(tmp_path: Path) -> None:
    _write(tmp_path, flag_urls=["https://www.facebook.com/fjordvikkommune/posts/200"], extra_thread=True)
    catalog = load_catalog(tmp_path)
    assert [f.key for f in catalog.flagged] == ["facebook-100_200"]
    assert [p.name for p in catalog.unflagged] == ["b.json"]
    assert catalog.select(["100_200"]) == (catalog.flagged, [])
    with pytest.raises(InputError, match="ingen flagget tråd med nøkkel/id facebook-999"):
        catalog.select(["facebook-999"])


def test_flag_for_an_unknown_thread_is_refused_alone(tmp_path: Path) -> None:
    _write(tmp_path, flag_urls=["https://example.invalid/nope"])
    catalog = load_catalog(tmp_path)
    assert catalog.flagged == [] and ["ukjent tråd-URL" in r.reason for r in catalog.refused] == [True]


def test_unreadable_capture_is_listed_as_broken_with_its_field(tmp_path: Path) -> None:
    _write(tmp_path, flag_urls=[])
    (tmp_path / "threads" / "z.json").write_text('{"platform": "facebook", "thread_id": "77"}', encoding="utf-8")
    catalog = load_catalog(tmp_path)
    assert len(catalog.broken) == 1
    path, error = catalog.broken[0]
    assert path.name == "z.json" and "facebook/77" in error and "captured_at" in error
