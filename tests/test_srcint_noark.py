"""Noark shows what disappeared and changed: merknader for comments found gone, edited comments and the
capture's completeness, in arkivstruktur.xml (Noark 5 v5.0 XSD) and the Fiks arkivmelding; valid both ways,
also with hostile ids and huge numbers of removals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from noark import codes
from noark.merknader import MAX_ITEM_MERKNADER, build_merknader
from noark.testing import sample_context, sample_flag, sample_thread, write_package
from noark.validate import validate_path
from noark.xsd import validate_xml
from schemas.thread import Completeness, Gap, Item, Removal, Revision, Thread

N5 = {"n": "http://www.arkivverket.no/standarder/noark5/arkivstruktur"}
AM = {"a": "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1",
      "m": "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/metadatakatalog/v1"}
EXPORTED = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
FOUND_GONE = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
LAST_SEEN = datetime(2026, 3, 3, 20, 0, tzinfo=UTC)


def recaptured(comment_id: str = "c2", **overrides: object) -> Thread:
    """A thread whose re-capture found c1 edited and ``comment_id`` gone, with a completeness record."""
    thread = sample_thread(comments=3)
    comments = list(thread.comments)
    comments[0] = comments[0].model_copy(update={
        "text": "Innspill nummer 1 (rettet)", "edited_at": FOUND_GONE,
        "revisions": [Revision(text="Innspill nummer 1", valid_from=LAST_SEEN, valid_to=FOUND_GONE)]})
    comments[1] = comments[1].model_copy(update={"id": comment_id, "removal": Removal(
        state="deleted", reason="unknown", discovered_at=FOUND_GONE, last_seen_at=LAST_SEEN,
        note="Fant den ikke lenger ved innsamling")})
    completeness = Completeness(reported=5, captured=2, gaps=[Gap(reason="hidden", count=2),
                                                              Gap(reason="api_limit", count=1, note="etter-markør")])
    return thread.model_copy(update={"comments": comments, "completeness": completeness, **overrides})


def _package(tmp_path: Path, thread: Thread, *, flag: bool = True) -> Path:
    manifest = write_package(tmp_path, thread, sample_flag(thread) if flag else None, exported_at=EXPORTED,
                             ctx=sample_context())
    return tmp_path / manifest.package_id


@pytest.mark.parametrize("journaled", [True, False])
def test_removed_and_edited_comments_and_completeness_are_merknader(tmp_path: Path, xsd_dir: Path,
                                                                    journaled: bool) -> None:
    folder = _package(tmp_path, recaptured(), flag=journaled)
    assert validate_xml(folder / "arkivstruktur.xml", "arkivstruktur", xsd_dir) == []
    assert validate_xml(folder / "arkivmelding.xml", "arkivmelding", xsd_dir) == []
    reg = etree.parse(str(folder / "arkivstruktur.xml")).find(".//n:registrering", N5)
    notes = [{child.tag.split("}")[1]: child.text for child in m} for m in reg.findall("n:merknad", N5)]
    assert [n["merknadstype"] for n in notes] == [codes.MERKNADSTYPE_FULLSTENDIGHET, codes.MERKNADSTYPE_FJERNET,
                                                  codes.MERKNADSTYPE_ENDRET]
    complete, removed, edited = notes
    assert complete["merknadstekst"].startswith("Plattformen oppgir 5 kommentarer; 2 fanget. Avvik: 2 skjult, "
                                                "1 API-grense (etter-markør).")
    assert "Kommentar c2 var borte" in removed["merknadstekst"]
    assert "2026-03-04T09:00:00+01:00" in removed["merknadstekst"]  # found gone, Norwegian time
    assert "Sist sett 2026-03-03T21:00:00+01:00" in removed["merknadstekst"]
    assert removed["merknadsdato"] == "2026-03-04T09:00:00+01:00"
    assert "Kommentar c1 er endret; 1 tidligere tekst" in edited["merknadstekst"]
    assert {n["merknadRegistrertAv"] for n in notes} == {"somearkiv"}
    # the texts of the comments never travel as metadata
    assert "Innspill nummer" not in etree.tostring(reg, encoding="unicode").split("<merknad")[1]
    # XSD order: merknad after dokumentmedium, before korrespondansepart
    names = [child.tag.split("}")[1] for child in reg]
    assert names.index("dokumentmedium") < names.index("merknad") < names.index("korrespondansepart")
    am = etree.parse(str(folder / "arkivmelding.xml"))
    codes_sent = [m.findtext("a:merknadstype/m:kode", namespaces=AM) for m in am.iterfind(".//a:merknad", AM)]
    assert codes_sent == ["FU", "FJ", "EN"]
    report = validate_path(folder, xsd_dir)
    assert [f for f in report.findings if f.severity == "error"] == []


def test_a_thread_without_observations_has_no_merknad(tmp_path: Path) -> None:
    folder = _package(tmp_path, sample_thread())
    assert b"merknad" not in (folder / "arkivstruktur.xml").read_bytes()
    assert b"merknad" not in (folder / "arkivmelding.xml").read_bytes()


def test_completeness_without_a_reported_count_and_without_gaps() -> None:
    thread = sample_thread().model_copy(update={"completeness": Completeness(captured=2)})
    (note,) = build_merknader(thread, "arkivar")
    assert note.merknadstekst.startswith("Plattformen oppgir ikke antall kommentarer; 2 fanget. Ingen kjente avvik.")
    gap = sample_thread().model_copy(update={"completeness": Completeness(reported=9, captured=2)})
    assert "Avviket har ingen kjent årsak" in build_merknader(gap, "arkivar")[0].merknadstekst


def test_hostile_ids_and_notes_stay_valid_xml(tmp_path: Path, xsd_dir: Path) -> None:
    hostile = "c\x00\x07\ud800\u202e" + "x" * 5000
    thread = recaptured(hostile)
    thread = thread.model_copy(update={"completeness": thread.completeness.model_copy(update={  # type: ignore[union-attr]
        "gaps": [Gap(reason="unknown", note="\u202eRTL\x1b[31m \ud800" * 200)]})})
    folder = _package(tmp_path, thread)
    assert validate_xml(folder / "arkivstruktur.xml", "arkivstruktur", xsd_dir) == []
    assert validate_xml(folder / "arkivmelding.xml", "arkivmelding", xsd_dir) == []
    text = (folder / "arkivstruktur.xml").read_text(encoding="utf-8")
    assert "x" * 81 not in text.split("<merknad")[2]  # a long id is cut in the merknad
    assert "\x1b" not in text


def test_ten_thousand_removals_are_summed_up(tmp_path: Path, xsd_dir: Path) -> None:
    base = sample_thread(comments=1)
    gone = [base.comments[0].model_copy(update={"id": f"g{n}", "removal": Removal(
        state="hidden" if n % 2 else "deleted", reason="unknown",
        discovered_at=FOUND_GONE + timedelta(seconds=n))}) for n in range(10_000)]
    thread = base.model_copy(update={"comments": gone})
    notes = build_merknader(thread, "somearkiv")
    assert len(notes) == MAX_ITEM_MERKNADER + 1
    assert notes[-1].merknadstekst.startswith(f"Ytterligere {10_000 - MAX_ITEM_MERKNADER} kommentarer")
    assert notes[-1].merknadsdato == FOUND_GONE + timedelta(seconds=9_999)
    assert "(skjult)" in notes[1].merknadstekst and "(slettet eller skjult)" in notes[0].merknadstekst
    folder = _package(tmp_path, thread)
    assert validate_xml(folder / "arkivstruktur.xml", "arkivstruktur", xsd_dir) == []


def test_edit_time_falls_back_to_the_revision_then_the_capture() -> None:
    base = sample_thread(comments=1)
    revised = base.comments[0].model_copy(update={"revisions": [Revision(text="a", valid_to=LAST_SEEN)]})
    bare = Item(**{**base.comments[0].model_dump(), "id": "c9", "revisions": [Revision(text="b")]})
    thread = base.model_copy(update={"comments": [revised, bare]})
    first, second = build_merknader(thread, "x")
    assert first.merknadsdato == LAST_SEEN and second.merknadsdato == thread.captured_at
