"""Fiks Arkiv v1 messages for creating a journalpost: the request and the answers to it.

The request ``no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett`` carries an ASiC-E with
``arkivmelding.xml`` and the documents it names. The archive answers with ``…opprett.mottatt`` (no payload),
then ``…opprett.kvittering`` (``arkivmelding-kvittering.xml``: the numbers it assigned) or one of the
``no.ks.fiks.arkiv.v1.feilmelding.*`` messages (``feilId`` + ``feilmelding``). Every XML payload is validated
against KS's XSD (folder ``fiks-arkiv-v1`` of the official schemas, passed in) before it is believed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lxml import etree

from schemas.errors import ConfigError, DeliveryError

OPPRETT = "no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett"
MOTTATT = f"{OPPRETT}.mottatt"
KVITTERING = f"{OPPRETT}.kvittering"
FEIL_UGYLDIG = "no.ks.fiks.arkiv.v1.feilmelding.ugyldigforespoersel"
FEIL_SERVER = "no.ks.fiks.arkiv.v1.feilmelding.serverfeil"
FEIL_IKKEFUNNET = "no.ks.fiks.arkiv.v1.feilmelding.ikkefunnet"
FEILMELDINGER = (FEIL_UGYLDIG, FEIL_SERVER, FEIL_IKKEFUNNET)
ANSWERS = (MOTTATT, KVITTERING, *FEILMELDINGER)

ARKIVMELDING_FILE = "arkivmelding.xml"
KVITTERING_FILE = "arkivmelding-kvittering.xml"
FEILMELDING_FILE = "feilmelding.xml"

NS_ARKIVMELDING = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1"
NS_KVITTERING = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/kvittering/v1"
NS_MDK = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/metadatakatalog/v1"
NS_FEILMELDING = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/feil/feilmelding/v1"
NS_FEIL = {
    FEIL_UGYLDIG: "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/feil/ugyldigforespoersel/v1",
    FEIL_SERVER: "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/feil/serverfeil/v1",
    FEIL_IKKEFUNNET: "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/feil/ikkefunnet/v1",
}
XSD_FOLDER = "fiks-arkiv-v1"
MAX_XML_BYTES = 10 << 20  # a receipt is a few kB; anything near this is hostile

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class MessageError(DeliveryError):
    """A Fiks Arkiv message is malformed, of an unexpected type or invalid against its XSD."""


class Schemas:
    """The Fiks Arkiv v1 XSDs a delivery needs, loaded once from ``<xsd_dir>/fiks-arkiv-v1``."""

    def __init__(self, xsd_dir: Path) -> None:
        folder = xsd_dir / XSD_FOLDER
        self._schemas: dict[str, etree.XMLSchema] = {}
        for message_type in (OPPRETT, KVITTERING, *FEILMELDINGER):
            path = folder / f"{message_type}.xsd"
            try:
                self._schemas[message_type] = etree.XMLSchema(etree.parse(str(path)))
            except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
                raise ConfigError(f"Fiks Arkiv-skjemaet {path} kan ikke lastes: {exc}") from exc

    def validate(self, message_type: str, data: bytes) -> etree._Element:
        """Parse ``data`` and validate it against the message type's XSD; the root element when valid."""
        if len(data) > MAX_XML_BYTES:
            raise MessageError(f"{message_type}: XML-en er {len(data)} byte, grensen er {MAX_XML_BYTES}")
        try:
            root = etree.fromstring(data, _PARSER)
        except etree.XMLSyntaxError as exc:
            raise MessageError(f"{message_type}: ikke gyldig XML: {exc}") from exc
        schema = self._schemas[message_type]
        if not schema.validate(root):
            errors = "; ".join(f"linje {e.line}: {e.message}" for e in list(schema.error_log)[:5])
            raise MessageError(f"{message_type}: følger ikke KS' skjema: {errors}")
        return root


@dataclass(frozen=True)
class AssignedNumbers:
    """What the archive assigned: journalår/sekvensnummer of the journalpost and the saksnummer."""

    journalaar: int | None = None
    journalsekvensnummer: int | None = None
    journalpostnummer: int | None = None
    saksaar: int | None = None
    sakssekvensnummer: int | None = None
    registrering_system_id: str | None = None
    mappe_system_id: str | None = None

    @property
    def journalnummer(self) -> str | None:
        """``2026/123`` style, as archive systems show it."""
        if self.journalaar is None or self.journalsekvensnummer is None:
            return None
        return f"{self.journalaar}/{self.journalsekvensnummer}"

    @property
    def saksnummer(self) -> str | None:
        if self.saksaar is None or self.sakssekvensnummer is None:
            return None
        return f"{self.saksaar}/{self.sakssekvensnummer}"


@dataclass(frozen=True)
class Kvittering:
    numbers: AssignedNumbers
    registrering_failed: str | None  # registreringFeilet: the archive refused the journalpost
    mappe_failed: str | None


@dataclass(frozen=True)
class Feilmelding:
    message_type: str
    feil_id: str
    melding: str

    @property
    def kind(self) -> Literal["ugyldigforespoersel", "serverfeil", "ikkefunnet"]:
        tail = self.message_type.rsplit(".", 1)[-1]
        return tail  # type: ignore[return-value]


def _int(node: etree._Element | None, name: str, ns: str = NS_KVITTERING) -> int | None:
    if node is None:
        return None
    value = node.findtext(f"{{{ns}}}{name}")
    return int(value) if value is not None and value.strip() else None


def _feil(node: etree._Element | None) -> str | None:
    if node is None:
        return None
    return f"{node.findtext(f'{{{NS_FEILMELDING}}}feilId')}: {node.findtext(f'{{{NS_FEILMELDING}}}feilmelding')}"


def parse_kvittering(data: bytes, schemas: Schemas) -> Kvittering:
    """The numbers of a valid ``arkivmelding-kvittering.xml``."""
    root = schemas.validate(KVITTERING, data)
    mappe = root.find(f"{{{NS_KVITTERING}}}mappeKvittering")
    reg = root.find(f"{{{NS_KVITTERING}}}registreringKvittering")
    numbers = AssignedNumbers(
        journalaar=_int(reg, "journalaar"),
        journalsekvensnummer=_int(reg, "journalsekvensnummer"),
        journalpostnummer=_int(reg, "journalpostnummer"),
        saksaar=_int(mappe, "saksaar"),
        sakssekvensnummer=_int(mappe, "sakssekvensnummer"),
        registrering_system_id=reg.findtext(f"{{{NS_KVITTERING}}}systemID") if reg is not None else None,
        mappe_system_id=mappe.findtext(f"{{{NS_KVITTERING}}}systemID") if mappe is not None else None,
    )
    return Kvittering(
        numbers=numbers,
        registrering_failed=_feil(root.find(f"{{{NS_KVITTERING}}}registreringFeilet")),
        mappe_failed=_feil(root.find(f"{{{NS_KVITTERING}}}mappeFeilet")),
    )


def parse_feilmelding(message_type: str, data: bytes, schemas: Schemas) -> Feilmelding:
    """``feilId`` and ``feilmelding`` of a valid error message."""
    if message_type not in FEILMELDINGER:
        raise MessageError(f"{message_type!r} er ikke en Fiks Arkiv-feilmelding")
    root = schemas.validate(message_type, data)
    return Feilmelding(
        message_type=message_type,
        feil_id=root.findtext(f"{{{NS_FEILMELDING}}}feilId") or "",
        melding=root.findtext(f"{{{NS_FEILMELDING}}}feilmelding") or "",
    )
