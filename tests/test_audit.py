"""The hash-chained audit log (storage.audit) on both sinks: appends, hostile input, tampering, concurrency."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.audit import AuditError, AuditEvent, AuditLog, canonical_json, event_name
from storage.base import AUDIT_DIR, Sink
from storage.config import RetentionPolicy
from storage.local import LocalSink
from storage.s3 import S3Sink

RETENTION = RetentionPolicy(mode="COMPLIANCE", days=1)


def _log(sink: Sink) -> AuditLog:
    return AuditLog(sink, retention=RETENTION)


def _raw_put(sink: Sink, name: str, data: bytes) -> None:
    """Write behind the log's back, like an attacker with write access (not to locked versions)."""
    if isinstance(sink, S3Sink):
        sink.client.put_object(Bucket=sink.bucket, Key=f"{sink.prefix}/{name}", Body=data)
    else:
        assert isinstance(sink, LocalSink)
        path = sink.root / name
        path.chmod(0o644) if path.exists() else None
        path.write_bytes(data)


def _raw_delete(sink: Sink, name: str) -> None:
    if isinstance(sink, S3Sink):
        sink.client.delete_object(Bucket=sink.bucket, Key=f"{sink.prefix}/{name}")  # a delete marker
    else:
        assert isinstance(sink, LocalSink)
        (sink.root / name).unlink()


def test_events_form_a_chain_of_canonical_locked_objects(any_sink: Sink) -> None:
    log = _log(any_sink)

    first = log.append("review.approved", "Kari Arkivar", "pkg-1", {"comment": "ok", "n": [1, 2]})
    second = log.append("moderation.hidden", "Ola", "facebook-1", {"reason": "personopplysninger"})

    assert (first.seq, first.prev) == (1, None)
    assert (second.seq, second.prev) == (2, first.sha256)
    stored = any_sink.read_meta(event_name(2))
    assert stored == second.to_bytes() == canonical_json(json.loads(stored or b""))
    assert hashlib.sha256(any_sink.read_meta(event_name(1)) or b"").hexdigest() == first.sha256
    assert first.actor_verified is False  # a claimed name
    assert log.verify() == []
    chain, findings = log.events()
    assert [s.event for s in chain] == [first, second] and findings == []
    if isinstance(any_sink, S3Sink):
        head = any_sink.client.head_object(Bucket=any_sink.bucket, Key=f"{any_sink.prefix}/{event_name(1)}")
        assert head["ObjectLockMode"] == "COMPLIANCE"
    else:
        assert isinstance(any_sink, LocalSink)
        assert not (any_sink.root / event_name(1)).stat().st_mode & 0o222


@pytest.mark.parametrize(
    ("actor", "subject", "data", "message"),
    [
        ("", "pkg", {}, "aktør kan ikke være tom"),
        ("   ", "pkg", {}, "aktør kan ikke være tom"),
        ("Kari\x00", "pkg", {}, "kontrolltegn"),
        ("Kari\nAdmin", "pkg", {}, "kontrolltegn"),
        ("Kari\ud800", "pkg", {}, "surrogater"),
        ("x" * 201, "pkg", {}, "lengre enn 200"),
        ("Kari", "pkg\u2028", {}, "kontrolltegn"),
        ("Kari", "pkg", {"x": float("nan")}, "ugyldig"),
        ("Kari", "pkg", {"blob": "x" * 300_000}, "større enn"),
        ("Kari", "pkg", {"when": object()}, "ugyldig"),
    ],
)
def test_hostile_events_are_refused_and_nothing_is_written(
    local_sink: LocalSink, actor: str, subject: str, data: dict[str, object], message: str
) -> None:
    log = _log(local_sink)
    with pytest.raises(AuditError, match=message):
        log.append("review.approved", actor, subject, data)
    assert local_sink.list_meta(AUDIT_DIR) == []


@pytest.mark.parametrize("kind", ["", "Review", "review approved", "x" * 65, "review/../x", "rev\u00e9"])
def test_bad_event_kinds_are_refused(local_sink: LocalSink, kind: str) -> None:
    with pytest.raises(AuditError, match="ugyldig"):
        _log(local_sink).append(kind, "Kari", "pkg", {})


def test_deeply_nested_data_is_refused_without_recursion(local_sink: LocalSink) -> None:
    deep: dict[str, object] = {}
    node = deep
    for _ in range(100_000):
        node["a"] = {}
        node = node["a"]  # type: ignore[assignment]
    with pytest.raises(AuditError, match="nestet dypere"):
        _log(local_sink).append("review.approved", "Kari", "pkg", deep)


def test_unicode_survives_canonicalisation(local_sink: LocalSink) -> None:
    log = _log(local_sink)
    data = {"rtl": "مرحبا بالعالم שלום", "lone": "\udc80", "emoji": "🗄️", "ctrl": "\x00\x1b"}
    event = log.append("moderation.hidden", "عائشة", "facebook-١٢٣", data)

    assert log.verify() == []
    chain, _ = log.events()
    assert chain[0].event == event and chain[0].event.data == data
    assert (local_sink.root / event_name(1)).read_bytes().isascii()


def test_an_edited_event_breaks_the_chain(any_sink: Sink) -> None:
    log = _log(any_sink)
    log.append("review.rejected", "Kari", "pkg-1", {"comment": "mangler"})
    log.append("review.approved", "Kari", "pkg-2", {})
    log.append("review.approved", "Kari", "pkg-3", {})
    forged = AuditEvent.model_validate_json(any_sink.read_meta(event_name(2)) or b"").model_copy(
        update={"subject": "pkg-9"}
    )

    _raw_put(any_sink, event_name(2), forged.to_bytes())

    findings = log.verify()
    rules = {(f.rule, f.where) for f in findings}
    assert ("audit", event_name(3)) in rules  # its prev no longer matches
    chain, _ = log.events()
    assert [s.event.seq for s in chain] == [1]  # only the intact prefix is trusted
    if isinstance(any_sink, S3Sink):
        assert ("tampered", event_name(2)) in rules  # a second version of a locked key


def test_a_deleted_or_non_canonical_event_is_reported(any_sink: Sink) -> None:
    log = _log(any_sink)
    for n in range(3):
        log.append("review.approved", "Kari", f"pkg-{n}", {})

    _raw_delete(any_sink, event_name(2))

    findings = log.verify()
    assert any(f.rule == "audit" and f.where == event_name(2) and "mangler" in f.message for f in findings)
    if isinstance(any_sink, S3Sink):
        assert any(f.rule == "tampered" and f.where == event_name(2) for f in findings)
    body = json.loads(any_sink.read_meta(event_name(1)) or b"")
    _raw_put(any_sink, event_name(1), json.dumps(body, indent=1).encode())  # same content, other bytes
    assert any("kanonisk" in f.message for f in log.verify() if f.where == event_name(1))


def test_a_stray_object_and_a_swapped_event_are_reported(local_sink: LocalSink) -> None:
    log = _log(local_sink)
    log.append("review.approved", "Kari", "a", {})
    log.append("review.approved", "Kari", "b", {})
    one, two = (local_sink.root / event_name(1)), (local_sink.root / event_name(2))
    for path in (one, two):
        path.chmod(0o644)
    a, b = one.read_bytes(), two.read_bytes()
    one.write_bytes(b)
    two.write_bytes(a)
    (local_sink.root / AUDIT_DIR / "notes.txt").write_bytes(b"x")

    findings = log.verify()

    assert any(f.where == event_name(1) and "oppgir nummer 2" in f.message for f in findings)
    assert any(f.where == f"{AUDIT_DIR}/notes.txt" for f in findings)
    with pytest.raises(AuditError, match="skadet"):
        log.append("review.approved", "Kari", "c", {})


def test_concurrent_appends_never_fork_the_chain(local_sink: LocalSink) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(4):
                AuditLog(local_sink, retention=RETENTION).append("review.approved", f"w{n}", f"pkg-{n}-{i}", {})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    log = _log(local_sink)
    chain, findings = log.events()
    assert errors == [] and findings == []
    assert [s.event.seq for s in chain] == list(range(1, 17))
    assert sorted(s.event.subject for s in chain) == sorted(f"pkg-{n}-{i}" for n in range(4) for i in range(4))


def test_event_time_comes_from_the_clock(local_sink: LocalSink, tmp_path: Path) -> None:
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    event = AuditLog(local_sink, retention=RETENTION, clock=lambda: moment).append("x.y", "Kari", "pkg", {})
    assert event.at == moment and event.to_bytes().count(b"2030-01-02T03:04:05Z") == 1
