"""Noark 5 code values, spelled exactly as the v5.0 metadatakatalog (vedlegg 1) spells them.

The v5.0 XSDs type these fields as free strings; the obligatory values below come from the metadatakatalog
text (M050-M089, M217, M700). ``format`` (M701) takes PRONOM identifiers, as the catalogue prescribes.
"""

from __future__ import annotations

# M050 arkivstatus
ARKIVSTATUS_OPPRETTET = "Opprettet"
ARKIVSTATUS_AVSLUTTET = "Avsluttet"

# M051 arkivdelstatus (an arkivdel that is delivered has "Avsluttet periode")
ARKIVDELSTATUS_AKTIV = "Aktiv periode"
ARKIVDELSTATUS_AVSLUTTET = "Avsluttet periode"

# M052 saksstatus
SAKSSTATUS_UNDER_BEHANDLING = "Under behandling"
SAKSSTATUS_AVSLUTTET = "Avsluttet"

# Marker (mappe beskrivelse) of a saksmappe opened from a journal-required flag without a case number.
FORELOEPIG_SAKSNUMMER = (
    "Ny sak opprettet fra flagget. Saksaar/sakssekvensnummer er foreløpige: endelig saksnummer tildeles av "
    "mottakende arkiv (arkivmelding) eller ved uttrekk."
)

# M053 journalstatus (a delivered journalpost has "Arkivert" or "Utgår")
JOURNALSTATUS_JOURNALFOERT = "Journalført"
JOURNALSTATUS_EKSPEDERT = "Ekspedert"
JOURNALSTATUS_ARKIVERT = "Arkivert"
JOURNALSTATUS_UTGAAR = "Utgår"

# M054 dokumentstatus
DOKUMENTSTATUS_FERDIGSTILT = "Dokumentet er ferdigstilt"

# M082 journalposttype
JOURNALPOSTTYPE_INNGAAENDE = "Inngående dokument"
JOURNALPOSTTYPE_UTGAAENDE = "Utgående dokument"
JOURNALPOSTTYPE_ORGANINTERNT_FOR_OPPFOELGING = "Organinternt dokument for oppfølging"
JOURNALPOSTTYPE_ORGANINTERNT_UTEN_OPPFOELGING = "Organinternt dokument uten oppfølging"

# M083 dokumenttype (no obligatory values; ours)
DOKUMENTTYPE_HOVEDDOKUMENT = "Dialog i sosiale medier"
DOKUMENTTYPE_SKJERMBILDE = "Skjermbilde"
DOKUMENTTYPE_MEDIA = "Originalt medieinnhold"

# M087 korrespondanseparttype
KORRESPONDANSEPART_AVSENDER = "Avsender"
KORRESPONDANSEPART_MOTTAKER = "Mottaker"
KORRESPONDANSEPART_INTERN_AVSENDER = "Intern avsender"
KORRESPONDANSEPART_INTERN_MOTTAKER = "Intern mottaker"

# M217 tilknyttetRegistreringSom
TILKNYTTET_HOVEDDOKUMENT = "Hoveddokument"
TILKNYTTET_VEDLEGG = "Vedlegg"

# M300 dokumentmedium
DOKUMENTMEDIUM_ELEKTRONISK = "Elektronisk arkiv"

# M700 variantformat
VARIANTFORMAT_PRODUKSJONSFORMAT = "Produksjonsformat"
VARIANTFORMAT_ARKIVFORMAT = "Arkivformat"
VARIANTFORMAT_SKJERMET = "Dokument hvor deler av innholdet er skjermet"  # the redacted (public) variant

# M706 sjekksumAlgoritme
SJEKKSUM_ALGORITME = "SHA256"

# M701 format: PRONOM ids. PDF/A conformance level b is what the PDF exporter produces.
PRONOM_PDFA = {"1": "fmt/354", "2": "fmt/477"}  # PDF/A-1b, PDF/A-2b
PDFA_DETAILS = {"1": "PDF/A-1b (ISO 19005-1:2005)", "2": "PDF/A-2b (ISO 19005-2:2011)"}
PRONOM_BY_MIME = {  # PDF is PRONOM_PDFA's, by PDF/A part
    "image/png": "fmt/13",  # PNG 1.2
    "image/jpeg": "fmt/43",  # JPEG File Interchange Format 1.01
    "image/tiff": "fmt/353",  # TIFF
    "video/mp4": "fmt/199",  # MPEG-4 Media File
    "audio/mpeg": "fmt/134",  # MPEG 1/2 Audio Layer 3
    "text/plain": "x-fmt/111",  # Plain text
    "application/xml": "fmt/101",  # XML 1.0
    "application/json": "fmt/817",  # JSON
}
# Formats that Riksarkivarens forskrift (§ 5-17) accepts for deposit: these files are "Arkivformat".
ARCHIVAL_MIME_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/tiff",
        "video/mp4",
        "audio/mpeg",
        "text/plain",
        "application/xml",
    }
)

# Skjerming defaults for removed content with personal data (offentleglova § 13, jf. forvaltningsloven § 13).
TILGANGSRESTRIKSJON_TAUSHETSPLIKT = "13"
SKJERMINGSHJEMMEL_PERSONOPPLYSNINGER = "Offl. § 13, jf. fvl. § 13 første ledd nr. 1"
SKJERMING_HELE_DOKUMENTET = "Hele dokumentet"
SKJERMING_DELER_AV_DOKUMENTET = "Deler av dokumentet"
SKJERMET_TEKST = "******"  # what replaces a hidden value in offentlig journal (M025)


def pronom_format(mime_type: str, *, pdfa_part: str = "2") -> str:
    """The M701 format value for a file: its PRONOM id, or the MIME type when PRONOM has none we know."""
    if mime_type == "application/pdf":
        return PRONOM_PDFA.get(pdfa_part, PRONOM_PDFA["2"])
    return PRONOM_BY_MIME.get(mime_type, mime_type)


def variantformat_for(mime_type: str) -> str:
    """Arkivformat for deposit formats, otherwise Produksjonsformat."""
    return VARIANTFORMAT_ARKIVFORMAT if mime_type in ARCHIVAL_MIME_TYPES else VARIANTFORMAT_PRODUKSJONSFORMAT

# merknadstype (M084) for what a re-capture observed; free text in v5.0, a kode/beskrivelse pair in Fiks Arkiv.
MERKNADSTYPE_FJERNET = "Fjernet fra plattformen"
MERKNADSTYPE_ENDRET = "Endret på plattformen"
MERKNADSTYPE_FULLSTENDIGHET = "Fullstendighet"
MERKNAD_KODER = {MERKNADSTYPE_FJERNET: "FJ", MERKNADSTYPE_ENDRET: "EN", MERKNADSTYPE_FULLSTENDIGHET: "FU"}
