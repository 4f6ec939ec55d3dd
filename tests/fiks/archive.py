"""A stand-in for a municipality's archive system behind Fiks Arkiv, run in a thread.

It consumes its own Fiks IO account's queue with the project's own client (like a real archive with KS's
client), decrypts each ``arkivmelding.opprett`` with its private key, checks the ASiC-E, validates
``arkivmelding.xml`` against KS's XSD and the files it references, then answers through the Fiks IO
stand-in: ``mottatt``, then ``kvittering`` with the numbers it assigned; ``feilmelding.ugyldigforespoersel``
for an invalid message. A journalpost already created (same referanseEksternNoekkel) keeps its numbers and
is answered ``Eksisterende``. ``behaviour`` makes it misbehave the way real systems do.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from lxml import etree

from delivery import messages
from delivery.asice import build_asice, read_asice
from delivery.config import FiksConfig
from delivery.crypto import decrypt, encrypt, load_certificate, load_private_key
from delivery.fiksio import FiksIOSender, IncomingMessage, Listener
from delivery.messages import NS_ARKIVMELDING, NS_FEILMELDING, NS_KVITTERING, NS_MDK, Schemas

XSI = "http://www.w3.org/2001/XMLSchema-instance"


def kvittering_xml(numbers: dict[str, int], *, system_id: str, mappe_system_id: str | None, existing: bool) -> bytes:
    """A kvittering valid against KS's XSD (saksmappeKvittering + journalpostKvittering)."""
    k = f"{{{NS_KVITTERING}}}"
    root = etree.Element(k + "arkivmeldingKvittering", nsmap={None: NS_KVITTERING, "xsi": XSI, "mdk": NS_MDK})
    state = "Eksisterende" if existing else "Opprettet"
    if mappe_system_id is not None:
        mappe = etree.SubElement(root, k + "mappeKvittering", {f"{{{XSI}}}type": "saksmappeKvittering"})
        etree.SubElement(mappe, k + "systemID").text = mappe_system_id
        etree.SubElement(mappe, k + "opprettetEllerEksisterende").text = state
        etree.SubElement(mappe, k + "saksaar").text = str(numbers["saksaar"])
        etree.SubElement(mappe, k + "sakssekvensnummer").text = str(numbers["sakssekvensnummer"])
    reg = etree.SubElement(root, k + "registreringKvittering", {f"{{{XSI}}}type": "journalpostKvittering"})
    etree.SubElement(reg, k + "systemID").text = system_id
    etree.SubElement(reg, k + "opprettetEllerEksisterende").text = state
    etree.SubElement(reg, k + "journalaar").text = str(numbers["journalaar"])
    etree.SubElement(reg, k + "journalsekvensnummer").text = str(numbers["journalsekvensnummer"])
    etree.SubElement(reg, k + "journalpostnummer").text = str(numbers["journalpostnummer"])
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def feilmelding_xml(message_type: str, feil_id: str, text: str) -> bytes:
    ns = messages.NS_FEIL[message_type]
    root = etree.Element(f"{{{ns}}}{message_type.rsplit('.', 1)[-1]}", nsmap={None: ns, "f": NS_FEILMELDING})
    etree.SubElement(root, f"{{{NS_FEILMELDING}}}feilId").text = feil_id
    etree.SubElement(root, f"{{{NS_FEILMELDING}}}feilmelding").text = text
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


@dataclass
class Behaviour:
    """How the next answers go wrong (each flag is used up by one message unless noted)."""

    drop_kvittering: int = 0  # answer mottatt, never the kvittering
    duplicate_kvittering: int = 0  # send the kvittering twice
    before_kvittering: Callable[[], None] | None = None  # called between mottatt and kvittering (every message)
    serverfeil: int = 0


@dataclass
class ArchiveStandIn:
    config: FiksConfig  # the archive's own account: receiver_account is the sender it answers
    schemas: Schemas
    behaviour: Behaviour = field(default_factory=Behaviour)
    received: list[str] = field(default_factory=list)  # message ids taken in
    journal: dict[str, dict[str, int]] = field(default_factory=dict)  # ekstern nøkkel → numbers
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._key = load_private_key(self.config.private_key)
        self._sender = FiksIOSender(self.config)
        path = self.config.receiver_certificate  # unset: from the catalogue, as a real archive does
        self._sender_certificate = (
            load_certificate(path) if path else self._sender.public_certificate(self.config.receiver_account)
        )
        self._listener = Listener(self.config, poll=0.1)
        self._sequence = itertools.count(101)
        self._cases = itertools.count(1)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._busy = False
        self._last = 0.0

    def start(self) -> ArchiveStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        self._sender.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listener.run(self.handle, done=self._stop.is_set, timeout=3600)
            except Exception as exc:  # keep serving; the test sees errors
                self.errors.append(f"{type(exc).__name__}: {exc}")
                self._stop.wait(0.5)

    def _answer(self, message: IncomingMessage, message_type: str, files: dict[str, bytes] | None) -> None:
        payload = None
        if files:
            container = build_asice({name: (data, "application/xml") for name, data in files.items()})
            payload = encrypt(container, self._sender_certificate)
        self._sender.send(message_type, payload, mottaker=UUID(message.avsender), svar_paa=message.melding_id)

    def idle(self, quiet: float = 0.5, timeout: float = 60.0) -> None:
        """Wait until no message has been handled for ``quiet`` seconds (answers of a test are all out)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._busy and time.monotonic() - self._last >= quiet:
                return
            time.sleep(0.05)

    def handle(self, message: IncomingMessage) -> None:
        self._busy = True
        try:
            self._handle(message)
        finally:
            self._busy = False
            self._last = time.monotonic()

    def _handle(self, message: IncomingMessage) -> None:
        self.received.append(message.melding_id)
        if message.problem or message.melding_type != messages.OPPRETT:
            self.errors.append(f"ignorerte {message.melding_type}: {message.problem}")
            return
        try:
            container = read_asice(decrypt(message.body, self._key), max_bytes=self.config.max_message_bytes)
            arkivmelding = container.get(messages.ARKIVMELDING_FILE)
            root = self.schemas.validate(messages.OPPRETT, arkivmelding)
            wanted = [n.text for n in root.iter(f"{{{NS_ARKIVMELDING}}}referanseDokumentfil")]
            missing = [name for name in wanted if name not in container.files]
            if missing:
                raise ValueError(f"dokumentfiler mangler i meldingen: {', '.join(map(str, missing))}")
            antall = int(root.findtext(f"{{{NS_ARKIVMELDING}}}antallFiler") or "0")
            if antall != len(container.files) - 1:
                raise ValueError(f"antallFiler er {antall}, meldingen har {len(container.files) - 1} filer")
        except Exception as exc:  # any invalid message: ugyldigforespoersel
            self._answer(
                message,
                messages.FEIL_UGYLDIG,
                {messages.FEILMELDING_FILE: feilmelding_xml(messages.FEIL_UGYLDIG, str(uuid.uuid4()), str(exc))},
            )
            return
        self._answer(message, messages.MOTTATT, None)
        if self.behaviour.serverfeil:
            self.behaviour.serverfeil -= 1
            self._answer(
                message,
                messages.FEIL_SERVER,
                {messages.FEILMELDING_FILE: feilmelding_xml(messages.FEIL_SERVER, "srv-1", "Databasen er nede")},
            )
            return
        if self.behaviour.before_kvittering is not None:
            self.behaviour.before_kvittering()
        if self.behaviour.drop_kvittering:
            self.behaviour.drop_kvittering -= 1
            return
        registrering = root.find(f"{{{NS_ARKIVMELDING}}}registrering")
        key = registrering.findtext(f"{{{NS_ARKIVMELDING}}}referanseEksternNoekkel/{{{NS_MDK}}}noekkel") or ""
        existing = key in self.journal
        if not existing:
            numbers = {"journalaar": 2026, "journalsekvensnummer": next(self._sequence)}
            numbers["journalpostnummer"] = 1
            saksnummer = registrering.find(f"{{{NS_ARKIVMELDING}}}referanseForelderMappe/{{{NS_MDK}}}saksnummer")
            if saksnummer is not None:
                numbers["saksaar"] = int(saksnummer.findtext(f"{{{NS_MDK}}}saksaar") or 0)
                numbers["sakssekvensnummer"] = int(saksnummer.findtext(f"{{{NS_MDK}}}sakssekvensnummer") or 0)
            else:
                numbers["saksaar"], numbers["sakssekvensnummer"] = 2026, 500 + next(self._cases)
            self.journal[key] = numbers
        numbers = self.journal[key]
        xml = kvittering_xml(
            numbers,
            system_id=str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
            mappe_system_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"sak-{key}")),
            existing=existing,
        )
        times = 2 if self.behaviour.duplicate_kvittering else 1
        if self.behaviour.duplicate_kvittering:
            self.behaviour.duplicate_kvittering -= 1
        for _ in range(times):
            self._answer(message, messages.KVITTERING, {messages.KVITTERING_FILE: xml})
