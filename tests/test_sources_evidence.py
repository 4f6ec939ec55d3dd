"""Evidence files: the raw exchanges behind a real capture, gzip JSON lines, without secrets."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from schemas.errors import InputError
from schemas.refs import ThreadRef
from schemas.thread import Platform
from sources.connectors.base import Exchange
from sources.connectors.facebook import FacebookConnector
from sources.evidence import read_evidence, secret_free, write_evidence
from tests.replay.helpers import TOKEN, Sleeps, account, config_for, credential
from tests.replay.server import fixture, replay_server

POST = "100064123456789_1234567890123456"


def test_evidence_of_a_real_capture(tmp_path: Path) -> None:
    with replay_server() as server:
        server.add(f"/v25.0/{POST}", fixture("facebook/post.json"))
        server.add(f"/v25.0/{POST}/comments", fixture("facebook/comments_p1.json"))
        server.add(f"/v25.0/{POST}/comments", fixture("facebook/comments_p2.json"), query={"after": "QVFIUnh5ejEyMzQ1"})
        capture = FacebookConnector(config_for(server.url, Sleeps()), credential(), account()).fetch_thread(
            ThreadRef(Platform.FACEBOOK, POST))
    path = tmp_path / "capture" / "evidence.jsonl.gz"
    digest = write_evidence(capture.exchanges, path)
    assert len(digest) == 64
    raw = gzip.decompress(path.read_bytes())
    assert TOKEN.encode() not in raw and b"EAAGsecretFromTheRealApi" not in raw
    records = list(read_evidence(path))
    assert [r["status"] for r in records] == [200, 200, 200]
    assert all(secret_free(r) for r in records)
    assert records[1]["body"] == capture.exchanges[1].body.decode()
    assert "Kari Nordmann" in records[1]["body"]
    assert records[0]["headers"]["content-type"] == "application/json"
    assert records[0]["requested_at"].startswith(str(datetime.now(UTC).year))
    assert write_evidence(capture.exchanges, tmp_path / "again.jsonl.gz") == digest  # reproducible bytes
    assert not list(tmp_path.rglob("*.tmp"))


def test_binary_bodies_and_hostile_urls(tmp_path: Path) -> None:
    exchange = Exchange("GET", "http://h/p?access_token=abc&key=k&x=\u202e", datetime(2026, 1, 1, tzinfo=UTC), 500,
                        {"x": "y"}, b"\xff\xfe\x00 not utf-8", {"authorization": "Bearer abc", "linkedin-version": "1"},
                        note="bell \x07")
    write_evidence([exchange], tmp_path / "e.jsonl.gz")
    (record,) = read_evidence(tmp_path / "e.jsonl.gz")
    assert "body" not in record and record["body_base64"]
    assert record["url"] == "http://h/p?access_token=REDACTED&key=REDACTED&x=%E2%80%AE"
    assert record["request_headers"] == {"linkedin-version": "1"}


def test_an_unreadable_evidence_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl.gz").write_bytes(b"not gzip")
    with pytest.raises(InputError, match="ikke en lesbar bevisfil"):
        list(read_evidence(tmp_path / "bad.jsonl.gz"))


def test_evidence_files_of_a_thread_stay_inside_the_folder(tmp_path: Path) -> None:
    from sources.evidence import evidence_files

    exchange = Exchange("GET", "http://h/p", datetime(2026, 1, 1, tzinfo=UTC), 200, {}, b"{}")
    write_evidence([exchange], tmp_path / "evidence" / "facebook-1_2" / "20260102T000000Z.jsonl.gz")
    write_evidence([exchange], tmp_path / "evidence" / "facebook-1_2" / "20260101T000000Z.jsonl.gz")
    (tmp_path / "outside").mkdir()
    write_evidence([exchange], tmp_path / "outside" / "x.jsonl.gz")
    assert [p.name for p in evidence_files(tmp_path, "facebook-1_2")] == ["20260101T000000Z.jsonl.gz",
                                                                          "20260102T000000Z.jsonl.gz"]
    assert evidence_files(tmp_path, "../outside") == [] and evidence_files(tmp_path, "") == []
    assert evidence_files(tmp_path, "facebook-missing") == []
