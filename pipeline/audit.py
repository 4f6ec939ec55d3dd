"""The archive check behind ``somearkiv verify`` and the fixity flow: packages, locks, audit chain, timestamps.

:func:`verify_archive` replays the review decisions from the audit chain (:mod:`pipeline.review`), then
checks every complete package — approved ones at exactly the versions their approval locked (a newer version
or a delete marker on a locked key is ``tampered``) — and the chain itself (order, hashes, versions, locks,
RFC 3161 tokens). A forged or deleted review record and a broken chain are findings, as are approved
packages whose manifest has vanished. The location must exist and hold something.
"""

from __future__ import annotations

from pipeline.review import load_ledger
from schemas.findings import Finding
from schemas.package import MANIFEST_NAME
from storage.audit import AuditLog
from storage.base import Sink
from storage.fixity import FixityReport, verify_bucket
from storage.timestamp import Timestamper

NO_WORM_NOTE = "lokal mappe: filene er bare skrivebeskyttet (ingen WORM-garanti); endringer oppdages, men hindres ikke"


def verify_archive(sink: Sink, timestamper: Timestamper | None = None) -> FixityReport:
    """Fixity of every package (approved ones at their locked versions), the audit chain and the timestamps."""
    sink.check_location()
    ledger = load_ledger(sink, AuditLog(sink, timestamper=timestamper))
    findings = list(ledger.findings)
    present = set(sink.list_packages())
    for package_id, record in sorted(ledger.records.items()):
        if record.approved and package_id not in present:
            findings.append(
                Finding(
                    rule="tampered",
                    message="godkjent pakke er ikke lenger i bøtta (manifestet slettet eller skjult)",
                    where=f"{package_id}/{MANIFEST_NAME}",
                )
            )
    if not sink.worm:
        findings.append(Finding(rule="no-worm", message=NO_WORM_NOTE, where=sink.url, severity="info"))
    return verify_bucket(sink, pins_of=ledger.pins_of, timestamps=timestamper, findings=findings)
