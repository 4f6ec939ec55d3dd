"""Deliver packages of journal-required threads to the municipality's archive over KS Fiks Arkiv.

One run (:func:`deliver`): first take in answers already waiting on the account's queue, then send every
selected package that has no delivery yet or whose last delivery failed, then listen until each sent
package has its kvittering or a feilmelding, or the receipt timeout has passed (then it is marked failed;
the next run sends it again). A package with a kvittering is never sent again.

The delivery state of a package is a side record in the bucket, ``_deliveries/<package id>.json``
(:class:`DeliveryRecord`), next to the receipt itself, ``_deliveries/<package id>.kvittering.xml``;
neither disturbs the package's fixity. :func:`assigned_numbers` gives the journal numbers the archive
assigned, for the web app and later uttrekk.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol
from uuid import UUID

from cryptography import x509
from lxml import etree
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from delivery import messages
from delivery.asice import AsiceError, Signer, build_asice, read_asice
from delivery.config import FiksConfig
from delivery.crypto import CryptoError, decrypt, encrypt, load_certificate, load_private_key
from delivery.fiksio import IncomingMessage, ListenStats, SentMessage
from delivery.messages import AssignedNumbers, MessageError, Schemas
from schemas.errors import DeliveryError, SomearkivError, StorageError
from schemas.package import MANIFEST_NAME, Manifest
from schemas.thread import FlagKind
from storage.base import Sink

log = logging.getLogger(__name__)

DELIVERIES_DIR = "_deliveries"
ARKIVMELDING = "arkivmelding.xml"
Status = Literal["sendt", "mottatt", "kvittert", "feilet"]
FINAL: tuple[Status, ...] = ("kvittert", "feilet")
STATUS_LABELS: dict[str, str] = {
    "sendt": "Sendt, venter på svar",
    "mottatt": "Mottatt av arkivet",
    "kvittert": "Journalført",
    "feilet": "Feilet",
}


class Attempt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    melding_id: str
    sent_at: AwareDatetime
    outcome: Status = "sendt"
    reason: str | None = None


class DeliveryRecord(BaseModel):
    """``_deliveries/<package id>.json``: where a package's delivery stands."""

    model_config = ConfigDict(extra="forbid")

    record_version: Literal["1"] = "1"
    package_id: str
    receiver_account: str
    status: Status
    attempts: list[Attempt] = Field(default_factory=list)
    updated_at: AwareDatetime
    failure: str | None = Field(default=None, description="Why the last attempt failed (shown to the archivist)")
    numbers: AssignedNumbers | None = None
    receipt_melding_id: str | None = None
    receipt_sha256: str | None = None
    notes: list[str] = Field(default_factory=list, description="Duplicate or late answers, for the record")

    @property
    def current(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    def to_bytes(self) -> bytes:
        return (self.model_dump_json(indent=2) + "\n").encode("utf-8")


class Sender(Protocol):
    def public_certificate(self, account: UUID) -> x509.Certificate: ...

    def send(
        self,
        melding_type: str,
        payload: bytes | None,
        *,
        mottaker: UUID,
        svar_paa: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> SentMessage: ...


class Receiver(Protocol):
    def run(
        self, handle: Callable[[IncomingMessage], None], *, done: Callable[[], bool], timeout: float
    ) -> ListenStats: ...


@dataclass
class DeliveryContext:
    """What a run needs, built once by the caller (the flow) from the settings."""

    sink: Sink
    config: FiksConfig
    schemas: Schemas
    sender: Sender
    receiver: Receiver
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        path = self.config.receiver_certificate
        self.certificate = (
            load_certificate(path) if path is not None else self.sender.public_certificate(self.config.receiver_account)
        )
        self.private_key = load_private_key(self.config.private_key)
        self.signer: Signer | None = None
        if self.config.signing_certificate is not None and self.config.signing_key is not None:
            self.signer = Signer(
                load_certificate(self.config.signing_certificate), load_private_key(self.config.signing_key)
            )


# -- records ------------------------------------------------------------------------------------------------


def read_delivery(sink: Sink, package_id: str) -> DeliveryRecord | None:
    """The package's delivery record, or None if it was never sent."""
    data = sink.read_record(DELIVERIES_DIR, f"{package_id}.json")
    if data is None:
        return None
    try:
        return DeliveryRecord.model_validate_json(data)
    except ValueError as exc:
        raise DeliveryError(f"pakke {package_id}: leveranseposten er ugyldig: {exc}") from exc


def write_delivery(sink: Sink, record: DeliveryRecord) -> None:
    sink.write_record(DELIVERIES_DIR, f"{record.package_id}.json", record.to_bytes())


def read_receipt(sink: Sink, package_id: str) -> bytes | None:
    """The kvittering XML the archive sent for the package, as received."""
    return sink.read_record(DELIVERIES_DIR, f"{package_id}.kvittering.xml")


def assigned_numbers(sink: Sink, package_id: str) -> AssignedNumbers | None:
    """The journal and case numbers the archive assigned to the package (None until its kvittering)."""
    record = read_delivery(sink, package_id)
    if record is None or record.status != "kvittert" or record.numbers is None:
        return None
    return record.numbers


# -- the outgoing message -----------------------------------------------------------------------------------


def _referenced_files(package_id: str, arkivmelding: bytes) -> list[str]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(arkivmelding, parser)
    except etree.XMLSyntaxError as exc:
        raise DeliveryError(f"pakke {package_id}: {ARKIVMELDING} er ikke gyldig XML: {exc}") from exc
    tag = f"{{{messages.NS_ARKIVMELDING}}}referanseDokumentfil"
    return [node.text.strip() for node in root.iter(tag) if node.text and node.text.strip()]


def build_opprett(sink: Sink, package_id: str, schemas: Schemas, signer: Signer | None) -> bytes:
    """The ASiC-E of ``arkivmelding.opprett``: the package's arkivmelding.xml and every file it references,
    each checked against the package manifest before it leaves."""
    manifest: Manifest = sink.read_manifest(package_id)
    arkivmelding = sink.read_bytes(package_id, ARKIVMELDING)
    try:
        schemas.validate(messages.OPPRETT, arkivmelding)
    except MessageError as exc:
        raise DeliveryError(f"pakke {package_id}: {ARKIVMELDING} følger ikke Fiks Arkiv-skjemaet: {exc}") from exc
    files: dict[str, tuple[bytes, str]] = {messages.ARKIVMELDING_FILE: (arkivmelding, "application/xml")}
    for path in _referenced_files(package_id, arkivmelding):
        if path in files:
            continue
        try:
            entry = manifest.file(path)
        except KeyError:
            raise DeliveryError(f"pakke {package_id}: {ARKIVMELDING} viser til {path}, som ikke er i pakken") from None
        data = sink.read_bytes(package_id, path)
        if len(data) != entry.size or hashlib.sha256(data).hexdigest() != entry.sha256:
            raise DeliveryError(f"pakke {package_id}: {path} stemmer ikke med manifestet; sendes ikke")
        files[path] = (data, entry.mime_type)
    return build_asice(files, signer)


# -- a run --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryResult:
    """One package's state after a run, for the summary and the web app."""

    package_id: str
    status: Status | Literal["hoppet over"]
    message: str
    attempts: int = 0
    journalnummer: str | None = None
    saksnummer: str | None = None


@dataclass
class DeliveryRun:
    results: list[DeliveryResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # answers that could not be used
    sent: int = 0
    received: int = 0

    @property
    def ok(self) -> bool:
        return not any(r.status == "feilet" for r in self.results)

    def to_markdown(self) -> str:
        lines = [
            "# Leveranse til arkivsystemet (Fiks Arkiv)",
            "",
            "| Pakke | Status | Forsøk | Journalnummer | Saksnummer | Merknad |",
            "|---|---|---|---|---|---|",
        ]
        for r in self.results:
            label = STATUS_LABELS.get(r.status, r.status)
            status = f"**{label}**" if r.status == "feilet" else label
            lines.append(
                f"| `{r.package_id}` | {status} | {r.attempts} | {r.journalnummer or ''} "
                f"| {r.saksnummer or ''} | {_cell(r.message)} |"
            )
        if self.problems:
            lines += ["", "## Meldinger som ikke kunne brukes", ""]
            lines += [f"- {_cell(problem)}" for problem in self.problems]
        return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())[:300]


def _describe_timeout(timeout: timedelta) -> str:
    seconds = int(timeout.total_seconds())
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"


class _Run:
    """The records of one run and the handling of each incoming answer."""

    def __init__(self, ctx: DeliveryContext, run: DeliveryRun) -> None:
        self.ctx = ctx
        self.run = run
        self.records: dict[str, DeliveryRecord | None] = {}
        self.index: dict[str, str] = {}
        self._indexed_all = False

    # records and the melding-id index

    def record(self, package_id: str) -> DeliveryRecord | None:
        if package_id not in self.records:
            record = read_delivery(self.ctx.sink, package_id)
            self.records[package_id] = record
            for attempt in record.attempts if record else []:
                self.index[attempt.melding_id] = package_id
        return self.records[package_id]

    def save(self, record: DeliveryRecord) -> None:
        record.updated_at = self.ctx.clock()
        write_delivery(self.ctx.sink, record)
        self.records[record.package_id] = record
        for attempt in record.attempts:
            self.index[attempt.melding_id] = record.package_id

    def package_for(self, melding_id: str) -> str | None:
        if melding_id not in self.index and not self._indexed_all:
            self._indexed_all = True
            for package_id in self.ctx.sink.list_packages():
                try:
                    self.record(package_id)
                except DeliveryError as exc:
                    self.run.problems.append(str(exc))
        return self.index.get(melding_id)

    # answers

    def problem(self, message: IncomingMessage, text: str) -> None:
        what = f"melding {message.melding_id or '?'} ({message.melding_type or 'ukjent type'})"
        self.run.problems.append(f"{what}: {text}")
        log.warning("Fiks Arkiv: %s: %s", what, text)

    def handle(self, message: IncomingMessage) -> None:
        """Apply one answer to its package's record (stored before the message is acked)."""
        self.run.received += 1
        if message.problem:
            self.problem(message, message.problem)
            return
        if message.melding_type not in messages.ANSWERS:
            self.problem(message, "uventet meldingstype; ignorert")
            return
        if message.svar_til is None:
            self.problem(message, "svarer ikke på noen melding (mangler svar-til)")
            return
        package_id = self.package_for(message.svar_til)
        record = self.record(package_id) if package_id else None
        if record is None:
            self.problem(message, f"svar på en ukjent melding {message.svar_til}; ignorert")
            return
        attempt = next((a for a in record.attempts if a.melding_id == message.svar_til), None)
        if message.melding_type == messages.MOTTATT:
            self._mottatt(record, attempt, message)
        elif message.melding_type == messages.KVITTERING:
            self._kvittering(record, attempt, message)
        else:
            self._feilmelding(record, attempt, message)

    def _payload(self, message: IncomingMessage, name: str) -> bytes:
        if not message.body:
            raise MessageError("meldingen har ikke innhold")
        plain = decrypt(message.body, self.ctx.private_key)
        container = read_asice(plain, max_bytes=self.ctx.config.max_message_bytes)
        if name in container.files:
            return container.files[name]
        xml = [data for file, data in container.files.items() if file.lower().endswith(".xml")]
        if len(xml) != 1:
            raise MessageError(f"fant ikke {name} i meldingen")
        return xml[0]

    def _mottatt(self, record: DeliveryRecord, attempt: Attempt | None, message: IncomingMessage) -> None:
        if record.status == "sendt" and attempt is record.current and attempt is not None:
            attempt.outcome = record.status = "mottatt"
        else:
            record.notes.append(
                f"{self.ctx.clock():%Y-%m-%d %H:%M} mottatt-melding {message.melding_id} "
                f"for forsøk {message.svar_til} (status {record.status})"
            )
        self.save(record)

    def _kvittering(self, record: DeliveryRecord, attempt: Attempt | None, message: IncomingMessage) -> None:
        try:
            xml = self._payload(message, messages.KVITTERING_FILE)
            kvittering = messages.parse_kvittering(xml, self.ctx.schemas)
        except (CryptoError, AsiceError, MessageError, ValueError) as exc:
            self.problem(message, f"ugyldig kvittering for pakke {record.package_id}: {exc}")
            if record.status not in FINAL and attempt is record.current:
                self._fail(record, f"kvitteringen fra arkivet var ugyldig: {exc}")
            else:
                record.notes.append(f"ugyldig kvittering {message.melding_id}: {str(exc)[:200]}")
                self.save(record)
            return
        numbers = kvittering.numbers
        if record.status == "kvittert":
            same = "samme" if numbers == record.numbers else "ANDRE"
            record.notes.append(
                f"{self.ctx.clock():%Y-%m-%d %H:%M} kvittering {message.melding_id} mottatt på nytt "
                f"({same} numre); den første gjelder"
            )
            self.save(record)
            return
        if kvittering.registrering_failed:
            self._fail(record, f"arkivet kunne ikke opprette journalposten: {kvittering.registrering_failed}")
            return
        self.ctx.sink.write_record(DELIVERIES_DIR, f"{record.package_id}.kvittering.xml", xml)
        record.status = "kvittert"
        record.failure = None
        record.numbers = numbers
        record.receipt_melding_id = message.melding_id
        record.receipt_sha256 = hashlib.sha256(xml).hexdigest()
        if attempt is not None:
            attempt.outcome = "kvittert"
        if attempt is not record.current:
            record.notes.append(f"kvittering for et tidligere forsøk ({message.svar_til}) ble godtatt")
        self.save(record)
        log.info("pakke %s journalført som %s", record.package_id, kvittering.numbers.journalnummer)

    def _feilmelding(self, record: DeliveryRecord, attempt: Attempt | None, message: IncomingMessage) -> None:
        try:
            feil = messages.parse_feilmelding(
                message.melding_type, self._payload(message, messages.FEILMELDING_FILE), self.ctx.schemas
            )
            reason = f"{feil.kind} fra arkivet: {feil.melding} (feilId {feil.feil_id})"
        except (CryptoError, AsiceError, MessageError, ValueError) as exc:
            reason = f"{message.melding_type.rsplit('.', 1)[-1]} fra arkivet (innholdet kunne ikke leses: {exc})"
        if record.status == "kvittert" or attempt is not record.current:
            record.notes.append(
                f"{self.ctx.clock():%Y-%m-%d %H:%M} feilmelding etter kvittering/for "
                f"tidligere forsøk ignorert: {reason[:200]}"
            )
            self.save(record)
            return
        self._fail(record, reason)

    def _fail(self, record: DeliveryRecord, reason: str) -> None:
        record.status = "feilet"
        record.failure = reason
        if record.current is not None:
            record.current.outcome = "feilet"
            record.current.reason = reason
        self.save(record)
        log.warning("pakke %s: leveransen feilet: %s", record.package_id, reason)

    # sending

    def send(self, package_id: str, previous: DeliveryRecord | None) -> None:
        ctx = self.ctx
        try:
            container = build_opprett(ctx.sink, package_id, ctx.schemas, ctx.signer)
            payload = encrypt(container, ctx.certificate)
            if len(payload) > ctx.config.max_message_bytes:
                raise DeliveryError(
                    f"pakke {package_id}: meldingen blir {len(payload)} byte, grensen er {ctx.config.max_message_bytes}"
                )
            sent = ctx.sender.send(
                messages.OPPRETT, payload, mottaker=ctx.config.receiver_account, headers={"somearkiv-pakke": package_id}
            )
        except (DeliveryError, StorageError) as exc:
            record = previous or DeliveryRecord(
                package_id=package_id,
                receiver_account=str(ctx.config.receiver_account),
                status="feilet",
                updated_at=ctx.clock(),
            )
            record.status = "feilet"
            record.failure = f"kunne ikke sendes: {exc}"
            self.save(record)
            return
        record = previous or DeliveryRecord(
            package_id=package_id,
            receiver_account=str(ctx.config.receiver_account),
            status="sendt",
            updated_at=ctx.clock(),
        )
        record.status = "sendt"
        record.failure = None
        record.attempts.append(Attempt(melding_id=sent.melding_id, sent_at=ctx.clock()))
        self.save(record)
        self.run.sent += 1

    def timed_out(self, record: DeliveryRecord) -> bool:
        current = record.current
        return current is not None and self.ctx.clock() - current.sent_at >= self.ctx.config.receipt_timeout

    def expire(self, record: DeliveryRecord) -> None:
        self._fail(
            record,
            f"ingen kvittering innen {_describe_timeout(self.ctx.config.receipt_timeout)}; "
            "sendes på nytt ved neste kjøring",
        )


def _journal_required(manifest: Manifest) -> bool:
    return manifest.flag is not None and manifest.flag.kind == FlagKind.JOURNAL_REQUIRED


def deliver(
    ctx: DeliveryContext,
    package_ids: Iterable[str] | None = None,
    *,
    approved: Callable[[str], bool] | None = None,
) -> DeliveryRun:
    """Deliver the journal-required packages among ``package_ids`` (default: every package in the bucket).

    ``approved`` says whether the archivist approved a package; with ``require_approval`` set, packages
    without approval wait. One package's failure never stops the others.
    """
    result = DeliveryRun()
    run = _Run(ctx, result)
    timeout = ctx.config.receipt_timeout.total_seconds()
    ctx.receiver.run(run.handle, done=lambda: True, timeout=timeout)  # answers that arrived since last run

    selected: list[str] = []
    skipped: list[DeliveryResult] = []
    for package_id in sorted(set(package_ids) if package_ids is not None else ctx.sink.list_packages()):
        try:
            if not ctx.sink.has_package(package_id):
                skipped.append(DeliveryResult(package_id, "hoppet over", f"pakken finnes ikke ({MANIFEST_NAME})"))
                continue
            if not _journal_required(ctx.sink.read_manifest(package_id)):
                continue
            if ctx.config.require_approval and not (approved is not None and approved(package_id)):
                skipped.append(DeliveryResult(package_id, "hoppet over", "venter på arkivarens godkjenning"))
                continue
            record = run.record(package_id)
        except SomearkivError as exc:  # one bad package (id, manifest, record, review) never stops the others
            skipped.append(DeliveryResult(package_id, "hoppet over", str(exc)))
            continue
        selected.append(package_id)
        if record is None or record.status == "feilet":
            run.send(package_id, record)
        elif record.status != "kvittert" and run.timed_out(record):
            run.expire(record)

    def waiting() -> list[str]:
        return [p for p in selected if (r := run.records.get(p)) is not None and r.status not in FINAL]

    if waiting():
        ctx.receiver.run(run.handle, done=lambda: not waiting(), timeout=timeout)
    for package_id in waiting():  # listened for the whole receipt timeout: what is still open has failed
        record = run.records[package_id]
        if record is not None:
            run.expire(record)

    for package_id in selected:
        record = run.records[package_id]
        if record is None:
            continue
        numbers = record.numbers if record.numbers else None
        message = record.failure or ("journalført" if record.status == "kvittert" else "")
        result.results.append(
            DeliveryResult(
                package_id,
                record.status,
                message,
                attempts=len(record.attempts),
                journalnummer=numbers.journalnummer if numbers else None,
                saksnummer=numbers.saksnummer if numbers else None,
            )
        )
    result.results.extend(skipped)
    return result
