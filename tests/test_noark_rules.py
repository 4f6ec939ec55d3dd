"""One test per validation rule on the smallest tree that triggers it (Arkade 5's N5_xx_…Test model).

Each test runs the rule through ``noark.validate.engine.run_rules`` (the rule plus its file's collectors, no
schema) and asserts the exact findings; the whole-package and whole-uttrekk behaviour is in
test_noark_uttrekk_validate.py.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from noark.addml import AddmlFacts
from noark.validate import registry, rule_ids
from noark.validate.base import (
    ARKIVUTTREKK,
    ENDRINGSLOGG,
    FINAL,
    LOEPENDE_JOURNAL,
    OFFENTLIG_JOURNAL,
    Facts,
    JournalHead,
    JournalSource,
    digest,
)
from noark.validate.engine import run_rules
from noark.validate.rules import addml, arkivstruktur, documents, endringslogg, fidelity, journals

N5 = "http://www.arkivverket.no/standarder/noark5/arkivstruktur"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ID_A = "00000000-0000-4000-8000-00000000000a"
ID_B = "00000000-0000-4000-8000-00000000000b"


def _arkiv(body: str) -> bytes:
    return f'<arkiv xmlns="{N5}" xmlns:xsi="{XSI}"><systemID>{ID_A}</systemID>{body}</arkiv>'.encode()


def _journalpost(system_id: str = ID_B, extra: str = "", journaldato: str = "2026-03-05") -> str:
    dato = f"<journaldato>{journaldato}</journaldato>" if journaldato else ""
    return (
        f'<registrering xsi:type="journalpost"><systemID>{system_id}</systemID><tittel>T</tittel>{extra}'
        f"<journalaar>2026</journalaar><journalsekvensnummer>1</journalsekvensnummer>"
        f"<journalstatus>Arkivert</journalstatus>{dato}</registrering>"
    )


def _rules(findings) -> list[str]:
    return [f.rule for f in findings]


def test_every_rule_id_is_a_constant_and_every_rule_is_registered_once():
    constants = {v for k, v in vars(rule_ids).items() if k.isupper()}
    assert {r.id for r in registry.RULES} <= constants
    assert len(registry.RULES) == len(set(registry.RULES))
    assert set(registry.rule_ids()) <= constants


def test_empty_element(tmp_path):
    findings = run_rules([arkivstruktur.EmptyElement], _arkiv("<tittel> </tittel>"), folder=tmp_path)
    assert [(f.rule, f.message, f.where) for f in findings] == [
        ("empty-element", f"<tittel> har ikke noe innhold (i {ID_A})", "arkivstruktur.xml:1")
    ]


def test_systemid_unique(tmp_path):
    xml = _arkiv(f"<arkivdel><systemID>{ID_A}</systemID></arkivdel><arkivdel><systemID>{ID_B}</systemID></arkivdel>")
    findings = run_rules([arkivstruktur.SystemIdUnique], xml, folder=tmp_path)
    assert [f.message for f in findings] == [f"systemID {ID_A} forekommer mer enn én gang"]


def test_journaldato(tmp_path):
    xml = _arkiv(f"<mappe>{_journalpost(journaldato='')}<registrering><systemID>x</systemID></registrering></mappe>")
    findings = run_rules([arkivstruktur.Journaldato], xml, folder=tmp_path)
    assert [f.message for f in findings] == [f"journalpost {ID_B} mangler journaldato"]


def test_date_order(tmp_path):
    xml = _arkiv(
        f"<mappe><systemID>{ID_B}</systemID><opprettetDato>2026-03-05T12:00:00+01:00</opprettetDato>"
        "<avsluttetDato>2026-03-01T12:00:00+01:00</avsluttetDato></mappe>"
    )
    findings = run_rules([arkivstruktur.DateOrder], xml, folder=tmp_path)
    assert _rules(findings) == ["date-order"] and "opprettetDato 2026-03-05T12:00:00+01:00" in findings[0].message


def test_date_order_with_and_without_offset_does_not_crash(tmp_path):
    xml = _arkiv(
        "<mappe><opprettetDato>2026-03-05T12:00:00</opprettetDato><avsluttetDato>2026-03-01T12:00:00+01:00"
        "</avsluttetDato></mappe>"
    )
    assert run_rules([arkivstruktur.DateOrder], xml, folder=tmp_path) == []


def test_skjerming(tmp_path):
    no_hjemmel = "<skjerming><tilgangsrestriksjon>13</tilgangsrestriksjon></skjerming>"
    title_hidden = (
        "<skjerming><tilgangsrestriksjon>13</tilgangsrestriksjon><skjermingshjemmel>Offl. § 13</skjermingshjemmel>"
        "<skjermingMetadata>tittel</skjermingMetadata></skjerming>"
    )
    xml = _arkiv(f"<mappe>{_journalpost(extra=no_hjemmel)}{_journalpost(ID_A, extra=title_hidden)}</mappe>")
    findings = run_rules([arkivstruktur.Skjerming], xml, folder=tmp_path)
    assert [f.message for f in findings] == [
        f"{ID_B}: skjerming uten tilgangsrestriksjon eller skjermingshjemmel",
        f"{ID_A}: tittel er skjermet, men offentligTittel mangler eller er lik tittel",
    ]


def test_journal_numbering(tmp_path):
    def jp(seq: int) -> str:
        return _journalpost().replace("<journalsekvensnummer>1<", f"<journalsekvensnummer>{seq}<")

    xml = _arkiv(f"<mappe>{jp(1)}{jp(3)}{jp(3)}</mappe>")
    findings = run_rules([arkivstruktur.JournalNumbering], xml, folder=tmp_path)
    assert [f.message for f in findings] == ["journalaar 2026: journalsekvensnummer brukt mer enn én gang: [3]"]


def test_journal_numbering_gaps(tmp_path):
    def jp(seq: int) -> str:
        return _journalpost().replace("<journalsekvensnummer>1<", f"<journalsekvensnummer>{seq}<")

    xml = _arkiv(f"<mappe>{jp(1)}{jp(3)}{jp(4)}</mappe>")
    findings = run_rules([arkivstruktur.JournalNumberingGaps], xml, folder=tmp_path)
    assert [(f.severity, f.message) for f in findings] == [
        ("warning", "journalaar 2026: journalsekvensnummer er ikke fortløpende 1..3 (hull [2])")
    ]


def test_journal_numbering_survives_absurd_numbers(tmp_path):
    xml = _arkiv(f"<mappe>{_journalpost().replace('>1<', '>99999999999999999999<')}</mappe>")
    findings = run_rules([arkivstruktur.JournalNumbering], xml, folder=tmp_path)
    assert _rules(findings) == ["journal-numbering"] and "ugyldig" in findings[0].message


def test_status(tmp_path):
    xml = _arkiv(
        "<arkivdel><arkivdelstatus>Aktiv periode</arkivdelstatus><mappe>"
        + _journalpost().replace("Arkivert", "Journalført")
        + "</mappe></arkivdel>"
    )
    findings = run_rules([arkivstruktur.Status], xml, folder=tmp_path)
    assert [(f.severity, f.message.split(";")[0]) for f in findings] == [
        ("warning", f"journalpost {ID_B} har journalstatus 'Journalført'"),
        ("warning", "arkivdelstatus er 'Aktiv periode'"),
    ]


# --- document files ----------------------------------------------------------------------------------------


def _dokumentobjekt(ref: str, data: bytes | None = None, *, size: int | None = None) -> str:
    data = data if data is not None else b""
    return (
        f"<dokumentobjekt><referanseDokumentfil>{ref}</referanseDokumentfil>"
        f"<sjekksum>{hashlib.sha256(data).hexdigest()}</sjekksum>"
        f"<filstoerrelse>{len(data) if size is None else size}</filstoerrelse></dokumentobjekt>"
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "DOKUMENT").mkdir()
    (tmp_path / "DOKUMENT" / "a.pdf").write_bytes(b"%PDF-a")
    return tmp_path


def test_dokumentfil_missing(folder):
    xml = _arkiv(_dokumentobjekt("DOKUMENT/a.pdf", b"%PDF-a") + _dokumentobjekt("DOKUMENT/b.pdf"))
    findings = run_rules([documents.DokumentfilMissing], xml, folder=folder)
    assert [f.message for f in findings] == ["referanseDokumentfil 'DOKUMENT/b.pdf' finnes ikke"]


def test_dokumentfil_empty(folder):
    (folder / "DOKUMENT" / "e.pdf").write_bytes(b"")
    xml = _arkiv(_dokumentobjekt("DOKUMENT/a.pdf", b"%PDF-a") + _dokumentobjekt("DOKUMENT/e.pdf", b""))
    assert [f.message for f in run_rules([documents.DokumentfilEmpty], xml, folder=folder)] == [
        "DOKUMENT/e.pdf er en tom fil"
    ]


def test_dokumentfil_sjekksum(folder):
    xml = _arkiv(_dokumentobjekt("DOKUMENT/a.pdf", b"%PDF-b"))
    assert [f.message for f in run_rules([documents.DokumentfilSjekksum], xml, folder=folder)] == [
        "DOKUMENT/a.pdf: SHA-256 stemmer ikke med sjekksummen"
    ]


def test_dokumentfil_stoerrelse(folder):
    xml = _arkiv(_dokumentobjekt("DOKUMENT/a.pdf", b"%PDF-a", size=99))
    assert [f.message for f in run_rules([documents.DokumentfilStoerrelse], xml, folder=folder)] == [
        "DOKUMENT/a.pdf: størrelse 6 != filstoerrelse 99"
    ]


def test_dokumentfil_multireferert(folder):
    xml = _arkiv(_dokumentobjekt("DOKUMENT/a.pdf", b"%PDF-a") * 2)
    findings = run_rules([documents.DokumentfilMultireferert], xml, folder=folder)
    assert [(f.severity, f.message) for f in findings] == [
        ("warning", "DOKUMENT/a.pdf er referert fra mer enn ett dokumentobjekt")
    ]


def test_unreferenced_file(folder):
    (folder / "DOKUMENT" / "sub").mkdir()
    (folder / "DOKUMENT" / "sub" / "stray.png").write_bytes(b"x")
    xml = _arkiv(_dokumentobjekt("DOKUMENT/a.pdf", b"%PDF-a"))
    assert [f.message for f in run_rules([documents.UnreferencedFile], xml, folder=folder)] == [
        "DOKUMENT/sub/stray.png er ikke referert fra noe dokumentobjekt"
    ]


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("/etc/passwd", "absolutt sti"),
        ("../outside.pdf", "går ut av mappen"),
        ("DOKUMENT/../../outside.pdf", "går ut av mappen"),
        ("DOKUMENT\\a.pdf", "ikke en gyldig relativ sti"),
        ("C:/Windows/win.ini", "absolutt sti"),
        ("DOKUMENT/link.pdf", "symbolsk lenke"),
        ("DOKUMENT/dirlink/secret.pdf", "symbolsk lenke"),
    ],
)
def test_unsafe_path_is_refused_and_never_hashed(folder, tmp_path_factory, ref, reason):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.pdf").write_bytes(b"secret")
    os.symlink(outside / "secret.pdf", folder / "DOKUMENT" / "link.pdf")
    os.symlink(outside, folder / "DOKUMENT" / "dirlink")
    xml = _arkiv(_dokumentobjekt(ref.replace("&", "&amp;"), b"secret"))
    every_document_rule = [r for r in documents.RULES if r is not documents.UnreferencedFile]
    findings = run_rules(every_document_rule, xml, folder=folder)
    assert _rules(findings) == ["unsafe-path"], findings
    assert reason in findings[0].message


# --- journals, endringslogg, ADDML ---------------------------------------------------------------------------

L = "http://www.arkivverket.no/standarder/noark5/loependeJournal"
O = "http://www.arkivverket.no/standarder/noark5/offentligJournal"  # noqa: E741


def _journal(ns: str, root: str, entries: str) -> bytes:
    return f'<{root} xmlns="{ns}">{entries}</{root}>'.encode()


def _entry(system_id: str, inner: str = "") -> str:
    return (
        f"<journalregistrering><journalpost><systemID>{system_id}</systemID>{inner}</journalpost></journalregistrering>"
    )


def test_journal_entry_known(tmp_path):
    facts = Facts(journaled={digest(ID_A)})
    xml = _journal(L, "loependeJournal", _entry(ID_A) + _entry(ID_B))
    findings = run_rules([journals.JournalEntryKnown], xml, folder=tmp_path, file=LOEPENDE_JOURNAL, facts=facts)
    assert [f.message for f in findings] == [
        f"loependeJournal fører opp {ID_B}, som ikke er en journalpost i en saksmappe i arkivstruktur"
    ]


def test_public_entry_masked(tmp_path):
    facts = Facts(
        journaled={digest(ID_A)},
        skjermet={ID_A: JournalSource("13", frozenset({"korrespondansepartNavn"}), "T")},
    )
    inner = (
        "<tilgangsrestriksjon>13</tilgangsrestriksjon><korrespondansepart><korrespondanseparttype>Avsender"
        "</korrespondanseparttype><korrespondansepartNavn>Ola Nordmann</korrespondansepartNavn></korrespondansepart>"
    )
    xml = _journal(O, "offentligJournal", _entry(ID_A, inner))
    findings = run_rules([journals.PublicEntryMasked], xml, folder=tmp_path, file=OFFENTLIG_JOURNAL, facts=facts)
    assert [f.message for f in findings] == [
        f"{ID_A}: skjermet korrespondansepartNavn 'Ola Nordmann' vises i offentligJournal"
    ]


def _final(rule, tmp_path, facts):
    return run_rules([rule], b"<final/>", folder=tmp_path, file=FINAL, facts=facts)


def test_journal_count(tmp_path):
    facts = Facts(journaled={digest(ID_A), digest(ID_B)})
    facts.journals = {LOEPENDE_JOURNAL: JournalHead("2", entries=1)}
    assert [f.message for f in _final(journals.JournalCount, tmp_path, facts)] == [
        "loependeJournal.xml: antallJournalposter 2, 1 journalregistreringer, 2 journalposter i saksmapper i "
        "arkivstruktur.xml",
        "offentligJournal.xml mangler",
    ]


def test_journal_count_with_sharp_period_separation(tmp_path):
    facts = Facts(journaled={digest(ID_A)}, addml=AddmlFacts(checksums={}, counts={}, periode=("skarpt", "skarpt")))
    facts.counts["journalpost"] = 2
    facts.journals = {name: JournalHead("1", entries=1) for name in (LOEPENDE_JOURNAL, OFFENTLIG_JOURNAL)}
    assert [f.message for f in _final(journals.JournalCount, tmp_path, facts)] == [
        f"{name}: skarpt periodeskille, men 1 journalregistreringer for 2 journalposter i arkivstruktur.xml "
        "(Arkade N5.59)"
        for name in (LOEPENDE_JOURNAL, OFFENTLIG_JOURNAL)
    ]


def test_journal_count_missing_journal(tmp_path):
    facts = Facts(journaled={digest(ID_A)})
    facts.journals = {LOEPENDE_JOURNAL: JournalHead("1", entries=1)}
    assert [f.message for f in _final(journals.JournalCount, tmp_path, facts)] == ["offentligJournal.xml mangler"]


def test_journal_dates(tmp_path):
    facts = Facts(journal_dates=("2026-03-05", "2026-03-09"))
    facts.journals = {
        LOEPENDE_JOURNAL: JournalHead("2", "2026-03-05", "2026-03-09", 2),
        OFFENTLIG_JOURNAL: JournalHead("2", "2026-03-06", "2026-03-09", 2),
    }
    messages = [f.message for f in _final(journals.JournalDates, tmp_path, facts)]
    assert messages == [
        "offentligJournal.xml: journalStartDato..journalSluttDato 2026-03-06..2026-03-09 dekker ikke journaldato "
        "2026-03-05..2026-03-09",
        "loependeJournal 2026-03-05..2026-03-09 og offentligJournal 2026-03-06..2026-03-09 dekker ulike perioder "
        "(Arkade N5.60)",
    ]


def test_endringslogg_reference(tmp_path):
    facts = Facts(system_ids={digest(ID_A)})
    ns = "http://www.arkivverket.no/standarder/noark5/endringslogg"
    xml = (
        f'<endringslogg xmlns="{ns}"><endring><referanseArkivenhet>{ID_A}</referanseArkivenhet></endring>'
        f"<endring><referanseArkivenhet>{ID_B}</referanseArkivenhet></endring></endringslogg>"
    ).encode()
    findings = run_rules([endringslogg.EndringsloggReference], xml, folder=tmp_path, file=ENDRINGSLOGG, facts=facts)
    assert [f.message for f in findings] == [f"referanseArkivenhet {ID_B} er ikke en systemID i arkivstruktur.xml"]


def _addml(tmp_path, rule, **facts_kwargs):
    addml_facts = AddmlFacts(**{"checksums": {}, "counts": {}} | facts_kwargs.pop("addml", {}))
    facts = Facts(addml=addml_facts, **facts_kwargs)
    return run_rules([rule], b"<addml/>", folder=tmp_path, file=ARKIVUTTREKK, facts=facts)


def test_addml_structure(tmp_path):
    findings = _addml(tmp_path, addml.AddmlStructure, addml={"files": ["endringslogg.xml"], "problems": ["p"]})
    assert [f.message for f in findings] == ["p", "arkivstruktur.xml er ikke beskrevet i arkivuttrekk.xml"]


def test_addml_file_checksum_and_unsafe_names(tmp_path_factory):
    folder = tmp_path_factory.mktemp("u")
    (folder / "a.xml").write_bytes(b"a")
    (folder / "b.xml").write_bytes(b"b")
    sha_a = hashlib.sha256(b"a").hexdigest()
    checksums = {
        "a.xml": ("SHA256", sha_a),
        "b.xml": ("SHA256", sha_a),
        "c.xml": ("SHA256", sha_a),
        "/etc/passwd": ("SHA256", sha_a),
        "../x.xml": ("MD5", sha_a),
    }
    by_rule = {
        rule.id: [f.message for f in _addml(folder, rule, addml={"checksums": checksums})]
        for rule in (addml.AddmlFile, addml.AddmlChecksum, addml.AddmlUnsafePath)
    }
    assert by_rule["addml-file"] == ["c.xml er beskrevet i arkivuttrekk.xml, men mangler"]
    assert by_rule["addml-checksum"] == ["b.xml: SHA-256 stemmer ikke med arkivuttrekk.xml"]
    assert len(by_rule["unsafe-path"]) == 2 and "absolutt sti" in by_rule["unsafe-path"][0]


def test_dokumentfil_count(tmp_path):
    findings = _addml(tmp_path, addml.DokumentfilCount, addml={"antall_dokumentfiler": 3}, files_on_disk=2)
    assert [f.message for f in findings] == [
        "arkivuttrekk.xml oppgir antallDokumentfiler 3, DOKUMENT/ inneholder 2 filer (Arkade N5.28)"
    ]


def test_addml_count(tmp_path):
    addml_facts = AddmlFacts(
        checksums={}, counts={"arkivstruktur.xml": {"mappe": 2}, "endringslogg.xml": {"endring": 4}}
    )
    facts = Facts(addml=addml_facts, endringer=3)
    facts.counts["mappe"] = 1
    assert [f.message for f in _final(addml.AddmlCount, tmp_path, facts)] == [
        "arkivuttrekk.xml oppgir 2 mappe, arkivstruktur.xml har 1",
        "arkivuttrekk.xml oppgir 4 endring i endringslogg.xml, fant 3",
    ]


# --- Noark fidelity ------------------------------------------------------------------------------------------


def test_journalpost_count(tmp_path):
    facts = Facts()
    facts.counts["journalpost"] = 3
    facts.journals = {LOEPENDE_JOURNAL: JournalHead("2", entries=2), OFFENTLIG_JOURNAL: JournalHead("3", entries=3)}
    assert [(f.where, f.message) for f in _final(fidelity.JournalpostCount, tmp_path, facts)] == [
        (
            "loependeJournal.xml",
            "arkivstruktur.xml har 3 journalposter, loependeJournal.xml fører 2; en tråd som ikke journalføres skal "
            "være en registrering, ikke en journalpost",
        )
    ]


def test_journalpost_count_without_journals(tmp_path):
    facts = Facts()
    facts.counts["journalpost"] = 1
    assert len(_final(fidelity.JournalpostCount, tmp_path, facts)) == 2


def test_journalpost_outside_a_saksmappe(tmp_path):
    registrering = f'<registrering xsi:type="registrering"><systemID>{ID_A}</systemID></registrering>'
    xml = _arkiv(
        f'<mappe xsi:type="saksmappe">{_journalpost()}</mappe><mappe>{registrering}{_journalpost(ID_A)}</mappe>'
    )
    findings = run_rules([fidelity.JournalpostInSaksmappe], xml, folder=tmp_path, kind="package")
    assert [(f.severity, f.message.split(";")[0]) for f in findings] == [
        ("warning", f"journalpost {ID_A} ligger ikke i en saksmappe og kan ikke føres i journalen")
    ]


def test_saksansvarlig_is_not_an_email(tmp_path):
    xml = _arkiv(
        '<mappe xsi:type="saksmappe"><saksansvarlig>Kari Redaktør</saksansvarlig></mappe>'
        '<mappe xsi:type="saksmappe"><saksansvarlig>kari@fjordvik.kommune.no</saksansvarlig></mappe>'
    )
    findings = run_rules([fidelity.SaksansvarligName], xml, folder=tmp_path)
    assert [f.message for f in findings] == [
        "<saksansvarlig> 'kari@fjordvik.kommune.no' er en e-postadresse; saksansvarlig (M306) skal være en persons navn"
    ]
