"""The archive's journal and case numbers (from the Fiks Arkiv kvittering) replace provisional ones in the uttrekk."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from lxml import etree

from delivery.messages import AssignedNumbers
from noark.ids import journalpost_system_id
from noark.testing import sample_context, sample_flag, sample_thread, write_package
from noark.uttrekk import build_uttrekk
from noark.uttrekk.numbering import ExtractionNumbering, NumberRequest
from pipeline.archive_numbers import ReceiptNumbering, receipts_by_journalpost
from pipeline.delivery import DELIVERIES_DIR, DeliveryRecord
from storage.local import LocalSink

N5 = {"n": "http://www.arkivverket.no/standarder/noark5/arkivstruktur"}
MARCH = {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)}


def _at(day: int) -> datetime:
    return datetime(2026, 3, day, 10, 0, tzinfo=UTC)


def _kvittert(sink: LocalSink, package_id: str, numbers: AssignedNumbers, status: str = "kvittert") -> None:
    record = DeliveryRecord(
        package_id=package_id,
        receiver_account="00000000-0000-0000-0000-000000000001",
        status=status,
        updated_at=_at(20),
        numbers=numbers,
    )
    sink.write_record(DELIVERIES_DIR, f"{package_id}.json", record.to_bytes())


def _bucket(tmp_path: Path) -> tuple[LocalSink, list[str]]:
    root, ctx = tmp_path / "bucket", sample_context()
    threads = [sample_thread("1"), sample_thread("2"), sample_thread("3")]
    for day, thread in enumerate(threads, start=5):
        write_package(
            root,
            thread,
            sample_flag(thread, case_number=None, case_title=f"Ny sak {thread.thread_id}")
            if thread.thread_id == "3"
            else sample_flag(thread),
            exported_at=_at(day),
            ctx=ctx,
        )
    sink = LocalSink(root)
    return sink, sink.list_packages()


def test_receipts_are_found_per_journalpost_and_only_when_kvittert(tmp_path: Path) -> None:
    sink, packages = _bucket(tmp_path)
    first, second = packages[0], packages[1]
    _kvittert(sink, first, AssignedNumbers(journalaar=2026, journalsekvensnummer=4711, journalpostnummer=3))
    _kvittert(sink, second, AssignedNumbers(journalaar=2026, journalsekvensnummer=4712), status="mottatt")
    found = receipts_by_journalpost(sink, packages)
    manifest = sink.read_manifest(first)
    assert list(found) == [journalpost_system_id(manifest.platform, manifest.thread_id)]


def test_receipt_numbers_win_and_the_rest_fall_back() -> None:
    requests = [NumberRequest(f"jp{i}", f"m{i}", date(2026, 3, i + 1), None, new_case=(i == 2)) for i in range(3)]
    receipts = {
        "jp1": AssignedNumbers(journalaar=2025, journalsekvensnummer=900, journalpostnummer=2),
        "jp2": AssignedNumbers(journalaar=2026, journalsekvensnummer=77, saksaar=2026, sakssekvensnummer=555),
    }
    numbering = ReceiptNumbering(receipts, ExtractionNumbering())
    journal = numbering.journal_numbers(requests)
    assert (journal["jp1"].journalaar, journal["jp1"].journalsekvensnummer, journal["jp1"].journalpostnummer) == (
        2025,
        900,
        2,
    )
    assert journal["jp2"].journalsekvensnummer == 77 and journal["jp0"].journalsekvensnummer == 1
    assert str(numbering.case_numbers([requests[2]])["m2"]) == "2026/555"


def test_an_uttrekk_carries_the_archives_numbers(tmp_path: Path, xsd_dir: Path) -> None:
    sink, packages = _bucket(tmp_path)
    third = next(p for p in packages if sink.read_manifest(p).thread_id == "3")
    _kvittert(
        sink,
        third,
        AssignedNumbers(journalaar=2026, journalsekvensnummer=321, journalpostnummer=1, saksaar=2026,
                        sakssekvensnummer=4242),
    )
    numbering = ReceiptNumbering(receipts_by_journalpost(sink, packages), ExtractionNumbering())
    result = build_uttrekk(sink, tmp_path / "u", ctx=sample_context(), xsd_dir=xsd_dir, numbering=numbering, **MARCH)
    assert result.report is not None and not result.report.errors, result.report.to_text()
    tree = etree.parse(str(result.out_dir / "arkivstruktur.xml"))
    mappe = tree.xpath("//n:mappe[n:tittel='Ny sak 3']", namespaces=N5)[0]
    assert mappe.findtext("n:mappeID", namespaces=N5) == "2026/4242"
    assert mappe.xpath(".//n:registrering/n:journalsekvensnummer/text()", namespaces=N5) == ["321"]
    journal = (result.out_dir / "loependeJournal.xml").read_text(encoding="utf-8")
    assert "<journalsekvensnummer>321</journalsekvensnummer>" in journal
