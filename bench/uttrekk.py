"""Benchmark: write a synthetic uttrekk with N journalposter, then validate it with ``validate_path``.

The writer streams arkivstruktur.xml and both journals (one journalpost in memory at a time); the uttrekk
gets one small document file per journalpost, an endringslogg, the schemas and arkivuttrekk.xml, so
``validate_path`` runs every rule (XSD while streaming, checksums of every file, journals, ADDML).
Writing and validating each run in a fresh subprocess so each peak RSS is its own; flat memory across
1k/10k/100k shows both hold one journalpost at a time. Usage:
``python bench/uttrekk.py [--sizes 1000 10000 100000]``.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from noark import codes  # noqa: E402
from noark.addml import DescribedFile, ExtractionInfo, arkivuttrekk_bytes  # noqa: E402
from noark.arkivstruktur import ArkivHeader, open_arkiv, open_mappe, registrering_element  # noqa: E402
from noark.endringslogg import LOGG, Endring, endring_element  # noqa: E402
from noark.journal import LOEPENDE, OFFENTLIG, JournalEntry, journalhode, loepende_entry, offentlig_entry  # noqa: E402
from noark.mapping import build_mappe, build_registrering  # noqa: E402
from noark.testing import sample_context, sample_flag, sample_thread  # noqa: E402
from noark.uttrekk import SCHEMA_FILES  # noqa: E402
from noark.xsd import SCHEMAS  # noqa: E402
from schemas.package import PackageFile, sha256_file  # noqa: E402


def _uuid(kind: int, i: int) -> str:
    return f"00000000-0000-4000-{8000 + kind:04d}-{i:012d}"


def write(n: int, out_dir: Path, xsd_dir: Path) -> None:
    ctx = sample_context()
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    thread = sample_thread("0")
    files = [
        PackageFile(
            path="DOKUMENT/x.pdf", size=1000, sha256="a" * 64, role="hoveddokument", mime_type="application/pdf"
        )
    ]
    template = build_registrering(
        thread, sample_flag(thread), files, capture_sha256="b" * 64, exported_at=start, ctx=ctx
    )
    template = replace(template, journalstatus=codes.JOURNALSTATUS_ARKIVERT)
    doc_template = template.dokumentbeskrivelser[0]
    mappe = build_mappe(thread, sample_flag(thread), exported_at=start, ctx=ctx)
    header = ArkivHeader(
        start, start + timedelta(days=365), codes.ARKIVSTATUS_AVSLUTTET, codes.ARKIVDELSTATUS_AVSLUTTET
    )
    (out_dir / "DOKUMENT").mkdir(parents=True)
    with (
        etree.xmlfile(str(out_dir / "arkivstruktur.xml"), encoding="utf-8") as arkiv,
        etree.xmlfile(str(out_dir / "loependeJournal.xml"), encoding="utf-8") as loepende,
        etree.xmlfile(str(out_dir / "offentligJournal.xml"), encoding="utf-8") as offentlig,
    ):
        for xf in (arkiv, loepende, offentlig):
            xf.write_declaration()
        with (
            open_arkiv(arkiv, ctx, header),
            open_mappe(arkiv, mappe),
            loepende.element(LOEPENDE.tag("loependeJournal"), nsmap=LOEPENDE.nsmap),
            offentlig.element(OFFENTLIG.tag("offentligJournal"), nsmap=OFFENTLIG.nsmap),
        ):
            for xf, builder in ((loepende, LOEPENDE), (offentlig, OFFENTLIG)):
                hode = builder.element("journalhode")
                for child in journalhode(builder, start.date(), start.date(), n, (ctx.arkivskaper, ctx.municipality)):
                    hode.append(child)
                xf.write(hode)
            mappe_el = etree.fromstring(
                b'<mappe xmlns="http://www.arkivverket.no/standarder/noark5/arkivstruktur"><mappeID>2026/1042'
                b"</mappeID><tittel>Sak</tittel><saksaar>2026</saksaar><sakssekvensnummer>1042</sakssekvensnummer>"
                b"</mappe>"
            )
            for i in range(1, n + 1):
                data = b"%PDF-1.7 synthetic " + str(i).encode()
                ref = f"DOKUMENT/{i}.pdf"
                (out_dir / ref).write_bytes(data)
                obj = replace(
                    doc_template.dokumentobjekter[0],
                    system_id=_uuid(2, i),
                    referanse_dokumentfil=ref,
                    sjekksum=hashlib.sha256(data).hexdigest(),
                    filstoerrelse=len(data),
                )
                doc = replace(doc_template, system_id=_uuid(1, i), dokumentobjekter=(obj,))
                jp = replace(
                    template,
                    system_id=_uuid(0, i),
                    dokumentbeskrivelser=(doc,),
                    journalsekvensnummer=i,
                    journalpostnummer=i,
                    tittel=f"Tråd {i}",
                )
                element = registrering_element(jp)
                arkiv.write(element)
                entry = JournalEntry.from_elements(mappe_el, element)
                loepende.write(loepende_entry(entry))
                offentlig.write(offentlig_entry(entry))
    with etree.xmlfile(str(out_dir / "endringslogg.xml"), encoding="utf-8") as logg:
        logg.write_declaration()
        with logg.element(LOGG.tag("endringslogg"), nsmap=LOGG.nsmap):
            logg.write(
                endring_element(
                    Endring(
                        ctx.arkiv_system_id,
                        "arkivstatus",
                        start,
                        ctx.archivist,
                        codes.ARKIVSTATUS_OPPRETTET,
                        codes.ARKIVSTATUS_AVSLUTTET,
                    )
                )
            )
    for name in SCHEMA_FILES:
        shutil.copyfile(xsd_dir / SCHEMAS[name], out_dir / Path(SCHEMAS[name]).name)
    sha = {p.name: sha256_file(p) for p in out_dir.glob("*.x*")}
    counts = {
        "arkivstruktur.xml": dict.fromkeys(("registrering", "journalpost", "dokumentbeskrivelse", "dokumentobjekt"), n)
        | {"mappe": 1, "saksmappe": 1},
        "endringslogg.xml": {"endring": 1},
        "loependeJournal.xml": {"journalregistrering": n},
        "offentligJournal.xml": {"journalregistrering": n},
    }
    described = [
        DescribedFile(
            name,
            sha[name],
            [
                (f"{Path(name).stem}.xsd", "main", sha[f"{Path(name).stem}.xsd"]),
                ("metadatakatalog.xsd", None, sha["metadatakatalog.xsd"]),
            ],
            file_counts,
        )
        for name, file_counts in counts.items()
    ]
    (out_dir / "arkivuttrekk.xml").write_bytes(
        arkivuttrekk_bytes(
            described,
            municipality=ctx.municipality,
            system_name=ctx.system_name,
            archive=ctx.arkiv_title,
            period=(date(2026, 1, 1), date(2026, 12, 31)),
            info=ExtractionInfo(antall_dokumentfiler=n, inneholder_skjermet_informasjon=False),
        )
    )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(phase: str, n: int, folder: Path) -> None:
    from pipeline.settings import Settings

    xsd_dir = Settings().require_xsd_dir()
    began = time.perf_counter()
    if phase == "write":
        write(n, folder, xsd_dir)
        size = sum(p.stat().st_size for p in folder.glob("*.xml"))
        extra = f"XML {size / 1e6:7.1f} MB"
    else:
        from noark.validate import validate_path

        report = validate_path(folder, xsd_dir)
        if not report.ok:
            print(report.to_text()[:2000])
            raise SystemExit(1)
        extra = f"OK, {len(report.warnings)} warnings"
    elapsed = time.perf_counter() - began
    print(f"{n:>8} journalposter  {phase:<8} {elapsed:7.2f} s  peak RSS {_peak_mb():7.1f} MB  {extra}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        phase, n, folder = args.child
        child(phase, int(n), Path(folder))
        return
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "uttrekk"
            folder.mkdir()
            for phase in ("write", "validate"):
                subprocess.run([sys.executable, __file__, "--child", phase, str(n), str(folder)], check=True)


if __name__ == "__main__":
    main()
