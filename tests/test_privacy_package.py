"""Screening in the package: the demo's sensitive comment is found, restricted in arkivstruktur.xml, left out of
offentligJournal.xml, and its redacted variant (a second dokumentobjekt) holds no trace of it. Logs never
print the matched personal data."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from exporters.package import build_package
from exporters.pdf import check_pdfa
from noark import codes
from noark.uttrekk import build_uttrekk
from noark.validate import validate_path
from noark.xsd import validate_xml
from pipeline.export import unchanged_result
from pipeline.settings import Settings
from schemas.errors import ConfigError
from schemas.package import MANIFEST_NAME, Manifest, sha256_file
from schemas.screening import SCREENING_FILE, ScreeningResult
from schemas.thread import Flag, Item, Thread
from storage.local import LocalSink
from tests.factories import INNBYGGER, T0, make_thread
from tests.test_privacy_redact import leaks, secrets

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
DEMO = "facebook-hoering-reguleringsplan-sentrum"
EXPORTED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
N5 = {"n": "http://www.arkivverket.no/standarder/noark5/arkivstruktur"}
HJEMMEL = "Offl. § 13 jf. fvl. § 13 (test)"


def demo_thread() -> tuple[Thread, Flag]:
    thread = Thread.model_validate_json((SAMPLES / "threads" / f"{DEMO}.json").read_bytes())
    flags = [Flag.model_validate(f) for f in json.loads((SAMPLES / "flags.json").read_text(encoding="utf-8"))]
    return thread, next(f for f in flags if f.thread_url == thread.url)


def context():
    return replace(Settings().noark(), tilgangsrestriksjon="13", skjermingshjemmel=HJEMMEL)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("privacy-package")
    thread, flag = demo_thread()
    built = build_package(
        thread, flag, media_dir=SAMPLES / "media", work_dir=work / "w", exported_at=EXPORTED, ctx=context()
    )
    return {"thread": thread, "flag": flag, "built": built, "work": work}


def test_the_package_holds_both_variants_and_the_screening(demo: dict, xsd_dir: Path) -> None:
    built = demo["built"]
    root = built.directory
    manifest = Manifest.model_validate_json((root / MANIFEST_NAME).read_bytes())
    roles = {f.path: f.role for f in manifest.files}
    assert roles[f"DOKUMENT/{built.package_id}.pdf"] == "hoveddokument"
    assert roles[f"DOKUMENT/{built.package_id}-skjermet.pdf"] == "skjermet"
    assert roles[SCREENING_FILE] == "metadata"
    for entry in manifest.files:
        assert sha256_file(root / entry.path) == entry.sha256
    result = ScreeningResult.from_bytes((root / SCREENING_FILE).read_bytes())
    assert result == built.screening and result.needs_skjerming
    assert check_pdfa(root / f"DOKUMENT/{built.package_id}-skjermet.pdf") == []
    assert validate_xml(root / "arkivstruktur.xml", "arkivstruktur", xsd_dir) == []
    assert validate_xml(root / "arkivmelding.xml", "arkivmelding", xsd_dir) == []
    report = validate_path(root, xsd_dir)
    assert report.ok, report.to_text()


def test_arkivstruktur_restricts_the_thread_and_names_the_redacted_variant(demo: dict) -> None:
    built = demo["built"]
    tree = etree.parse(str(built.directory / "arkivstruktur.xml"))
    jp = tree.xpath("//n:registrering", namespaces=N5)[0]
    assert jp.xpath("n:skjerming/n:tilgangsrestriksjon/text()", namespaces=N5) == ["13"]
    assert jp.xpath("n:skjerming/n:skjermingshjemmel/text()", namespaces=N5) == [HJEMMEL]
    main = jp.xpath("n:dokumentbeskrivelse[n:dokumentnummer='1']", namespaces=N5)[0]
    assert main.xpath("n:skjerming/n:skjermingDokument/text()", namespaces=N5) == [codes.SKJERMING_DELER_AV_DOKUMENTET]
    objects = main.xpath("n:dokumentobjekt", namespaces=N5)
    assert [o.findtext("n:variantformat", namespaces=N5) for o in objects] == [
        "Arkivformat",
        "Dokument hvor deler av innholdet er skjermet",
    ]
    assert objects[1].findtext("n:referanseDokumentfil", namespaces=N5) == f"DOKUMENT/{built.package_id}-skjermet.pdf"
    # The screenshot of the removed sensitive comment is restricted whole.
    shots = [d for d in jp.xpath("n:dokumentbeskrivelse", namespaces=N5) if d.findtext("n:dokumenttype", namespaces=N5)
             == codes.DOKUMENTTYPE_SKJERMBILDE]  # fmt: skip
    assert shots and all(
        s.findtext("n:skjerming/n:skjermingDokument", namespaces=N5) == codes.SKJERMING_HELE_DOKUMENTET for s in shots
    )
    am = (built.directory / "arkivmelding.xml").read_text(encoding="utf-8")
    assert "<mdk:kode>O</mdk:kode>" in am and "Dokument hvor deler av innholdet er skjermet" in am


def test_the_redacted_variant_holds_no_trace_and_the_public_journal_leaves_it_out(
    demo: dict, tmp_path: Path, xsd_dir: Path
) -> None:
    from privacy.redact import redact_thread

    thread, built = demo["thread"], demo["built"]
    found = secrets(thread, built.screening, redact_thread(thread, built.screening))
    assert "010120 12345" in found
    assert leaks(built.directory / f"DOKUMENT/{built.package_id}-skjermet.pdf", tmp_path, found) == []

    sink = LocalSink(tmp_path / "bucket")
    sink.put_package(built.directory, built.manifest)
    result = build_uttrekk(
        sink, tmp_path / "uttrekk", ctx=context(), xsd_dir=xsd_dir, date_from=date(2026, 11, 1),
        date_to=date(2026, 11, 30), now=datetime(2026, 12, 1, tzinfo=UTC),
    )  # fmt: skip
    assert result.report.ok, result.report.to_text()
    public = (tmp_path / "uttrekk" / "offentligJournal.xml").read_text(encoding="utf-8")
    for secret in found | {"Camilla", "Sæther"}:
        assert secret not in public
    assert "<korrespondansepartNavn>******</korrespondansepartNavn>" in public
    assert f"<skjermingshjemmel>{HJEMMEL}</skjermingshjemmel>" in public
    assert validate_xml(tmp_path / "uttrekk" / "offentligJournal.xml", "offentligJournal", xsd_dir) == []
    assert (tmp_path / "uttrekk" / f"DOKUMENT/{built.package_id}/{built.package_id}-skjermet.pdf").is_file()


def test_a_title_with_a_hit_is_masked_in_the_public_title(tmp_path: Path, xsd_dir: Path) -> None:
    thread = make_thread()
    post = thread.post.model_copy(update={"text": "Send søknaden til kari.nordmann@gmail.com innen fredag\nMer tekst"})
    thread = thread.model_copy(update={"post": post})
    flag = Flag(thread_url=thread.url, kind="journal-required", case_number="2026/5", flagged_by="r",
                flagged_at=EXPORTED)  # fmt: skip
    built = build_package(thread, flag, media_dir=None, work_dir=tmp_path, exported_at=EXPORTED, ctx=context())
    tree = etree.parse(str(built.directory / "arkivstruktur.xml"))
    jp = tree.xpath("//n:registrering", namespaces=N5)[0]
    assert jp.findtext("n:offentligTittel", namespaces=N5) == "Send søknaden til ****** innen fredag"
    assert "tittel" in jp.xpath("n:skjerming/n:skjermingMetadata/text()", namespaces=N5)
    assert tree.xpath("//n:mappe/n:offentligTittel/text()", namespaces=N5) == ["Send søknaden til ****** innen fredag"]
    assert validate_path(built.directory, xsd_dir).ok
    # What the CLI and the flow's artifact print: the title without the hit.
    assert built.title == "Send søknaden til [skjermet: personopplysning] innen fredag"
    sink = LocalSink(tmp_path / "bucket")
    sink.put_package(built.directory, built.manifest)
    assert unchanged_result(thread, sink).title == built.title


def test_a_clean_thread_has_no_variant_and_no_skjerming(tmp_path: Path) -> None:
    thread = make_thread(comments=[Item(id="c1", author=INNBYGGER, created_at=T0, text="Fin dag for en tur!")])
    built = build_package(thread, None, media_dir=None, work_dir=tmp_path, exported_at=EXPORTED, ctx=context())
    roles = [f.role for f in built.manifest.files]
    assert "skjermet" not in roles
    assert ScreeningResult.from_bytes((built.directory / SCREENING_FILE).read_bytes()).hits == ()
    assert b"<skjerming>" not in (built.directory / "arkivstruktur.xml").read_bytes()


def test_logs_never_print_the_matched_personal_data(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    number = "01018550063"  # valid (a fictional 1885 birth, individual digits 500-749)
    comment = Item(
        id="c1", author=INNBYGGER, created_at=T0,
        text=f"fnr {number}, ring 41234567, kari.nordmann@gmail.com, mora mi har demens",
    )  # fmt: skip
    thread = make_thread(comments=[comment, *make_thread().comments[1:]])  # c3 is restricted (personsjikane)
    with caplog.at_level(logging.DEBUG):
        built = build_package(thread, None, media_dir=None, work_dir=tmp_path, exported_at=EXPORTED, ctx=context())
    assert len(built.screening.hits) == 4
    logged = caplog.text + "\n".join(map(str, built.warnings))
    assert "screening: 4 treff" in caplog.text
    for secret in (number, "010185", "41234567", "kari.nordmann", "demens", "Åse Ødegård", "(fjernet tekst)"):
        assert secret not in logged


def test_settings_carry_the_skjerming_and_the_word_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    words = tmp_path / "ord.toml"
    words.write_text("version = 'lokal-1'\n[helse]\nterms = ['forkjølelse{,n}']\n", encoding="utf-8")
    monkeypatch.setenv("SOMEARKIV_SKJERMINGSHJEMMEL", "Offl. § 13 jf. pasjrl. § 3-6")
    monkeypatch.setenv("SOMEARKIV_SKJERMING_TILGANGSRESTRIKSJON", "13")
    monkeypatch.setenv("SOMEARKIV_SCREENING_WORDLIST", str(words))
    settings = Settings()
    assert settings.noark().skjermingshjemmel == "Offl. § 13 jf. pasjrl. § 3-6"
    thread = make_thread(comments=[Item(id="c1", author=INNBYGGER, created_at=T0, text="Jeg har forkjølelsen")])
    built = build_package(
        thread, None, media_dir=None, work_dir=tmp_path / "w", exported_at=EXPORTED, ctx=settings.noark(),
        screening=settings.screening(),
    )  # fmt: skip
    assert [h.kind.value for h in built.screening.hits] == ["helse"]
    assert built.screening.rules_version.endswith("ordliste-lokal-1")
    assert "pasjrl. § 3-6" in (built.directory / "arkivstruktur.xml").read_text(encoding="utf-8")
    monkeypatch.setenv("SOMEARKIV_SCREENING_WORDLIST", str(tmp_path / "mangler.toml"))
    with pytest.raises(ConfigError, match="ordlisten"):
        build_package(thread, None, media_dir=None, work_dir=tmp_path / "x", exported_at=EXPORTED,
                      ctx=settings.noark(), screening=Settings().screening())  # fmt: skip
