"""The Noark 5 domain model: plain frozen dataclasses, one per arkivenhet we produce.

Field names are the metadatakatalog's names in snake_case; the XML writers put them in XSD order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from noark import codes, ids
from schemas.thread import FlagKind

DEFAULT_JOURNALPOSTTYPE: Mapping[FlagKind, str] = {
    # Input from the public in a consultation or on a decision: a document received by the municipality.
    FlagKind.JOURNAL_REQUIRED: codes.JOURNALPOSTTYPE_INNGAAENDE,
    # Kept because it is worth archiving, not because it is case correspondence.
    FlagKind.ARCHIVE_WORTHY: codes.JOURNALPOSTTYPE_ORGANINTERNT_UTEN_OPPFOELGING,
}
DEFAULT_JOURNALSTATUS: Mapping[FlagKind, str] = {
    FlagKind.JOURNAL_REQUIRED: codes.JOURNALSTATUS_JOURNALFOERT,
    FlagKind.ARCHIVE_WORTHY: codes.JOURNALSTATUS_ARKIVERT,
}


DEFAULT_SAKSANSVARLIG = "Ukjent saksbehandler"


@dataclass(frozen=True)
class NoarkContext:
    """Identity of this archive and the code values we choose; built at the edge from the settings."""

    arkiv_title: str
    arkivdel_title: str
    municipality: str
    system_name: str
    archivist: str
    arkivskaper_id: str | None = None  # organisation number when known; defaults to the municipality name
    pdfa_part: str = "2"
    journalposttype: Mapping[FlagKind, str] = field(default_factory=lambda: dict(DEFAULT_JOURNALPOSTTYPE))
    journalstatus: Mapping[FlagKind, str] = field(default_factory=lambda: dict(DEFAULT_JOURNALSTATUS))
    default_flag_kind: FlagKind = FlagKind.ARCHIVE_WORTHY  # for a thread exported without a flag
    tilgangsrestriksjon: str = codes.TILGANGSRESTRIKSJON_TAUSHETSPLIKT
    skjermingshjemmel: str = codes.SKJERMINGSHJEMMEL_PERSONOPPLYSNINGER
    # saksansvarlig (M306) is a person's name: the flagging editor's display name from the user directory
    # (display_names: user id or e-mail → name); when only an e-mail or a user id is known, this name instead.
    saksansvarlig_fallback: str = DEFAULT_SAKSANSVARLIG
    display_names: Mapping[str, str] = field(default_factory=dict)
    # The account's own target from the accounts registry (``with_target``): arkivmelding then names the
    # arkivdel (mappe.arkivdel) and the series (mappe.klassifikasjon); None: the settings' arkivdel only.
    arkivdel_code: str | None = None
    series: str | None = None

    @property
    def arkiv_system_id(self) -> str:
        return ids.arkiv_system_id(self.municipality, self.arkiv_title)

    @property
    def arkivdel_system_id(self) -> str:
        return ids.arkivdel_system_id(self.municipality, self.arkiv_title, self.arkivdel_title)

    @property
    def arkivskaper(self) -> str:
        return self.arkivskaper_id or self.municipality


SERIES_SYSTEM = "somearkiv-serie"  # klassifikasjonssystemID of the series a registry account names


def with_target(ctx: NoarkContext, arkivdel: str | None, series: str | None = None) -> NoarkContext:
    """``ctx`` for one account's thread: the account's arkivdel (arkivstruktur's arkivdel title and systemID,
    arkivmelding's mappe.arkivdel) and series; ``ctx`` itself when the account names no arkivdel."""
    if not arkivdel or not arkivdel.strip():
        return ctx
    return replace(ctx, arkivdel_title=arkivdel.strip(), arkivdel_code=arkivdel.strip(),
                   series=series.strip() if series and series.strip() else None)


NoarkTargets = Mapping[tuple[str, str], tuple[str, str | None]]
"""(platform, account id) → (arkivdel, series), from the accounts registry."""


def context_for(ctx: NoarkContext, targets: NoarkTargets, platform: str, account_id: str) -> NoarkContext:
    """``ctx`` for a thread of this account: its registry target applied, else ``ctx`` itself."""
    target = targets.get((platform, account_id))
    return with_target(ctx, *target) if target else ctx


@dataclass(frozen=True)
class Skjerming:
    tilgangsrestriksjon: str
    skjermingshjemmel: str
    skjerming_metadata: tuple[str, ...]
    skjerming_dokument: str | None = None


@dataclass(frozen=True)
class Korrespondansepart:
    korrespondanseparttype: str
    korrespondansepart_navn: str
    administrativ_enhet: str | None = None


@dataclass(frozen=True)
class Dokumentobjekt:
    system_id: str
    versjonsnummer: int
    variantformat: str
    format: str
    format_detaljer: str | None
    opprettet_dato: datetime
    opprettet_av: str
    referanse_dokumentfil: str
    sjekksum: str
    sjekksum_algoritme: str
    filstoerrelse: int


@dataclass(frozen=True)
class Dokumentbeskrivelse:
    system_id: str
    dokumenttype: str
    dokumentstatus: str
    tittel: str
    opprettet_dato: datetime
    opprettet_av: str
    tilknyttet_registrering_som: str
    dokumentnummer: int
    tilknyttet_dato: datetime
    tilknyttet_av: str
    dokumentobjekter: tuple[Dokumentobjekt, ...]
    forfatter: str | None = None
    skjerming: Skjerming | None = None


@dataclass(frozen=True)
class Merknad:
    """A note on a registrering (M310 merknadstekst, M084 merknadstype, M611 merknadsdato, M612 registrert av).

    ``kode`` is the short code the Fiks arkivmelding carries for ``merknadstype`` (a kode/beskrivelse pair)."""

    merknadstekst: str
    merknadstype: str
    kode: str
    merknadsdato: datetime
    merknad_registrert_av: str


@dataclass(frozen=True, kw_only=True)
class Registrering:
    """A registrering that is not journaled (``xsi:type="registrering"``): an archive-worthy thread outside a case."""

    system_id: str
    opprettet_dato: datetime
    opprettet_av: str
    arkivert_dato: datetime
    arkivert_av: str
    dokumentbeskrivelser: tuple[Dokumentbeskrivelse, ...]
    tittel: str
    offentlig_tittel: str | None
    beskrivelse: str | None
    forfatter: str | None
    korrespondanseparter: tuple[Korrespondansepart, ...]
    skjerming: Skjerming | None = None
    merknader: tuple[Merknad, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Journalpost(Registrering):
    """A journaled registrering (``xsi:type="journalpost"``): a thread in a saksmappe."""

    journalaar: int
    journalsekvensnummer: int
    journalpostnummer: int
    journalposttype: str
    journalstatus: str
    journaldato: date
    dokumentets_dato: date | None
    mottatt_dato: datetime | None
    antall_vedlegg: int


@dataclass(frozen=True)
class Saksfelter:
    """The saksmappe extension of a mappe (written after its registreringer, as the XSD orders it)."""

    saksaar: int
    sakssekvensnummer: int
    saksdato: date
    administrativ_enhet: str
    saksansvarlig: str
    saksstatus: str
    # A new case opened from a journal-required flag without a case number: saksaar/sakssekvensnummer are
    # placeholders. The uttrekk assigns final numbers; the arkivmelding leaves them to the receiving archive.
    provisional: bool = False


@dataclass(frozen=True)
class Mappe:
    system_id: str
    mappe_id: str
    tittel: str
    offentlig_tittel: str | None
    opprettet_dato: datetime
    opprettet_av: str
    avsluttet_dato: datetime
    avsluttet_av: str
    saksmappe: Saksfelter | None = None
    beskrivelse: str | None = None
