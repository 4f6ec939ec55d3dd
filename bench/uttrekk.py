"""Benchmark: stream a synthetic arkivstruktur.xml + loependeJournal.xml with N journalposter.

Each size runs in a fresh subprocess so its peak RSS is its own; flat memory across 1k/10k/100k shows the
writers hold one journalpost at a time. Usage: ``python bench/uttrekk.py [--sizes 1000 10000 100000]``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from noark import codes  # noqa: E402
from noark.arkivstruktur import ArkivHeader, journalpost_element, open_arkiv, open_mappe  # noqa: E402
from noark.journal import LOEPENDE, JournalEntry, journalhode, loepende_entry  # noqa: E402
from noark.mapping import build_journalpost, build_mappe  # noqa: E402
from noark.testing import sample_context, sample_flag, sample_thread  # noqa: E402
from schemas.package import PackageFile  # noqa: E402


def write(n: int, out_dir: Path) -> None:
    ctx = sample_context()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    thread = sample_thread("0")
    files = [
        PackageFile(
            path="DOKUMENT/x.pdf", size=1000, sha256="a" * 64, role="hoveddokument", mime_type="application/pdf"
        )
    ]
    template = build_journalpost(
        thread, sample_flag(thread), files, capture_sha256="b" * 64, exported_at=start, ctx=ctx
    )
    mappe = build_mappe(thread, sample_flag(thread), exported_at=start, ctx=ctx)
    header = ArkivHeader(
        start, start + timedelta(days=365), codes.ARKIVSTATUS_AVSLUTTET, codes.ARKIVDELSTATUS_AVSLUTTET
    )
    with (
        etree.xmlfile(str(out_dir / "arkivstruktur.xml"), encoding="utf-8") as arkiv,
        etree.xmlfile(str(out_dir / "loependeJournal.xml"), encoding="utf-8") as journal,
    ):
        arkiv.write_declaration()
        journal.write_declaration()
        with (
            open_arkiv(arkiv, ctx, header),
            open_mappe(arkiv, mappe),
            journal.element(LOEPENDE.tag("loependeJournal"), nsmap=LOEPENDE.nsmap),
        ):
            hode = LOEPENDE.element("journalhode")
            for child in journalhode(LOEPENDE, start.date(), start.date(), n, (ctx.arkivskaper, ctx.municipality)):
                hode.append(child)
            journal.write(hode)
            mappe_el = etree.fromstring(
                b'<mappe xmlns="http://www.arkivverket.no/standarder/noark5/arkivstruktur"><mappeID>2026/1042'
                b"</mappeID><tittel>Sak</tittel><saksaar>2026</saksaar><sakssekvensnummer>1042</sakssekvensnummer>"
                b"</mappe>"
            )
            for i in range(1, n + 1):
                jp = replace(
                    template,
                    system_id=f"00000000-0000-4000-8000-{i:012d}",
                    journalsekvensnummer=i,
                    journalpostnummer=i,
                    tittel=f"Tråd {i}",
                )
                element = journalpost_element(jp)
                arkiv.write(element)
                journal.write(loepende_entry(JournalEntry.from_elements(mappe_el, element)))


def child(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        write(n, Path(tmp))
        elapsed = time.perf_counter() - began
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n:>8} journalposter  {elapsed:7.2f} s  peak RSS {peak_mb:7.1f} MB  output {size / 1e6:7.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    for n in args.sizes:
        subprocess.run([sys.executable, __file__, "--child", str(n)], check=True)


if __name__ == "__main__":
    main()
