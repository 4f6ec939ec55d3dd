"""What the package page shows: a verified local copy, page images, the Noark metadata, fixity and validation.

A package is copied from the bucket into the web cache once (each file checked against its manifest entry
while it is copied), so page images and the validation report are made from exactly the archived bytes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from noark.validate import validate_path
from schemas.errors import IntegrityError, RenderError
from schemas.package import MANIFEST_NAME, Manifest
from storage.base import Sink, check_package_id, check_package_path
from storage.fixity import finding_text, verify_package

PDFTOPPM = "pdftoppm"
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
N5 = "{http://www.arkivverket.no/standarder/noark5/arkivstruktur}"
# Noark entities shown on the package page, and the fields of each worth reading.
NOARK_SECTIONS: dict[str, tuple[str, ...]] = {
    "arkivdel": ("tittel", "arkivdelstatus", "systemID"),
    "mappe": ("mappeID", "tittel", "saksaar", "sakssekvensnummer", "saksdato", "saksansvarlig",
              "administrativEnhet", "saksstatus", "offentligTittel"),
    "registrering": ("registreringsID", "tittel", "journalaar", "journalsekvensnummer", "journalpostnummer",
                     "journalposttype", "journalstatus", "journaldato", "offentligTittel"),
    "dokumentbeskrivelse": ("dokumenttype", "dokumentstatus", "tittel", "tilknyttetRegistreringSom",
                            "dokumentnummer"),
    "skjerming": ("tilgangsrestriksjon", "skjermingshjemmel", "skjermingMetadata", "skjermingDokument"),
}


@dataclass
class PackageView:
    manifest: Manifest
    folder: Path
    pdf_path: str | None
    pages: int
    redacted_path: str | None = None  # DOKUMENT/<id>-skjermet.pdf: the variant with skjermet content removed
    redacted_pages: int = 0
    noark: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    fixity_problems: list[str] = field(default_factory=list)
    validation_text: str = ""
    validation_ok: bool = True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def local_copy(sink: Sink, package_id: str, cache_dir: Path) -> tuple[Manifest, Path]:
    """The package's files in ``cache_dir/<id>/``, each checked against the manifest (copied once)."""
    check_package_id(package_id)
    folder = cache_dir / "packages" / package_id
    manifest = sink.read_manifest(package_id)
    done = folder / ".complete"
    if done.is_file():
        return manifest, folder
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    for entry in manifest.files:
        check_package_path(package_id, entry.path)
        target = partial / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        with sink.open_file(package_id, entry.path) as stream, target.open("wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
        if _sha256(target) != entry.sha256:
            shutil.rmtree(partial, ignore_errors=True)
            raise IntegrityError(f"pakke {package_id}: {entry.path} stemmer ikke med manifestet")
    (partial / MANIFEST_NAME).write_bytes(sink.read_bytes(package_id, MANIFEST_NAME))
    (partial / ".complete").write_text("ok")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return manifest, folder


def page_count(pdf: Path) -> int:
    import pikepdf

    with pikepdf.open(pdf) as document:
        return len(document.pages)


def page_image(folder: Path, pdf_path: str, page: int, dpi: int, variant: str = "full") -> Path:
    """PNG of one page of the thread document (``variant`` names the cache file), rendered with poppler's
    pdftoppm and cached."""
    out_dir = folder.parent.parent / "pages" / folder.name
    target = out_dir / f"{variant}-side-{page}.png"
    if target.is_file():
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"render-{variant}-{page}"
    try:
        subprocess.run(
            [PDFTOPPM, "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
             str(folder / pdf_path), str(stem)],
            check=True, capture_output=True, timeout=60,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        raise RenderError(f"side {page} kunne ikke vises: {type(exc).__name__}") from exc
    stem.with_suffix(".png").rename(target)
    return target


def noark_table(arkivstruktur: Path) -> list[tuple[str, list[tuple[str, str]]]]:
    """Readable sections (arkivdel, saksmappe, journalpost, dokumentbeskrivelse, skjerming) of arkivstruktur.xml."""
    tree = etree.parse(str(arkivstruktur), XML_PARSER)
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    for element in tree.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(N5):
            continue
        name = element.tag.removeprefix(N5)
        wanted = NOARK_SECTIONS.get(name)
        if wanted is None:
            continue
        kind = element.get("{http://www.w3.org/2001/XMLSchema-instance}type") or name
        rows = [(child.tag.removeprefix(N5), (child.text or "").strip())
                for child in element if isinstance(child.tag, str) and child.tag.removeprefix(N5) in wanted]
        if rows:
            sections.append((kind, rows))
    return sections


def public_noark(sections: list[tuple[str, list[tuple[str, str]]]], safe_title: str
                 ) -> list[tuple[str, list[tuple[str, str]]]]:
    """The Noark table for a role without access to skjermet content: every ``tittel`` but the arkivdel's is
    the section's ``offentligTittel`` (hits masked) or else ``safe_title``."""
    shown = []
    for kind, rows in sections:
        public = dict(rows).get("offentligTittel")
        replacement = public if public is not None else safe_title
        shown.append((kind, [(name, replacement if name == "tittel" and kind != "arkivdel" else value)
                             for name, value in rows]))
    return shown


def build_view(sink: Sink, package_id: str, cache_dir: Path, xsd_dir: Path | None) -> PackageView:
    manifest, folder = local_copy(sink, package_id, cache_dir)
    pdf = next((f.path for f in manifest.files if f.role == "hoveddokument"), None)
    redacted = next((f.path for f in manifest.files if f.role == "skjermet"), None)
    view = PackageView(manifest=manifest, folder=folder, pdf_path=pdf,
                       pages=page_count(folder / pdf) if pdf else 0, redacted_path=redacted,
                       redacted_pages=page_count(folder / redacted) if redacted else 0)
    if (folder / "arkivstruktur.xml").is_file():
        view.noark = noark_table(folder / "arkivstruktur.xml")
    view.fixity_problems = [finding_text(p) for p in verify_package(sink, package_id, check_locks=False).problems]
    report_file = folder.parent.parent / "reports" / f"{package_id}.json"
    if xsd_dir is not None:
        if report_file.is_file():
            cached = json.loads(report_file.read_text(encoding="utf-8"))
        else:
            report = validate_path(folder, xsd_dir)
            cached = {"text": report.to_text(), "ok": report.ok}
            report_file.parent.mkdir(parents=True, exist_ok=True)
            report_file.write_text(json.dumps(cached, ensure_ascii=False), encoding="utf-8")
        view.validation_text, view.validation_ok = cached["text"], cached["ok"]
    return view
