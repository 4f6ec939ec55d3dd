"""Benchmark: thread → PDF/A with reportlab vs the same thread as HTML printed by headless Chromium.

    python bench/pdf.py [--sizes 10,300,5000,20000] [--workers 1,2] [--huge] [--repeat 3]
                        [--chromium-timeout 600] [--no-chromium] [--no-capture] [--compare CHECKOUT]

Each measurement runs in a fresh subprocess (so peak RSS is that render's own; ``ru_maxrss``), ``--repeat``
times; ``seconds`` is the median (the machine is noisy), peak RSS the largest of the runs. Threads are
synthetic Norwegian text with æøå, Sámi letters and some emoji; every 4th comment is a reply.
``--huge`` adds a 50,000-comment thread (reportlab only).

First table: ``render_thread_pdf`` of an in-memory ``Thread`` (the production path, ``build_package``)
against Chromium. Second table (unless ``--no-capture``): ``render_capture_pdf`` of the same thread written
as a capture file (``capture/thread.json`` bytes, streamed out comment by comment by the parent, never a
whole model), which streams the file into a SQLite store and keeps no per-comment state: its peak RSS
should not grow with the thread. ``capture`` is the file's size, ``input`` there the RSS once the renderer
is imported (before the render), ``same PDF`` whether the bytes equal the first table's.

Columns: ``input`` is the peak RSS once the synthetic thread exists (the input itself, before rendering);
``peak RSS`` the peak of the rendering process; ``worker`` the largest peak of a chunk worker process (0 when
the thread is one chunk rendered in-process). Workers are forked, so their RSS includes pages shared with
the parent.

``--workers`` takes one or more chunk worker counts (``RenderOptions.workers``); each is a separate table row set. A
row ends in ``DIFFERENT BYTES`` when its PDF differs between runs or from the first worker count's.
``--compare CHECKOUT`` also times the renderer of another checkout (say ``git worktree add /tmp/old <commit>``)
run by run in turn with this one, so both see the same load on a shared machine: ``other s`` is its median,
``vs other`` its seconds over ours. ``load`` is the 1-minute load average when the row ends.

Production renders sequentially (inside Prefect, a multi-threaded process, the fork pool is never used), so
``--workers 1`` is the figure that matters there. Chromium runs (``--repeat`` times) once per size; each row
compares with it.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from schemas.capture import write_capture  # noqa: E402
from schemas.thread import Account, Author, Item, Platform, Thread  # noqa: E402

WORDS = (  # noqa: SIM905
    "kommunen skolen barnehagen vei brøyting høring innspill budsjett fjord ærlig østlandet åpen møte "
    "bibliotek idrettshall parkering kollektivtrafikk sykkelvei strøm vann avløp renovasjon helse "
    "sámi čáhci đuoddji ŋ šiella ŧ žiŋŋa takk spørsmål svar beslutning vedtak klage"
).split()
EMOJI = ["👍", "😀", "🎉", "❤️", "🇳🇴", "👨‍👩‍👧", "🙏"]
CHROMIUM = "/usr/bin/chromium"


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MUNICIPALITY = Author(id="m", display_name="Fjordvik kommune", is_municipality=True)


def synthetic_items(comments: int, seed: int = 1) -> Iterator[Item]:
    """The comments of the synthetic thread, one at a time."""
    rng = random.Random(seed)
    people = [Author(id=f"u{i}", display_name=name) for i, name in
              enumerate(["Åse Ødegård", "Per Ås", "Ánte Čoarvi", "Kari Nordmann", "Øystein Bø"])]

    def text() -> str:
        words = [rng.choice(WORDS) for _ in range(rng.randint(15, 70))]
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), rng.choice(EMOJI))
        return " ".join(words).capitalize() + "."

    for n in range(comments):
        parent = f"c{n - 1}" if n % 4 == 3 else None
        author = MUNICIPALITY if n % 7 == 6 else rng.choice(people)
        yield Item(id=f"c{n}", parent_id=parent, author=author, created_at=T0 + timedelta(minutes=n),
                   text=text(), reactions=rng.randint(0, 20))


def synthetic_thread(comments: int, seed: int = 1, *, with_comments: bool = True) -> Thread:
    """The synthetic thread (``with_comments=False``: its header only, for ``write_capture``)."""
    return Thread(
        platform=Platform.FACEBOOK,
        account=Account(id="p", name="Fjordvik kommune", owning_unit="Kommunikasjonsavdelingen"),
        thread_id=f"bench-{comments}", url=f"https://www.facebook.com/fjordvik/posts/bench-{comments}",
        post=Item(id="post", author=MUNICIPALITY, created_at=T0, text="Høring: ny skolestruktur på Ås 🏫"),
        comments=list(synthetic_items(comments, seed)) if with_comments else [], captured_at=T0 + timedelta(days=1),
    )


def write_synthetic_capture(comments: int, path: Path) -> None:
    """The synthetic thread's capture bytes, written comment by comment (no whole model in memory)."""
    with path.open("wb") as handle:
        write_capture(handle, synthetic_thread(comments, with_comments=False), synthetic_items(comments))


def thread_html(thread: Thread) -> str:
    """The same content as simple HTML (what a browser-based exporter would print)."""
    from exporters.pdf.story import oslo_time

    depth = thread.depth_of()
    parts = [
        "<!doctype html><html lang='nb'><head><meta charset='utf-8'><style>"
        "body{font-family:'DejaVu Sans',sans-serif;font-size:9.5pt} .m{color:#555;font-size:8.5pt;margin-top:6pt}"
        "</style></head><body>",
        f"<h1>{html.escape(thread.display_title)}</h1><p>{html.escape(thread.url)}</p>",
    ]
    for item in thread.all_items():
        indent = min(depth.get(item.id, 1) - 1, 5) * 14
        parts.append(
            f"<div style='margin-left:{indent}pt'><div class='m'><b>{html.escape(item.author.display_name)}</b> · "
            f"{oslo_time(item.created_at)} · {item.reactions} reaksjoner</div><div>{html.escape(item.text)}</div></div>"
        )
    parts.append("</body></html>")
    return "".join(parts)


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


COVER_ARGS = {"flag_label": "Arkivverdig", "case_number": "2026/1", "journalpost_id": "JP-1",
              "capture_sha256": "0" * 64}


def worker(kind: str, comments: int, out_dir: Path, timeout: float, workers: int = 2) -> dict:
    """Run one render in this (fresh) process and report its measurements."""
    if kind == "capture":
        from exporters.pdf import CoverInfo, RenderOptions, render_capture_pdf

        input_rss = _peak_rss_mb()
        start = time.perf_counter()
        result = render_capture_pdf(out_dir / f"capture-{comments}.json", out_dir / f"cap-{comments}.pdf",
                                    cover=CoverInfo(**COVER_ARGS), media_dir=None,
                                    options=RenderOptions(workers=workers))
        seconds = time.perf_counter() - start
        return {"pages": result.pages, "seconds": seconds, "rss_mb": _peak_rss_mb(), "input_mb": input_rss,
                "worker_mb": _peak_rss_mb(resource.RUSAGE_CHILDREN), "sha256": result.sha256}
    thread = synthetic_thread(comments)
    input_rss = _peak_rss_mb()
    if kind == "reportlab":
        from exporters.pdf import CoverInfo, RenderOptions, render_thread_pdf

        start = time.perf_counter()
        result = render_thread_pdf(thread, out_dir / f"rl-{comments}.pdf", cover=CoverInfo(**COVER_ARGS),
                                   media_dir=None, options=RenderOptions(workers=workers))
        seconds = time.perf_counter() - start
        return {"pages": result.pages, "seconds": seconds, "rss_mb": _peak_rss_mb(), "size": result.size,
                "input_mb": input_rss, "worker_mb": _peak_rss_mb(resource.RUSAGE_CHILDREN), "sha256": result.sha256}
    page = out_dir / f"thread-{comments}.html"
    page.write_text(thread_html(thread), encoding="utf-8")
    pdf = out_dir / f"chromium-{comments}.pdf"
    profile = tempfile.mkdtemp(prefix="bench-chromium-")
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()]
    start = time.perf_counter()
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    seconds = time.perf_counter() - start
    import pypdf

    return {"pages": len(pypdf.PdfReader(pdf).pages), "seconds": seconds,
            "rss_mb": _peak_rss_mb(resource.RUSAGE_CHILDREN), "size": pdf.stat().st_size}


def _merged(runs: list[dict]) -> dict:
    """Runs of one measurement: the median seconds, the largest peak RSS figures, sha256 None when they differ."""
    merged = dict(runs[0])
    merged["seconds"] = statistics.median(r["seconds"] for r in runs)
    if len({r.get("sha256") for r in runs}) > 1:
        merged["sha256"] = None  # not deterministic
    for key in ("rss_mb", "input_mb", "worker_mb"):
        if key in merged:
            merged[key] = max(r[key] for r in runs)
    return merged


def run_interleaved(kind: str, comments: int, out_dir: Path, timeout: float, workers: int = 2, repeat: int = 1,
                    scripts: tuple[Path, ...] = (Path(__file__),)) -> list[dict]:
    """``repeat`` fresh-process runs of each of ``scripts`` (this benchmark, or that of another checkout: its
    ``--worker`` has the same arguments), taking turns so that each sees the same machine load; per script the
    median seconds and the largest peak RSS figures."""
    per_script: list[list[dict]] = [[] for _ in scripts]
    for _ in range(repeat):
        for runs, script in zip(per_script, scripts, strict=True):
            command = [sys.executable, str(script), "--worker", kind, str(comments), str(out_dir), str(timeout),
                       str(workers)]
            done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout + 120,
                                  cwd=script.parent.parent, env={**os.environ, "PYTHONPATH": str(script.parent.parent)})
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            if "timeout" in runs[-1]:
                return [runs[-1] for _ in scripts]
    return [_merged(runs) for runs in per_script]


def run(kind: str, comments: int, out_dir: Path, timeout: float, workers: int = 2, repeat: int = 1) -> dict:
    """``repeat`` fresh-process runs: the median seconds, the largest peak RSS figures."""
    return run_interleaved(kind, comments, out_dir, timeout, workers, repeat)[0]


def capture_table(sizes: list[int], out_dir: Path, timeout: float, repeat: int, model_sha: dict[int, str]) -> None:
    """``render_capture_pdf`` of each size, 1 worker; ``same PDF`` compares with the first table's first row."""
    header = (f"{'comments':>8} {'pages':>6} {'seconds':>8} {'comments/s':>10} {'capture':>8} {'input':>7} "
              f"{'peak RSS':>9} {'same PDF':>8}")
    print("\nrender_capture_pdf (capture file streamed through SQLite, 1 process)")
    print(header)
    print("-" * len(header))
    for comments in sizes:
        capture = out_dir / f"capture-{comments}.json"
        write_synthetic_capture(comments, capture)
        ours = run("capture", comments, out_dir, timeout, 1, repeat)
        same = "-" if comments not in model_sha else "yes" if model_sha[comments] == ours["sha256"] else "NO"
        print(f"{comments:>8} {ours['pages']:>6} {ours['seconds']:>8.2f} {comments / ours['seconds']:>10.0f} "
              f"{capture.stat().st_size / 2**20:>6.0f}MB {ours['input_mb']:>5.0f}MB {ours['rss_mb']:>7.0f}MB "
              f"{same:>8}", flush=True)
        capture.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10,300,5000,20000")
    parser.add_argument("--chromium-timeout", type=float, default=600)
    parser.add_argument("--no-chromium", action="store_true")
    parser.add_argument("--huge", action="store_true", help="also render 50,000 comments (without Chromium)")
    parser.add_argument("--workers", default="1,2", help="chunk worker counts to measure, e.g. 1 or 1,2")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median seconds is shown")
    parser.add_argument("--no-capture", action="store_true", help="skip the render_capture_pdf table")
    parser.add_argument("--compare", type=Path, metavar="CHECKOUT",
                        help="also time the renderer of another checkout (e.g. a git worktree of an older commit), "
                             "taking turns with this one run by run; adds its seconds and this one's speedup over it")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, comments, out_dir, timeout, workers = args.worker
        print(json.dumps(worker(kind, int(comments), Path(out_dir), float(timeout), int(workers))))
        return
    worker_counts = [int(w) for w in args.workers.split(",")]
    use_chromium = not args.no_chromium and Path(CHROMIUM).exists()
    scripts = (Path(__file__).resolve(),)
    if args.compare is not None:
        other = (args.compare / "bench" / "pdf.py").resolve()
        if not other.is_file():
            parser.error(f"--compare: {other} finnes ikke")
        scripts += (other,)
    header = (f"{'workers':>7} {'comments':>8} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'comments/s':>10} "
              f"{'input':>7} {'peak RSS':>9} {'worker':>7} "
              f"{'chromium s':>10} {'chr pages':>9} {'chr RSS':>8} {'speedup':>8}"
              + (f" {'other s':>8} {'vs other':>8}" if len(scripts) > 1 else "") + f" {'load':>5}")
    print(header)
    print("-" * len(header))
    model_sha: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
        sizes = [int(s) for s in args.sizes.split(",")] + ([50_000] if args.huge else [])
        for comments in sizes:
            theirs = None
            if use_chromium and not (args.huge and comments == 50_000):
                theirs = run("chromium", comments, Path(tmp), args.chromium_timeout, repeat=args.repeat)
            for workers in worker_counts:
                ours, *others = run_interleaved("reportlab", comments, Path(tmp), args.chromium_timeout, workers,
                                                args.repeat, scripts)
                first = model_sha.setdefault(comments, ours["sha256"])
                line = (f"{workers:>7} {comments:>8} {ours['pages']:>6} {ours['seconds']:>8.2f} "
                        f"{ours['pages'] / ours['seconds']:>8.1f} {comments / ours['seconds']:>10.0f} "
                        f"{ours['input_mb']:>5.0f}MB {ours['rss_mb']:>7.0f}MB {ours['worker_mb']:>5.0f}MB")
                if theirs is not None and "timeout" in theirs:
                    limit, ratio = theirs["timeout"], theirs["timeout"] / ours["seconds"]
                    line += f" {'>' + str(int(limit)):>10} {'-':>9} {'-':>8} {'>' + format(ratio, '.1f') + 'x':>8}"
                elif theirs is not None:
                    line += (f" {theirs['seconds']:>10.2f} {theirs['pages']:>9} {theirs['rss_mb']:>6.0f}MB "
                             f"{theirs['seconds'] / ours['seconds']:>7.1f}x")
                else:
                    line += f" {'-':>10} {'-':>9} {'-':>8} {'-':>8}"
                for other in others:
                    line += f" {other['seconds']:>8.2f} {other['seconds'] / ours['seconds']:>7.2f}x"
                line += f" {os.getloadavg()[0]:>5.1f}"
                if ours["sha256"] is None or ours["sha256"] != first:  # the same thread must give the same bytes
                    line += "  DIFFERENT BYTES " + ("between runs" if ours["sha256"] is None else
                                                    f"than with {worker_counts[0]} worker(s)")
                print(line, flush=True)
        if not args.no_capture:
            capture_table(sizes, Path(tmp), args.chromium_timeout, args.repeat, model_sha)


if __name__ == "__main__":
    main()
