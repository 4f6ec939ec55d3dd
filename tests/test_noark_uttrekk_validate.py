"""Uttrekk building and validation, with one deliberately broken package/uttrekk per rule."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from noark.testing import FAKE_PDF, FAKE_PNG, sample_context, sample_flag, sample_thread, write_package
from noark.uttrekk import UttrekkError, build_uttrekk
from noark.validate import validate_path
from noark.xsd import validate_xml
from storage.local import LocalSink

N5 = {"n": "http://www.arkivverket.no/standarder/noark5/arkivstruktur"}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
MARCH = {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)}


def _at(day: int) -> datetime:
    return datetime(2026, 3, day, 12, 0, tzinfo=UTC)


@pytest.fixture
def bucket(tmp_path: Path) -> Path:
    """Four complete packages: two threads in case 2026/1042 (one with a skjermet screenshot), one thread
    without a case exported twice (the second version supersedes the first), one outside March."""
    root, ctx = tmp_path / "bucket", sample_context()
    t1 = sample_thread("1", screenshot_sha256=hashlib.sha256(FAKE_PNG).hexdigest())
    t2, t3, t4 = sample_thread("2"), sample_thread("3"), sample_thread("4")
    write_package(root, t1, sample_flag(t1), exported_at=_at(5), ctx=ctx, with_screenshot=True)
    write_package(root, t2, sample_flag(t2), exported_at=_at(6), ctx=ctx)
    write_package(root, t3, None, exported_at=_at(7), ctx=ctx)
    write_package(
        root,
        t3.model_copy(update={"title": "Oppdatert tittel"}),
        None,
        exported_at=_at(8),
        ctx=ctx,
        pdf_bytes=FAKE_PDF + b"v2",
    )
    write_package(root, t4, None, exported_at=datetime(2026, 4, 2, tzinfo=UTC), ctx=ctx)
    return root


@pytest.fixture
def uttrekk(bucket: Path, tmp_path: Path, xsd_dir: Path):
    return build_uttrekk(
        LocalSink(bucket),
        tmp_path / "uttrekk",
        ctx=sample_context(),
        xsd_dir=xsd_dir,
        now=datetime(2026, 4, 10, tzinfo=UTC),
        **MARCH,
    )


@pytest.fixture
def package(bucket: Path, tmp_path: Path) -> Path:
    source = next(p for p in sorted(bucket.iterdir()) if (p / "DOKUMENT" / "vedlegg-shot1.png").exists())
    return Path(shutil.copytree(source, tmp_path / "package"))


def test_valid_uttrekk_passes_every_check(uttrekk, xsd_dir):
    out = uttrekk.out_dir
    assert uttrekk.report.ok, uttrekk.report.to_text()
    assert uttrekk.report.warnings == []
    assert (uttrekk.journalposter, uttrekk.mapper, uttrekk.dokumentfiler) == (3, 2, 4)
    for name, schema in [
        ("arkivstruktur.xml", "arkivstruktur"),
        ("loependeJournal.xml", "loependeJournal"),
        ("offentligJournal.xml", "offentligJournal"),
        ("endringslogg.xml", "endringslogg"),
        ("arkivuttrekk.xml", "addml"),
    ]:
        assert validate_xml(out / name, schema, xsd_dir) == [], name
    for xsd in ("arkivstruktur.xsd", "metadatakatalog.xsd", "addml.xsd"):
        assert (out / xsd).is_file()


def test_uttrekk_numbers_journal_and_takes_latest_version(uttrekk):
    tree = etree.parse(str(uttrekk.out_dir / "arkivstruktur.xml"))
    # the two threads of case 2026/1042 are journaled; the archive-worthy thread without a case is not
    assert tree.xpath("//n:journalsekvensnummer/text()", namespaces=N5) == ["1", "2"]
    assert tree.xpath("//n:journalstatus/text()", namespaces=N5) == ["Arkivert"] * 2
    assert [r.get(XSI_TYPE) for r in tree.iterfind(".//n:registrering", N5)] == [
        "journalpost",
        "journalpost",
        "registrering",
    ]
    assert "Oppdatert tittel" in tree.xpath("//n:registrering/n:tittel/text()", namespaces=N5)
    log = (uttrekk.out_dir / "endringslogg.xml").read_text()
    assert "<referanseMetadata>sjekksum</referanseMetadata>" in log  # the re-exported thread's new PDF
    assert "<nyVerdi>Avsluttet periode</nyVerdi>" in log


def test_offentlig_journal_hides_skjermet_names(uttrekk):
    public = (uttrekk.out_dir / "offentligJournal.xml").read_text()
    assert "<korrespondansepartNavn>******</korrespondansepartNavn>" in public
    assert "Deltakere på Facebook (3)" not in public  # the skjermet thread's avsender
    assert "<tittel>" not in public


def test_status_filter_uses_the_review_hook(bucket, tmp_path, xsd_dir):
    approved = {p.name for p in bucket.iterdir() if p.name.startswith("facebook-1-")}
    result = build_uttrekk(
        LocalSink(bucket),
        tmp_path / "u",
        ctx=sample_context(),
        xsd_dir=xsd_dir,
        status="approved",
        status_of=lambda pid: "approved" if pid in approved else "new",
        **MARCH,
    )
    assert result.journalposter == 1 and result.report.ok, result.report.to_text()
    with pytest.raises(ValueError, match="status_of"):
        build_uttrekk(
            LocalSink(bucket), tmp_path / "v", ctx=sample_context(), xsd_dir=xsd_dir, status="approved", **MARCH
        )


def test_empty_period_is_an_error(bucket, tmp_path, xsd_dir):
    with pytest.raises(UttrekkError, match="ingen komplette pakker"):
        build_uttrekk(
            LocalSink(bucket),
            tmp_path / "u",
            ctx=sample_context(),
            xsd_dir=xsd_dir,
            date_from=date(2025, 1, 1),
            date_to=date(2025, 1, 31),
        )


def test_valid_package_passes(package, xsd_dir):
    report = validate_path(package, xsd_dir)
    assert report.ok, report.to_text()
    assert report.kind == "package"
    assert '"ok": true' in report.to_json()


# --- one broken package/uttrekk per rule -------------------------------------------------------------------


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _has_line(finding) -> bool:
    """``where`` is ``file:line``."""
    return finding.where.rpartition(":")[2].isdigit()


def _first(path: Path, xpath: str) -> str:
    return etree.parse(str(path)).xpath(xpath, namespaces=N5)[0]


def test_rule_xsd(package, xsd_dir):
    _edit(package / "arkivstruktur.xml", "<journalposttype>", "<journalpostType>")
    _edit(package / "arkivstruktur.xml", "</journalposttype>", "</journalpostType>")
    report = validate_path(package, xsd_dir)
    assert "xsd" in report.rules()
    assert any(_has_line(f) and "journalpostType" in f.message for f in report.errors)


def test_rule_dokumentfil_missing(package, xsd_dir):
    (package / "DOKUMENT" / "vedlegg-shot1.png").unlink()
    assert "dokumentfil-missing" in validate_path(package, xsd_dir).rules()


def test_rule_dokumentfil_sjekksum(package, xsd_dir):
    (package / "DOKUMENT" / "vedlegg-shot1.png").write_bytes(b"X" * len(FAKE_PNG))
    assert validate_path(package, xsd_dir).rules() == {"dokumentfil-sjekksum"}


def test_rule_dokumentfil_stoerrelse(package, xsd_dir):
    size = _first(package / "arkivstruktur.xml", "(//n:filstoerrelse)[2]/text()")
    _edit(package / "arkivstruktur.xml", f"<filstoerrelse>{size}</", "<filstoerrelse>999</")
    assert validate_path(package, xsd_dir).rules() == {"dokumentfil-stoerrelse"}


def test_rule_unreferenced_file(package, xsd_dir):
    (package / "DOKUMENT" / "stray.pdf").write_bytes(b"%PDF")
    report = validate_path(package, xsd_dir)
    assert report.rules() == {"unreferenced-file"} and "DOKUMENT/stray.pdf" in report.to_text()


def test_rule_systemid_unique(package, xsd_dir):
    arkiv_id = _first(package / "arkivstruktur.xml", "/n:arkiv/n:systemID/text()")
    mappe_id = _first(package / "arkivstruktur.xml", "//n:mappe/n:systemID/text()")
    _edit(package / "arkivstruktur.xml", mappe_id, arkiv_id)
    assert validate_path(package, xsd_dir).rules() == {"systemid-unique"}


def test_rule_date_order(package, xsd_dir):
    _edit(package / "arkivstruktur.xml", "<avsluttetDato>2026-03-05", "<avsluttetDato>2026-03-01", count=3)
    report = validate_path(package, xsd_dir)
    assert report.rules() == {"date-order"} and "opprettetDato" in report.errors[0].message


def test_rule_skjerming(package, xsd_dir):
    _edit(package / "arkivstruktur.xml", "<skjermingMetadata>korrespondansepartNavn<", "<skjermingMetadata>tittel<")
    assert validate_path(package, xsd_dir).rules() == {"skjerming"}


def test_rule_journaldato_is_also_an_xsd_error(package, xsd_dir):
    _edit(package / "arkivstruktur.xml", "<journaldato>2026-03-05</journaldato>", "")
    assert {"xsd", "journaldato"} <= validate_path(package, xsd_dir).rules()


def test_rule_journal_numbering(uttrekk, xsd_dir):
    _edit(uttrekk.out_dir / "arkivstruktur.xml", "<journalsekvensnummer>2<", "<journalsekvensnummer>1<")
    rules = validate_path(uttrekk.out_dir, xsd_dir).rules()
    assert "journal-numbering" in rules and "addml-checksum" in rules


def test_journal_numbering_gaps_are_a_warning(uttrekk, xsd_dir):
    """Numbers that last across extractions (a NumberProvider backed by a database) leave gaps."""
    _edit(uttrekk.out_dir / "arkivstruktur.xml", "<journalsekvensnummer>2<", "<journalsekvensnummer>7<")
    report = validate_path(uttrekk.out_dir, xsd_dir)
    assert "journal-numbering" not in report.rules()
    assert [f.rule for f in report.warnings] == ["journal-numbering-gaps"]


def test_rule_addml_count(uttrekk, xsd_dir):
    path = uttrekk.out_dir / "arkivuttrekk.xml"
    tree = etree.parse(str(path))
    ns = {"a": "http://www.arkivverket.no/standarder/addml"}
    count = tree.xpath(
        "//a:property[@name='numberOfOccurrences'][a:value='dokumentobjekt']/a:properties/a:property[@name='value']/a:value",
        namespaces=ns,
    )[0]
    count.text = "5"
    tree.write(str(path), xml_declaration=True, encoding="utf-8")
    report = validate_path(uttrekk.out_dir, xsd_dir)
    assert report.rules() == {"addml-count"} and "5 dokumentobjekt" in report.to_text()


def test_rule_addml_checksum(uttrekk, xsd_dir):
    with (uttrekk.out_dir / "endringslogg.xml").open("a") as handle:
        handle.write("\n")
    assert validate_path(uttrekk.out_dir, xsd_dir).rules() == {"addml-checksum"}


def test_rule_journal_count(uttrekk, xsd_dir):
    _edit(uttrekk.out_dir / "loependeJournal.xml", "<antallJournalposter>2<", "<antallJournalposter>3<")
    assert "journal-count" in validate_path(uttrekk.out_dir, xsd_dir).rules()


def test_rule_skjerming_in_offentlig_journal(uttrekk, xsd_dir):
    _edit(
        uttrekk.out_dir / "offentligJournal.xml",
        "<korrespondansepartNavn>******<",
        "<korrespondansepartNavn>Ola Nordmann<",
    )
    report = validate_path(uttrekk.out_dir, xsd_dir)
    assert "skjerming" in report.rules() and "Ola Nordmann" in report.to_text()


def test_status_warning_for_an_active_arkivdel(uttrekk, xsd_dir):
    _edit(uttrekk.out_dir / "arkivstruktur.xml", "<arkivdelstatus>Avsluttet periode<", "<arkivdelstatus>Aktiv periode<")
    report = validate_path(uttrekk.out_dir, xsd_dir)
    assert any(f.rule == "status" for f in report.warnings)


# --- ADDML as Arkade 5 reads it ------------------------------------------------------------------------------

A = {"a": "http://www.arkivverket.no/standarder/addml"}


def _props(el) -> list:
    return el.findall("a:properties/a:property", A)


def _named(el, name: str):
    return next(p for p in _props(el) if p.get("name") == name)


def test_arkivuttrekk_has_the_layout_arkade_navigates(uttrekk):
    """Follows Arkade's own navigation (ArchiveDetails, N5_10/N5_16, N5_28, Noark5TestHelper, N5_02)."""
    out = uttrekk.out_dir
    tree = etree.parse(str(out / "arkivuttrekk.xml"))
    dataset = tree.find("a:dataset", A)
    assert dataset.findtext("a:description", namespaces=A) == "Noark 5-arkivuttrekk"
    context = dataset.find("a:reference/a:context/a:additionalElements", A)
    creator = context.find(".//a:additionalElement[@name='recordCreator']", A)
    assert creator.findtext("a:value", namespaces=A) == "Fjordvik kommune"  # value directly, as Arkade reads it
    top = dataset.find("a:dataObjects/a:dataObject", A)
    info = _props(top)[0]  # properties[0]
    assert info.get("name") == "info"
    type_, additional = _props(info)[0], _props(info)[1]  # info.properties[1] = additionalInfo
    assert type_.findtext("a:value", namespaces=A) == "Noark 5"
    assert _named(type_, "version").findtext("a:value", namespaces=A) == "5.0"
    assert additional.get("name") == "additionalInfo"
    periode = _named(additional, "periode")
    assert [p.findtext("a:value", namespaces=A) for p in _props(periode)] == ["mykt", "mykt"]
    assert _named(additional, "antallDokumentfiler").findtext("a:value", namespaces=A) == "4"
    assert _named(additional, "inneholderSkjermetInformasjon").findtext("a:value", namespaces=A) == "true"
    files = top.findall("a:dataObjects/a:dataObject", A)
    names = [_named(_named(f, "file"), "name").findtext("a:value", namespaces=A) for f in files]
    assert names == ["arkivstruktur.xml", "endringslogg.xml", "loependeJournal.xml", "offentligJournal.xml"]
    occurrences = {
        p.findtext("a:value", namespaces=A): _named(p, "value").findtext("a:value", namespaces=A)
        for p in _props(_named(files[0], "info"))
        if p.get("name") == "numberOfOccurrences"
    }
    assert occurrences["mappe"] == "2" and occurrences["registrering"] == "3"
    for obj in files:
        file_props = [_named(obj, "file")] + [_named(s, "file") for s in _props(obj) if s.get("name") == "schema"]
        assert len(file_props) == 3  # the XML file, its main schema, metadatakatalog.xsd
        for prop in file_props:
            name = _named(prop, "name").findtext("a:value", namespaces=A)
            checksum = _named(prop, "checksum")
            assert _named(checksum, "algorithm").findtext("a:value", namespaces=A) == "SHA256"
            value = _named(checksum, "value").findtext("a:value", namespaces=A)
            assert value == hashlib.sha256((out / name).read_bytes()).hexdigest(), name


# --- a journal-required thread without a case number --------------------------------------------------------


def test_new_case_is_numbered_after_the_highest_case_of_its_year_and_journaled(tmp_path, xsd_dir):
    root, ctx = tmp_path / "bucket", sample_context()
    t1, t5, t6 = sample_thread("1"), sample_thread("5"), sample_thread("6")
    write_package(root, t1, sample_flag(t1), exported_at=_at(5), ctx=ctx)  # case 2026/1042
    write_package(
        root, t5, sample_flag(t5, case_number=None, case_title="Ny sak fra flagget"), exported_at=_at(9), ctx=ctx
    )
    write_package(root, t6, None, exported_at=_at(10), ctx=ctx)  # archive-worthy, no case: plain mappe
    result = build_uttrekk(LocalSink(root), tmp_path / "u", ctx=ctx, xsd_dir=xsd_dir, **MARCH)
    assert result.report.ok, result.report.to_text()
    tree = etree.parse(str(result.out_dir / "arkivstruktur.xml"))
    new = tree.xpath("//n:mappe[n:tittel='Ny sak fra flagget']", namespaces=N5)[0]
    assert [new.findtext(f"n:{f}", namespaces=N5) for f in ("mappeID", "saksaar", "sakssekvensnummer")] == [
        "2026/1043",
        "2026",
        "1043",
    ]
    assert new.find("n:beskrivelse", N5) is None  # the provisional marker is gone
    journal = (result.out_dir / "loependeJournal.xml").read_text()
    assert "<sakssekvensnummer>1043</sakssekvensnummer>" in journal
    assert "<antallJournalposter>2</antallJournalposter>" in journal  # the plain mappe's thread is not journaled
    log = (result.out_dir / "endringslogg.xml").read_text()
    assert "<referanseMetadata>sakssekvensnummer</referanseMetadata>" in log and "<nyVerdi>1043</nyVerdi>" in log


# --- Arkade-derived rules, one failing case each --------------------------------------------------------------


def test_rule_dokumentfil_count(uttrekk, xsd_dir):
    path = uttrekk.out_dir / "arkivuttrekk.xml"
    tree = etree.parse(str(path))
    tree.xpath("//a:property[@name='antallDokumentfiler']/a:value", namespaces=A)[0].text = "9"
    tree.write(str(path), xml_declaration=True, encoding="utf-8")
    assert validate_path(uttrekk.out_dir, xsd_dir).rules() == {"dokumentfil-count"}


def test_rule_addml_structure(uttrekk, xsd_dir):
    path = uttrekk.out_dir / "arkivuttrekk.xml"
    tree = etree.parse(str(path))
    children = tree.find("a:dataset/a:dataObjects/a:dataObject/a:dataObjects", A)
    children.append(children[0])  # arkivstruktur no longer first
    tree.write(str(path), xml_declaration=True, encoding="utf-8")
    assert validate_path(uttrekk.out_dir, xsd_dir).rules() == {"addml-structure"}


def test_rule_addml_file(uttrekk, xsd_dir):
    (uttrekk.out_dir / "loependeJournal.xsd").unlink()
    assert validate_path(uttrekk.out_dir, xsd_dir).rules() == {"addml-file"}


def test_rule_dokumentfil_empty(package, xsd_dir):
    (package / "DOKUMENT" / "vedlegg-shot1.png").write_bytes(b"")
    _edit(package / "arkivstruktur.xml", hashlib.sha256(FAKE_PNG).hexdigest(), hashlib.sha256(b"").hexdigest(), 9)
    _edit(package / "arkivstruktur.xml", f"<filstoerrelse>{len(FAKE_PNG)}<", "<filstoerrelse>0<")
    assert validate_path(package, xsd_dir).rules() == {"dokumentfil-empty"}


def test_rule_empty_element(package, xsd_dir):
    path = package / "arkivstruktur.xml"
    tree = etree.parse(str(path))
    tree.find(".//n:registrering/n:beskrivelse", N5).text = " "
    tree.write(str(path), xml_declaration=True, encoding="utf-8")
    report = validate_path(package, xsd_dir)
    assert report.rules() == {"empty-element"} and "<beskrivelse>" in report.to_text()


def test_rule_endringslogg_reference(uttrekk, xsd_dir):
    _edit(uttrekk.out_dir / "endringslogg.xml", "<referanseArkivenhet>", "<referanseArkivenhet>0")
    assert "endringslogg-reference" in validate_path(uttrekk.out_dir, xsd_dir).rules()


def test_rule_journal_dates(uttrekk, xsd_dir):
    _edit(uttrekk.out_dir / "offentligJournal.xml", "<journalStartDato>2026-03-05<", "<journalStartDato>2026-03-06<")
    rules = validate_path(uttrekk.out_dir, xsd_dir).rules()
    assert "journal-dates" in rules and rules <= {"journal-dates", "addml-checksum"}


def test_sharp_period_separation_holds_because_every_journalpost_is_journaled(uttrekk, xsd_dir):
    """Arkade N5.59 compares the journals with every journalpost when both separations are "skarpt"; the
    archive-worthy thread without a case is a registrering, so the counts agree (the rule's failing case is in
    test_noark_rules.py)."""
    path = uttrekk.out_dir / "arkivuttrekk.xml"
    _edit(path, "<value>mykt</value>", "<value>skarpt</value>", 2)
    report = validate_path(uttrekk.out_dir, xsd_dir)
    assert report.ok, report.to_text()


def test_xsd_error_is_reported_with_a_line_and_content_checks_still_run(package, xsd_dir):
    _edit(package / "arkivstruktur.xml", "<journalposttype>", "<journalpostType>")
    _edit(package / "arkivstruktur.xml", "</journalposttype>", "</journalpostType>")
    (package / "DOKUMENT" / "stray.pdf").write_bytes(b"%PDF")
    report = validate_path(package, xsd_dir)
    assert report.rules() == {"xsd", "unreferenced-file"}
    assert all(_has_line(f) for f in report.errors if f.rule == "xsd")
