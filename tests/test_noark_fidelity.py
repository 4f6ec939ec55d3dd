"""Noark fidelity (issue 16): saksansvarlig is a person's name; threads that are not journaled are
registreringer, so arkivstruktur has exactly as many journalposter as the journals list."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from noark.mapping import arkivstruktur_bytes, build_mappe, build_registrering
from noark.model import Journalpost, Registrering
from noark.people import is_person_name, saksansvarlig_for
from noark.testing import sample_context, sample_flag, sample_thread, write_package
from noark.uttrekk import build_uttrekk
from noark.validate import validate_path
from noark.xsd import validate_xml
from schemas.package import PackageFile
from schemas.thread import FlagKind
from storage.local import LocalSink

N5 = {"n": "http://www.arkivverket.no/standarder/noark5/arkivstruktur"}
AM = {"a": "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1"}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
EXPORTED = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
MARCH = {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Kari Nordmann", True),
        ("Anne-Lise Ås", True),
        ("Kari", True),
        ("Per O. Hansen", True),
        ("kari@fjordvik.kommune.no", False),
        ("kari.nordmann", False),
        ("kari", False),
        ("u123", False),
        ("editor_7", False),
        ("Kari\u0000Nordmann", False),
        ("Kari \ud800", False),
        ("", False),
        ("   ", False),
        ("K" * 300, False),
    ],
)
def test_is_person_name(value, expected):
    assert is_person_name(value) is expected


def test_saksansvarlig_prefers_the_directory_then_a_name_then_the_fallback():
    ctx = replace(
        sample_context(),
        saksansvarlig_fallback="Arkivleder Fjordvik",
        display_names={"ingrid.moe@fjordvik.kommune.no": "Ingrid Moe", "bad@x.no": "also@an.email"},
    )
    assert saksansvarlig_for("ingrid.moe@fjordvik.kommune.no", ctx) == "Ingrid Moe"
    assert saksansvarlig_for("Kari Redaktør", ctx) == "Kari Redaktør"
    assert saksansvarlig_for("tone.ronning@fjordvik.kommune.no", ctx) == "Arkivleder Fjordvik"
    assert saksansvarlig_for("bad@x.no", ctx) == "Arkivleder Fjordvik"  # a directory entry that is no name
    assert saksansvarlig_for(None, ctx) == "Arkivleder Fjordvik"


def _package(root: Path, flag_args: dict | None, *, thread_id: str = "1", ctx=None, at: datetime = EXPORTED) -> Path:
    ctx = ctx or sample_context()
    thread = sample_thread(thread_id)
    flag = None if flag_args is None else sample_flag(thread, **flag_args)
    manifest = write_package(root, thread, flag, exported_at=at, ctx=ctx)
    return root / manifest.package_id


def test_saksmappe_never_holds_an_email(tmp_path, xsd_dir):
    ctx = replace(sample_context(), saksansvarlig_fallback="Ukjent redaktør")
    thread = sample_thread()
    flag = sample_flag(thread).model_copy(update={"flagged_by": "ingrid.moe@fjordvik.kommune.no"})
    folder = tmp_path / write_package(tmp_path, thread, flag, exported_at=EXPORTED, ctx=ctx).package_id
    tree = etree.parse(str(folder / "arkivstruktur.xml"))
    assert tree.findtext(".//n:saksansvarlig", namespaces=N5) == "Ukjent redaktør"
    melding = (folder / "arkivmelding.xml").read_text(encoding="utf-8")
    assert "@" not in melding and "@" not in (folder / "arkivstruktur.xml").read_text(encoding="utf-8")
    assert validate_path(folder, xsd_dir).ok


@pytest.mark.parametrize(
    "flag_args", [None, {"kind": FlagKind.ARCHIVE_WORTHY, "case_number": None}], ids=["no-flag", "archive-worthy"]
)
def test_a_thread_that_is_not_journaled_is_a_registrering(tmp_path, xsd_dir, flag_args):
    folder = _package(tmp_path, flag_args)
    assert validate_xml(folder / "arkivstruktur.xml", "arkivstruktur", xsd_dir) == []
    assert validate_xml(folder / "arkivmelding.xml", "arkivmelding", xsd_dir) == []
    registrering = etree.parse(str(folder / "arkivstruktur.xml")).find(".//n:registrering", N5)
    assert registrering.get(XSI_TYPE) == "registrering"
    assert registrering.find("n:journalaar", N5) is None and registrering.find("n:journalstatus", N5) is None
    assert registrering.findtext("n:korrespondansepart/n:korrespondanseparttype", namespaces=N5) == "Intern avsender"
    melding = etree.parse(str(folder / "arkivmelding.xml")).find("a:registrering", AM)
    assert melding.get(XSI_TYPE) == "registrering" and melding.find("a:journalposttype", AM) is None
    report = validate_path(folder, xsd_dir)
    assert report.ok and report.warnings == [], report.to_text()
    assert report.counts["journalpost"] == 0 and report.counts["registrering"] == 1


@pytest.mark.parametrize(
    "flag_args",
    [{}, {"case_number": None}, {"kind": FlagKind.ARCHIVE_WORTHY}],
    ids=["case", "new-case", "archive-worthy-with-case"],
)
def test_a_thread_in_a_saksmappe_is_a_journalpost(tmp_path, xsd_dir, flag_args):
    folder = _package(tmp_path, flag_args)
    registrering = etree.parse(str(folder / "arkivstruktur.xml")).find(".//n:registrering", N5)
    assert registrering.get(XSI_TYPE) == "journalpost"
    assert validate_xml(folder / "arkivmelding.xml", "arkivmelding", xsd_dir) == []
    assert etree.parse(str(folder / "arkivmelding.xml")).find("a:registrering", AM).get(XSI_TYPE) == "journalpost"


def test_build_registrering_types():
    thread, ctx = sample_thread(), sample_context()
    files = [
        PackageFile(path="DOKUMENT/x.pdf", size=1, sha256="a" * 64, role="hoveddokument", mime_type="application/pdf")
    ]
    kwargs = {"capture_sha256": "b" * 64, "exported_at": EXPORTED, "ctx": ctx}
    assert type(build_registrering(thread, None, files, **kwargs)) is Registrering
    assert type(build_registrering(thread, sample_flag(thread), files, **kwargs)) is Journalpost


def test_uttrekk_journalposter_equal_the_journal_entries(tmp_path, xsd_dir):
    root = tmp_path / "bucket"
    _package(root, {}, thread_id="1")  # case 2026/1042
    _package(root, {"case_number": None}, thread_id="2", at=datetime(2026, 3, 6, tzinfo=UTC))  # new case
    _package(root, None, thread_id="3", at=datetime(2026, 3, 7, tzinfo=UTC))  # not journaled
    _package(root, {"kind": FlagKind.ARCHIVE_WORTHY, "case_number": None}, thread_id="4")  # not journaled
    result = build_uttrekk(LocalSink(root), tmp_path / "u", ctx=sample_context(), xsd_dir=xsd_dir, **MARCH)
    assert result.report.ok and result.report.warnings == [], result.report.to_text()
    tree = etree.parse(str(result.out_dir / "arkivstruktur.xml"))
    journalposter = tree.xpath("//n:registrering[@xsi:type='journalpost']", namespaces=N5 | {"xsi": XSI_TYPE[1:42]})
    journal = etree.parse(str(result.out_dir / "loependeJournal.xml"))
    stated = journal.findtext(".//{*}antallJournalposter")
    assert len(journalposter) == int(stated) == len(journal.findall(".//{*}journalregistrering")) == 2
    assert result.report.counts["registrering"] == 4


def _legacy(root: Path, flag_args: dict | None, *, thread_id: str) -> Path:
    """A package as exported before this fix: a journalpost in a plain mappe, an e-mail as saksansvarlig."""
    folder = _package(root, flag_args, thread_id=thread_id)
    ctx, thread = sample_context(), sample_thread(thread_id)
    path = folder / "arkivstruktur.xml"
    if flag_args is None:  # archive-worthy, no case: the journalpost sat in a plain mappe
        files = [
            PackageFile(
                path=f"DOKUMENT/{folder.name}.pdf",
                size=obj_size,
                sha256=sha,
                role="hoveddokument",
                mime_type="application/pdf",
            )
            for obj_size, sha in _main_document(path)
        ]
        jp = build_registrering(
            thread, sample_flag(thread), files, capture_sha256="c" * 64, exported_at=EXPORTED, ctx=ctx
        )
        mappe = build_mappe(thread, None, exported_at=EXPORTED, ctx=ctx)
        path.write_bytes(arkivstruktur_bytes(mappe, jp, exported_at=EXPORTED, ctx=ctx))
    else:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("Kari Redaktør</saksansvarlig>", "kari@fjordvik.kommune.no</saksansvarlig>"))
    return folder


def _main_document(path: Path) -> list[tuple[int, str]]:
    obj = etree.parse(str(path)).find(".//n:dokumentobjekt", N5)
    return [(int(obj.findtext("n:filstoerrelse", namespaces=N5)), obj.findtext("n:sjekksum", namespaces=N5))]


def test_legacy_packages_are_corrected_in_the_uttrekk(tmp_path, xsd_dir):
    root = tmp_path / "bucket"
    legacy_plain = _legacy(root, None, thread_id="1")
    legacy_case = _legacy(root, {}, thread_id="2")
    before = validate_path(legacy_plain, xsd_dir)
    assert [f.rule for f in before.warnings] == ["journalpost-saksmappe"]
    assert validate_path(legacy_case, xsd_dir).rules() == {"saksansvarlig"}

    ctx = replace(sample_context(), saksansvarlig_fallback="Arkivleder Fjordvik")
    result = build_uttrekk(LocalSink(root), tmp_path / "u", ctx=ctx, xsd_dir=xsd_dir, **MARCH)
    assert result.report.ok and result.report.warnings == [], result.report.to_text()
    tree = etree.parse(str(result.out_dir / "arkivstruktur.xml"))
    assert sorted(r.get(XSI_TYPE) for r in tree.iterfind(".//n:registrering", N5)) == ["journalpost", "registrering"]
    assert tree.findtext(".//n:saksansvarlig", namespaces=N5) == "Arkivleder Fjordvik"
    assert "<saksansvarlig>Arkivleder Fjordvik</saksansvarlig>" in (result.out_dir / "offentligJournal.xml").read_text()
    log = (result.out_dir / "endringslogg.xml").read_text(encoding="utf-8")
    assert "<referanseMetadata>saksansvarlig</referanseMetadata>" in log


def test_uttrekk_without_any_case_has_no_journals_and_validates(tmp_path, xsd_dir):
    root = tmp_path / "bucket"
    _package(root, None, thread_id="1")
    _package(root, {"kind": FlagKind.ARCHIVE_WORTHY, "case_number": None}, thread_id="2")
    result = build_uttrekk(LocalSink(root), tmp_path / "u", ctx=sample_context(), xsd_dir=xsd_dir, **MARCH)
    assert result.report.ok, result.report.to_text()  # ADDML's 0 saksmappe/journalpost match arkivstruktur's
    assert not (result.out_dir / "loependeJournal.xml").exists()
    assert [(f.rule, f.severity) for f in result.warnings] == [("journal-reports-omitted", "warning")]
    assert "ikke skrevet" in result.warnings[0].message and result.warnings[0].where == str(result.out_dir)
