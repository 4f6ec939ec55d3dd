"""Per-package Noark metadata: arkivstruktur.xml and arkivmelding.xml from one thread."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from noark import codes
from noark.ids import journalpost_system_id
from noark.mapping import package_metadata
from noark.testing import FAKE_PNG, sample_context, sample_flag, sample_thread, write_package
from noark.xsd import validate_xml
from schemas.package import PackageFile
from schemas.thread import FlagKind

N5 = {"n": "http://www.arkivverket.no/standarder/noark5/arkivstruktur"}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
EXPORTED = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def package(tmp_path: Path):
    ctx = sample_context()
    thread = sample_thread(screenshot_sha256=hashlib.sha256(FAKE_PNG).hexdigest())
    manifest = write_package(tmp_path, thread, sample_flag(thread), exported_at=EXPORTED, ctx=ctx, with_screenshot=True)
    return tmp_path / manifest.package_id, manifest, thread


def _tree(folder: Path) -> etree._ElementTree:
    return etree.parse(str(folder / "arkivstruktur.xml"))


def test_arkivstruktur_is_valid_against_the_official_xsd(package, xsd_dir):
    folder, _, _ = package
    assert validate_xml(folder / "arkivstruktur.xml", "arkivstruktur", xsd_dir) == []


def test_arkivmelding_is_valid_against_fiks_arkiv(package, xsd_dir):
    folder, _, _ = package
    assert validate_xml(folder / "arkivmelding.xml", "arkivmelding", xsd_dir) == []


@pytest.mark.parametrize("flag_args", [None, {"case_number": None}, {"kind": FlagKind.ARCHIVE_WORTHY}])
def test_variants_without_case_or_flag_are_valid(tmp_path, xsd_dir, flag_args):
    thread = sample_thread()
    flag = None if flag_args is None else sample_flag(thread, **flag_args)
    manifest = write_package(tmp_path, thread, flag, exported_at=EXPORTED, ctx=sample_context())
    folder = tmp_path / manifest.package_id
    assert validate_xml(folder / "arkivstruktur.xml", "arkivstruktur", xsd_dir) == []
    assert validate_xml(folder / "arkivmelding.xml", "arkivmelding", xsd_dir) == []
    mappe = _tree(folder).find(".//n:mappe", N5)
    # journal-required (the sample flag's kind) opens a saksmappe even without a case number
    assert (mappe.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "saksmappe") == (
        flag is not None and (flag.case_number is not None or flag.kind == FlagKind.JOURNAL_REQUIRED)
    )


def test_journal_required_without_case_opens_a_provisional_saksmappe(tmp_path, xsd_dir):
    thread = sample_thread()
    flag = sample_flag(thread, case_number=None, case_title="Innspill til kommuneplanen")
    manifest = write_package(tmp_path, thread, flag, exported_at=EXPORTED, ctx=sample_context())
    folder = tmp_path / manifest.package_id
    assert validate_xml(folder / "arkivstruktur.xml", "arkivstruktur", xsd_dir) == []
    assert validate_xml(folder / "arkivmelding.xml", "arkivmelding", xsd_dir) == []
    mappe = _tree(folder).find(".//n:mappe", N5)
    assert mappe.get(XSI_TYPE) == "saksmappe"
    assert mappe.findtext("n:tittel", namespaces=N5) == "Innspill til kommuneplanen"
    assert mappe.findtext("n:beskrivelse", namespaces=N5) == codes.FORELOEPIG_SAKSNUMMER  # the marker
    assert (mappe.findtext("n:saksaar", namespaces=N5), mappe.findtext("n:sakssekvensnummer", namespaces=N5)) == (
        "2026",
        "1",
    )
    melding = etree.parse(str(folder / "arkivmelding.xml"))
    am = {"a": "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1"}
    created = melding.find("a:mappe", am)
    assert created.get(XSI_TYPE) == "saksmappe"
    assert created.find("a:saksaar", am) is None and created.find("a:sakssekvensnummer", am) is None
    assert created.findtext("a:tittel", namespaces=am) == "Innspill til kommuneplanen"
    assert melding.find("a:registrering/a:referanseForelderMappe/*", am).tag.endswith("referanseEksternNoekkel")


def test_archive_worthy_without_case_stays_a_plain_mappe(tmp_path):
    thread = sample_thread()
    flag = sample_flag(thread, kind=FlagKind.ARCHIVE_WORTHY, case_number=None)
    manifest = write_package(tmp_path, thread, flag, exported_at=EXPORTED, ctx=sample_context())
    mappe = _tree(tmp_path / manifest.package_id).find(".//n:mappe", N5)
    assert mappe.get(XSI_TYPE) is None and mappe.find("n:beskrivelse", N5) is None


def test_checksums_and_sizes_match_the_files(package):
    folder, _, _ = package
    objects = _tree(folder).findall(".//n:dokumentobjekt", N5)
    assert len(objects) == 2
    for obj in objects:
        data = (folder / obj.findtext("n:referanseDokumentfil", namespaces=N5)).read_bytes()
        assert obj.findtext("n:sjekksum", namespaces=N5) == hashlib.sha256(data).hexdigest()
        assert int(obj.findtext("n:filstoerrelse", namespaces=N5)) == len(data)
        assert obj.findtext("n:sjekksumAlgoritme", namespaces=N5) == "SHA256"


def test_code_values_and_case_number(package):
    folder, manifest, thread = package
    tree = _tree(folder)
    jp = tree.find(".//n:registrering", N5)
    assert jp.findtext("n:systemID", namespaces=N5) == journalpost_system_id(thread.platform, thread.thread_id)
    assert jp.findtext("n:journalposttype", namespaces=N5) == "Inngående dokument"
    assert jp.findtext("n:journalstatus", namespaces=N5) == "Journalført"
    assert jp.findtext("n:journaldato", namespaces=N5) == "2026-03-05"
    assert jp.findtext("n:dokumentetsDato", namespaces=N5) == "2026-03-02"
    roles = [d.findtext("n:tilknyttetRegistreringSom", namespaces=N5) for d in jp.findall("n:dokumentbeskrivelse", N5)]
    assert roles == ["Hoveddokument", "Vedlegg"]
    main = jp.find("n:dokumentbeskrivelse/n:dokumentobjekt", N5)
    assert main.findtext("n:variantformat", namespaces=N5) == "Arkivformat"
    assert main.findtext("n:format", namespaces=N5) == "fmt/477"
    assert main.findtext("n:referanseDokumentfil", namespaces=N5) == f"DOKUMENT/{manifest.package_id}.pdf"
    assert tree.findtext(".//n:mappe/n:saksaar", namespaces=N5) == "2026"
    assert tree.findtext(".//n:mappe/n:sakssekvensnummer", namespaces=N5) == "1042"
    assert tree.findtext(".//n:mappe/n:mappeID", namespaces=N5) == "2026/1042"


def test_sensitive_removal_screenshot_is_skjermet(package):
    folder, _, _ = package
    docs = _tree(folder).findall(".//n:dokumentbeskrivelse", N5)
    assert docs[0].find("n:skjerming", N5) is None
    assert docs[1].findtext("n:skjerming/n:skjermingDokument", namespaces=N5) == codes.SKJERMING_HELE_DOKUMENTET


def test_system_ids_are_stable_across_re_exports(tmp_path):
    ctx, thread = sample_context(), sample_thread()
    files = [
        PackageFile(path="DOKUMENT/x.pdf", size=3, sha256="a" * 64, role="hoveddokument", mime_type="application/pdf")
    ]
    first = package_metadata(thread, None, files, capture_sha256="b" * 64, exported_at=EXPORTED, ctx=ctx)
    later = package_metadata(
        thread, None, files, capture_sha256="c" * 64, exported_at=datetime(2026, 4, 1, tzinfo=UTC), ctx=ctx
    )

    def ids(xml: bytes) -> list[str]:
        return etree.fromstring(xml).xpath("//n:systemID/text()", namespaces=N5)

    assert ids(first["arkivstruktur.xml"]) == ids(later["arkivstruktur.xml"])
    assert len(set(ids(first["arkivstruktur.xml"]))) == 6  # arkiv, arkivdel, mappe, journalpost, dokbeskr., dokobj.


def test_missing_hoveddokument_is_an_error():
    with pytest.raises(ValueError, match="hoveddokument"):
        package_metadata(sample_thread(), None, [], capture_sha256="b" * 64, exported_at=EXPORTED, ctx=sample_context())


def test_naive_export_time_is_rejected():
    with pytest.raises(ValueError, match="timezone"):
        package_metadata(
            sample_thread(), None, [], capture_sha256="b" * 64, exported_at=datetime(2026, 3, 5), ctx=sample_context()
        )
