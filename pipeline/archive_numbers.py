"""Journal and case numbers the municipality's archive assigned (KS Fiks Arkiv kvittering) in the uttrekk.

Until a thread is journaled in the archive system its journalpost carries provisional numbers. Once the
kvittering has arrived, the numbers the archive assigned replace them: :class:`ReceiptNumbering` answers the
uttrekk's ``NumberProvider`` questions from the receipts first and asks its fallback (numbers from the
workflow database, or numbering within the extraction) for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from delivery.messages import AssignedNumbers
from noark.ids import journalpost_system_id
from noark.uttrekk.numbering import CaseNumber, JournalNumber, NumberProvider, NumberRequest
from pipeline.delivery import assigned_numbers
from storage.base import Sink


def receipts_by_journalpost(sink: Sink, package_ids: Iterable[str]) -> dict[str, AssignedNumbers]:
    """The archive's numbers per journalpost systemID, from the packages' delivery records (newest export wins)."""
    found: dict[str, tuple[str, AssignedNumbers]] = {}
    for package_id in package_ids:
        numbers = assigned_numbers(sink, package_id)
        if numbers is None or numbers.journalaar is None or numbers.journalsekvensnummer is None:
            continue
        manifest = sink.read_manifest(package_id)
        key = journalpost_system_id(manifest.platform, manifest.thread_id)
        stamp = manifest.created_at.isoformat()
        if key not in found or found[key][0] < stamp:
            found[key] = (stamp, numbers)
    return {key: numbers for key, (_, numbers) in found.items()}


class ReceiptNumbering:
    """The archive's numbers where a kvittering gave them; ``fallback`` for every other registrering."""

    def __init__(self, receipts: Mapping[str, AssignedNumbers], fallback: NumberProvider) -> None:
        self.receipts = receipts
        self.fallback = fallback

    def journal_numbers(self, requests: Sequence[NumberRequest]) -> dict[str, JournalNumber]:
        from_archive: dict[str, JournalNumber] = {}
        for request in requests:
            numbers = self.receipts.get(request.journalpost_id)
            if numbers is None or numbers.journalaar is None or numbers.journalsekvensnummer is None:
                continue
            from_archive[request.journalpost_id] = JournalNumber(
                numbers.journalaar, numbers.journalsekvensnummer, numbers.journalpostnummer or 1
            )
        rest = [r for r in requests if r.journalpost_id not in from_archive]
        return {**self.fallback.journal_numbers(rest), **from_archive}

    def case_numbers(self, requests: Sequence[NumberRequest]) -> dict[str, CaseNumber]:
        """A new case gets the saksnummer the archive gave any of its journalposts."""
        from_archive: dict[str, CaseNumber] = {}
        for request in requests:
            numbers = self.receipts.get(request.journalpost_id)
            if numbers is not None and numbers.saksaar is not None and numbers.sakssekvensnummer is not None:
                from_archive.setdefault(request.mappe_key, CaseNumber(numbers.saksaar, numbers.sakssekvensnummer))
        rest = [r for r in requests if r.mappe_key not in from_archive]
        return {**self.fallback.case_numbers(rest), **from_archive}
