"""Hostile packages and uttrekk for ``validate``: entities, XXE, huge and deep XML, path tricks, symlinks.

Each case goes through ``validate_path`` and, for the ones that used to kill the process (exit 139), through
``somearkiv validate`` in a subprocess: a finding and exit status 1, never a crash and never a read outside
the folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from noark.safexml import XmlLimits
from noark.testing import FAKE_PNG, sample_context, sample_flag, sample_thread, write_package
from noark.uttrekk import UttrekkError, build_uttrekk
from noark.validate import validate_path
from storage.local import LocalSink

EXPORTED = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def package(tmp_path: Path) -> Path:
    thread = sample_thread(screenshot_sha256=hashlib.sha256(FAKE_PNG).hexdigest())
    manifest = write_package(
        tmp_path / "bucket",
        thread,
        sample_flag(thread),
        exported_at=EXPORTED,
        ctx=sample_context(),
        with_screenshot=True,
    )
    return Path(shutil.copytree(tmp_path / "bucket" / manifest.package_id, tmp_path / "package"))


@pytest.fixture
def uttrekk(package: Path, tmp_path: Path, xsd_dir: Path) -> Path:
    result = build_uttrekk(
        LocalSink(package.parent / "bucket"),
        tmp_path / "uttrekk",
        ctx=sample_context(),
        xsd_dir=xsd_dir,
        date_from=EXPORTED.date(),
        date_to=EXPORTED.date(),
        now=EXPORTED,
    )
    assert result.report.ok, result.report.to_text()
    return result.out_dir


def _cli_validate(path: Path, xsd_dir: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SOMEARKIV_XSD_DIR=str(xsd_dir))
    return subprocess.run(
        [sys.executable, "-c", "from somearkiv.cli import app; app()", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
        check=False,
    )


def _with_prolog(path: Path, prolog: str, body_edit: tuple[str, str] | None = None) -> None:
    text = path.read_text(encoding="utf-8").split("\n", 1)[1]  # drop the XML declaration
    if body_edit:
        text = text.replace(*body_edit, 1)
    path.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}\n{text}', encoding="utf-8")


BILLION_LAUGHS = (
    '<!DOCTYPE arkiv [<!ENTITY a "lol">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    + "]>"
)
HOSTILE_PROLOGS = {
    "internal-entity": ('<!DOCTYPE x [<!ENTITY a "x">]>', None),
    "internal-entity-used": ('<!DOCTYPE arkiv [<!ENTITY a "x">]>', ("<tittel>", "<tittel>&a;")),
    "billion-laughs": (BILLION_LAUGHS, ("<tittel>", "<tittel>&j;")),
    "xxe-file": ('<!DOCTYPE arkiv [<!ENTITY x SYSTEM "file:///etc/passwd">]>', ("<tittel>", "<tittel>&x;")),
    "xxe-parameter": ('<!DOCTYPE arkiv [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>', None),
    "external-dtd": ('<!DOCTYPE arkiv SYSTEM "http://127.0.0.1:9/evil.dtd">', None),
    "doctype-after-comment": ('<!-- a comment --><?pi x?>\n<!DOCTYPE x [<!ENTITY a "x">]>', None),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_PROLOGS))
def test_doctype_and_entities_are_a_finding_not_a_crash(package, xsd_dir, case):
    prolog, edit = HOSTILE_PROLOGS[case]
    _with_prolog(package / "arkivstruktur.xml", prolog, edit)
    report = validate_path(package, xsd_dir)
    assert report.rules() == {"xml-safety"}, report.to_text()
    assert "DOCTYPE" in report.errors[0].message and "root:" not in report.to_text()


@pytest.mark.parametrize("case", ["internal-entity", "billion-laughs", "xxe-file"])
def test_cli_validate_does_not_crash_on_entities(package, xsd_dir, case):
    prolog, edit = HOSTILE_PROLOGS[case]
    _with_prolog(package / "arkivstruktur.xml", prolog, edit)
    done = _cli_validate(package, xsd_dir)
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "xml-safety" in done.stdout and "Traceback" not in done.stderr
    assert "root:" not in done.stdout  # /etc/passwd was not read


def test_doctype_in_utf16_is_refused(package, xsd_dir):
    text = package.joinpath("arkivstruktur.xml").read_text(encoding="utf-8").split("\n", 1)[1]
    data = ('<?xml version="1.0" encoding="utf-16"?>\n<!DOCTYPE x [<!ENTITY a "x">]>\n' + text).encode("utf-16")
    package.joinpath("arkivstruktur.xml").write_bytes(data)
    assert validate_path(package, xsd_dir).rules() == {"xml-safety"}


def test_doctype_in_an_uttrekk_journal_and_endringslogg(uttrekk, xsd_dir):
    for name in ("loependeJournal.xml", "endringslogg.xml", "arkivuttrekk.xml"):
        _with_prolog(uttrekk / name, BILLION_LAUGHS)
    report = validate_path(uttrekk, xsd_dir)
    safety = [f for f in report.errors if f.rule == "xml-safety"]
    assert sorted(f.where for f in safety) == ["arkivuttrekk.xml", "endringslogg.xml", "loependeJournal.xml"]


def test_cli_validate_uttrekk_with_entities_in_every_file(uttrekk, xsd_dir):
    for name in ("arkivstruktur.xml", "offentligJournal.xml", "arkivuttrekk.xml"):
        _with_prolog(uttrekk / name, '<!DOCTYPE x [<!ENTITY a "x">]>')
    done = _cli_validate(uttrekk, xsd_dir)
    assert done.returncode == 1 and "xml-safety" in done.stdout, (done.stdout, done.stderr)


def test_huge_file_is_refused_by_the_size_limit(package, xsd_dir):
    size = (package / "arkivstruktur.xml").stat().st_size
    report = validate_path(package, xsd_dir, limits=XmlLimits(max_streamed_bytes=size - 1))
    assert report.rules() == {"xml-safety"} and "for stor" in report.errors[0].message


def test_huge_arkivuttrekk_is_refused_by_the_small_file_limit(uttrekk, xsd_dir):
    size = (uttrekk / "arkivuttrekk.xml").stat().st_size
    report = validate_path(uttrekk, xsd_dir, limits=XmlLimits(max_small_bytes=size - 1))
    assert [f.where for f in report.errors if f.rule == "xml-safety"] == ["arkivuttrekk.xml"]


def test_deep_nesting_is_a_finding(package, xsd_dir):
    depth = 100_000
    _with_prolog(package / "arkivstruktur.xml", "", ("<tittel>", "<tittel>" + "<x>" * depth + "</x>" * depth))
    report = validate_path(package, xsd_dir)
    assert report.rules() == {"xsd"} and any("for dyp nesting" in f.message for f in report.errors)


def test_cli_validate_deep_nesting(package, xsd_dir):
    depth = 200_000
    _with_prolog(package / "arkivstruktur.xml", "", ("<tittel>", "<tittel>" + "<x>" * depth + "</x>" * depth))
    done = _cli_validate(package, xsd_dir)
    assert done.returncode == 1 and "for dyp nesting" in done.stdout, (done.stdout, done.stderr)


def test_huge_text_node_is_a_finding(package, xsd_dir):
    _with_prolog(package / "arkivstruktur.xml", "", ("<tittel>", "<tittel>" + "x" * 11_000_000))
    report = validate_path(package, xsd_dir)
    assert report.rules() == {"xsd"}, report.to_text()


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\xff\xfe garbage", b"<arkiv", "<arkiv>\udcff</arkiv>".encode("utf-8", "surrogatepass"), b"<a>\x07</a>"],
    ids=["empty", "binary", "truncated", "lone-surrogate", "control-char"],
)
def test_not_xml_at_all(package, xsd_dir, data):
    (package / "arkivstruktur.xml").write_bytes(data)
    report = validate_path(package, xsd_dir)
    assert report.rules() == {"xsd"} and any(f.message.startswith("ikke velformet XML") for f in report.errors)


# --- paths from the input -------------------------------------------------------------------------------------


def _reference(package: Path, old: str, new: str) -> None:
    path = package / "arkivstruktur.xml"
    text = path.read_text(encoding="utf-8")
    assert f"<referanseDokumentfil>{old}<" in text
    path.write_text(text.replace(f"<referanseDokumentfil>{old}<", f"<referanseDokumentfil>{new}<"), encoding="utf-8")


def _outside_copy(tmp_path_factory: pytest.TempPathFactory, package: Path) -> Path:
    """A file outside the package with exactly the screenshot's bytes: hashing it would find nothing wrong."""
    outside = tmp_path_factory.mktemp("outside") / "shot.png"
    outside.write_bytes((package / "DOKUMENT" / "vedlegg-shot1.png").read_bytes())
    return outside


def test_absolute_reference_is_refused(package, xsd_dir, tmp_path_factory):
    outside = _outside_copy(tmp_path_factory, package)
    (package / "DOKUMENT" / "vedlegg-shot1.png").unlink()
    _reference(package, "DOKUMENT/vedlegg-shot1.png", str(outside))
    report = validate_path(package, xsd_dir)
    assert report.rules() == {"unsafe-path"} and "absolutt sti" in report.errors[0].message


def test_dotdot_reference_is_refused(package, xsd_dir, tmp_path_factory):
    outside = _outside_copy(tmp_path_factory, package)
    (package / "DOKUMENT" / "vedlegg-shot1.png").unlink()
    rel = os.path.relpath(outside, package)
    _reference(package, "DOKUMENT/vedlegg-shot1.png", rel)
    assert validate_path(package, xsd_dir).rules() == {"unsafe-path"}


def test_symlink_out_of_the_package_is_refused(package, xsd_dir, tmp_path_factory):
    outside = _outside_copy(tmp_path_factory, package)
    (package / "DOKUMENT" / "vedlegg-shot1.png").unlink()
    os.symlink(outside, package / "DOKUMENT" / "vedlegg-shot1.png")
    report = validate_path(package, xsd_dir)
    assert report.rules() == {"unsafe-path"} and "symbolsk lenke" in report.errors[0].message


def test_symlink_inside_the_package_is_followed(package, xsd_dir):
    (package / "DOKUMENT" / "vedlegg-shot1.png").rename(package / "DOKUMENT" / "real.png")
    os.symlink("real.png", package / "DOKUMENT" / "vedlegg-shot1.png")
    report = validate_path(package, xsd_dir)
    assert report.rules() == {"unreferenced-file"}  # real.png itself is referenced by nothing


def test_arkivstruktur_symlinked_out_of_the_package_is_not_read(package, xsd_dir, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "arkivstruktur.xml"
    shutil.move(package / "arkivstruktur.xml", outside)
    os.symlink(outside, package / "arkivstruktur.xml")
    report = validate_path(package, xsd_dir)
    assert report.rules() == {"unsafe-path"}


def test_cli_never_opens_a_file_outside_the_package(package, xsd_dir, tmp_path_factory):
    """A FIFO outside the package: opening it would block, so a timeout here means the validator read it."""
    fifo = tmp_path_factory.mktemp("outside") / "fifo.png"
    os.mkfifo(fifo)
    (package / "DOKUMENT" / "vedlegg-shot1.png").unlink()
    _reference(package, "DOKUMENT/vedlegg-shot1.png", str(fifo))
    done = _cli_validate(package, xsd_dir, timeout=60)
    assert done.returncode == 1 and "unsafe-path" in done.stdout, (done.stdout, done.stderr)


def test_addml_names_outside_the_uttrekk_are_refused(uttrekk, xsd_dir):
    path = uttrekk / "arkivuttrekk.xml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("<value>endringslogg.xsd</value>", "<value>/etc/passwd</value>", 1), encoding="utf-8")
    report = validate_path(uttrekk, xsd_dir)
    assert "unsafe-path" in report.rules() and "/etc/passwd" in report.to_text()


def test_addml_with_nonsense_counts_is_a_finding(uttrekk, xsd_dir):
    path = uttrekk / "arkivuttrekk.xml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('dataType="integer">\n', 'dataType="integer">\n', 1).replace(
            "<value>3</value>", "<value>tre</value>", 1
        ),
        encoding="utf-8",
    )
    report = validate_path(uttrekk, xsd_dir)
    assert not report.ok  # the changed count and checksum are findings; nothing raised


# --- the uttrekk reads packages from a bucket: the same rules ----------------------------------------------


def test_uttrekk_refuses_a_package_with_entities(package, tmp_path, xsd_dir):
    bucket_copy = next((package.parent / "bucket").iterdir())
    _with_prolog(bucket_copy / "arkivstruktur.xml", BILLION_LAUGHS, ("<tittel>", "<tittel>&j;"))
    with pytest.raises(UttrekkError, match="DOCTYPE"):
        build_uttrekk(
            LocalSink(package.parent / "bucket"),
            tmp_path / "u",
            ctx=sample_context(),
            xsd_dir=xsd_dir,
            date_from=EXPORTED.date(),
            date_to=EXPORTED.date(),
        )


@pytest.mark.parametrize("ref", ["/etc/passwd", "DOKUMENT/../manifest.json", "capture/thread.json"])
def test_uttrekk_copies_only_files_under_dokument(package, tmp_path, xsd_dir, ref):
    bucket_copy = next((package.parent / "bucket").iterdir())
    _reference(bucket_copy, "DOKUMENT/vedlegg-shot1.png", ref)
    with pytest.raises(UttrekkError, match="ikke en fil under DOKUMENT/"):
        build_uttrekk(
            LocalSink(package.parent / "bucket"),
            tmp_path / "u",
            ctx=sample_context(),
            xsd_dir=xsd_dir,
            date_from=EXPORTED.date(),
            date_to=EXPORTED.date(),
        )


@pytest.mark.parametrize(
    ("ref", "rule"),
    [
        ("DOKUMENT/" + "x" * 300 + ".png", "dokumentfil-missing"),  # a name over 255 bytes
        ("DOKUMENT/" + "æ" * 200 + ".png", "dokumentfil-missing"),
        ("DOKUMENT/loop.png", "dokumentfil-missing"),  # a symlink loop
        ("DOKUMENT/\u202evedlegg.png", "dokumentfil-missing"),  # RTL override, no such file
        ("DOKUMENT/a\tb.png", "unsafe-path"),  # a control character
        ("DOKUMENT", "dokumentfil-missing"),  # a folder, not a file
    ],
    ids=["long-name", "long-utf8-name", "symlink-loop", "rtl-override", "control-char", "folder"],
)
def test_odd_references_are_findings(package, xsd_dir, ref, rule):
    os.symlink("loop.png", package / "DOKUMENT" / "loop.png")
    _reference(package, "DOKUMENT/vedlegg-shot1.png", ref)
    report = validate_path(package, xsd_dir)
    assert rule in report.rules() and report.rules() <= {rule, "unreferenced-file"}, report.to_text()
