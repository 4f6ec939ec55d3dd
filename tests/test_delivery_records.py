"""Delivery side records in the bucket (Sink.read_record/write_record) on a local folder and on S3 (moto)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from delivery.messages import AssignedNumbers
from pipeline.delivery import (
    DELIVERIES_DIR,
    Attempt,
    DeliveryRecord,
    assigned_numbers,
    read_delivery,
    write_delivery,
)
from schemas.errors import DeliveryError
from storage.base import Sink, SinkError
from storage.fixity import verify_package
from tests.s3_server import make_package

NOW = datetime(2026, 3, 5, 12, tzinfo=UTC)


def _record(package_id: str, status: str = "kvittert") -> DeliveryRecord:
    return DeliveryRecord(
        package_id=package_id,
        receiver_account="5c1f6c3e-0000-4000-8000-000000000001",
        status=status,  # type: ignore[arg-type]
        attempts=[Attempt(melding_id="0b9f1a56-0000-4000-8000-000000000002", sent_at=NOW, outcome="kvittert")],
        updated_at=NOW,
        numbers=AssignedNumbers(journalaar=2026, journalsekvensnummer=117, saksaar=2026, sakssekvensnummer=1042),
    )


def test_records_round_trip_beside_the_package_without_touching_fixity(any_sink: Sink, tmp_path: Path) -> None:
    folder, manifest = make_package(tmp_path / "staging")
    any_sink.put_package(folder, manifest)
    package_id = manifest.package_id
    assert read_delivery(any_sink, package_id) is None and assigned_numbers(any_sink, package_id) is None
    write_delivery(any_sink, _record(package_id, status="sendt"))
    assert assigned_numbers(any_sink, package_id) is None  # numbers count only with a kvittering
    write_delivery(any_sink, _record(package_id))  # replaced
    numbers = assigned_numbers(any_sink, package_id)
    assert numbers is not None and (numbers.journalnummer, numbers.saksnummer) == ("2026/117", "2026/1042")
    any_sink.write_record(DELIVERIES_DIR, f"{package_id}.kvittering.xml", b"<kvittering/>")
    assert any_sink.read_record(DELIVERIES_DIR, f"{package_id}.kvittering.xml") == b"<kvittering/>"
    assert any_sink.list_packages() == [package_id]
    assert not verify_package(any_sink, package_id).problems


@pytest.mark.parametrize(
    ("folder", "name"),
    [
        ("_reviews", "x.json"),  # the review records are not side records
        ("deliveries", "x.json"),  # must be a _folder, never a package id
        ("_deliveries/..", "x.json"),
        ("..", "x.json"),
        ("_deliveries", "../x.json"),
        ("_deliveries", "a/b.json"),
        ("_deliveries", ".hidden"),
        ("_deliveries", "_x.json"),
        ("_deliveries", ""),
        ("_deliveries", "æ\u202e.json"),
        ("_deliveries", "x\x00.json"),
    ],
)
def test_record_keys_are_refused_when_unsafe(any_sink: Sink, folder: str, name: str) -> None:
    with pytest.raises(SinkError):
        any_sink.write_record(folder, name, b"{}")
    with pytest.raises(SinkError):
        any_sink.read_record(folder, name)


def test_a_damaged_record_is_reported_not_guessed(local_sink: Sink) -> None:
    local_sink.write_record(DELIVERIES_DIR, "facebook-1-0123456789abcdef.json", b'{"status": "kvittert"')
    with pytest.raises(DeliveryError, match="leveranseposten er ugyldig"):
        read_delivery(local_sink, "facebook-1-0123456789abcdef")
