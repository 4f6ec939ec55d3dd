"""Benchmark: thread → PDF/A with reportlab vs the same thread as HTML printed by headless Chromium.

    python bench/pdf.py [--sizes 10,300,5000,20000] [--workers 1,2] [--huge] [--chromium-timeout 600] [--no-chromium]

Each size runs in a fresh subprocess (so peak RSS is that render's own; ``ru_maxrss``). Threads are
synthetic Norwegian text with æøå, Sámi letters and some emoji; every 4th comment is a reply.
``--huge`` adds a 50,000-comment thread (reportlab only) to show that memory stays flat.

Columns: ``input`` is the peak RSS once the synthetic thread exists (the input itself, before rendering);
``peak RSS`` the peak of the rendering process; ``worker`` the largest peak of a chunk worker process (0 when
the thread is one chunk rendered in-process). Workers are forked, so their RSS includes pages shared with
the parent.

``--workers`` takes one or more chunk worker counts (``render.WORKERS``); each is a separate table row set.
Production renders sequentially (inside Prefect, a multi-threaded process, the fork pool is never used), so
``--workers 1`` is the figure that matters there. Chromium is run once per size and compared with each.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from schemas.thread import Account, Author, Item, Platform, Thread  # noqa: E402

WORDS = (  # noqa: SIM905
    "kommunen skolen barnehagen vei brøyting høring innspill budsjett fjord ærlig østlandet åpen møte "
    "bibliotek idrettshall parkering kollektivtrafikk sykkelvei strøm vann avløp renovasjon helse "
    "sámi čáhci đuoddji ŋ šiella ŧ žiŋŋa takk spørsmål svar beslutning vedtak klage"
).split()
EMOJI = ["👍", "😀", "🎉", "❤️", "🇳🇴", "👨‍👩‍👧", "🙏"]
CHROMIUM = "/usr/bin/chromium"


def synthetic_thread(comments: int, seed: int = 1) -> Thread:
    rng = random.Random(seed)
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    municipality = Author(id="m", display_name="Fjordvik kommune", is_municipality=True)
    people = [Author(id=f"u{i}", display_name=name) for i, name in
              enumerate(["Åse Ødegård", "Per Ås", "Ánte Čoarvi", "Kari Nordmann", "Øystein Bø"])]

    def text() -> str:
        words = [rng.choice(WORDS) for _ in range(rng.randint(15, 70))]
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), rng.choice(EMOJI))
        return " ".join(words).capitalize() + "."

    items: list[Item] = []
    for n in range(comments):
        parent = items[-1].id if n % 4 == 3 else None
        author = municipality if n % 7 == 6 else rng.choice(people)
        items.append(Item(id=f"c{n}", parent_id=parent, author=author, created_at=t0 + timedelta(minutes=n),
                          text=text(), reactions=rng.randint(0, 20)))
    return Thread(
        platform=Platform.FACEBOOK,
        account=Account(id="p", name="Fjordvik kommune", owning_unit="Kommunikasjonsavdelingen"),
        thread_id=f"bench-{comments}", url=f"https://www.facebook.com/fjordvik/posts/bench-{comments}",
        post=Item(id="post", author=municipality, created_at=t0, text="Høring: ny skolestruktur på Ås 🏫"),
        comments=items, captured_at=t0 + timedelta(days=1),
    )


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


def worker(kind: str, comments: int, out_dir: Path, timeout: float, workers: int = 2) -> dict:
    """Run one render in this (fresh) process and report its measurements."""
    thread = synthetic_thread(comments)
    input_rss = _peak_rss_mb()
    if kind == "reportlab":
        import exporters.pdf.render as render
        from exporters.pdf import CoverInfo, render_thread_pdf

        render.WORKERS = workers

        cover = CoverInfo(flag_label="Arkivverdig", case_number="2026/1", journalpost_id="JP-1",
                          capture_sha256="0" * 64)
        start = time.perf_counter()
        result = render_thread_pdf(thread, out_dir / f"rl-{comments}.pdf", cover=cover, media_dir=None)
        seconds = time.perf_counter() - start
        return {"pages": result.pages, "seconds": seconds, "rss_mb": _peak_rss_mb(), "size": result.size,
                "input_mb": input_rss, "worker_mb": _peak_rss_mb(resource.RUSAGE_CHILDREN)}
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


def run(kind: str, comments: int, out_dir: Path, timeout: float, workers: int = 2) -> dict:
    command = [sys.executable, __file__, "--worker", kind, str(comments), str(out_dir), str(timeout), str(workers)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout + 120)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10,300,5000,20000")
    parser.add_argument("--chromium-timeout", type=float, default=600)
    parser.add_argument("--no-chromium", action="store_true")
    parser.add_argument("--huge", action="store_true", help="also render 50,000 comments (without Chromium)")
    parser.add_argument("--workers", default="1,2", help="chunk worker counts to measure, e.g. 1 or 1,2")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, comments, out_dir, timeout, workers = args.worker
        print(json.dumps(worker(kind, int(comments), Path(out_dir), float(timeout), int(workers))))
        return
    worker_counts = [int(w) for w in args.workers.split(",")]
    use_chromium = not args.no_chromium and Path(CHROMIUM).exists()
    header = (f"{'workers':>7} {'comments':>8} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'comments/s':>10} "
              f"{'input':>7} {'peak RSS':>9} {'worker':>7} "
              f"{'chromium s':>10} {'chr pages':>9} {'chr RSS':>8} {'speedup':>8}")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
        sizes = [int(s) for s in args.sizes.split(",")] + ([50_000] if args.huge else [])
        for comments in sizes:
            theirs = None
            if use_chromium and not (args.huge and comments == 50_000):
                theirs = run("chromium", comments, Path(tmp), args.chromium_timeout)
            for workers in worker_counts:
                ours = run("reportlab", comments, Path(tmp), args.chromium_timeout, workers)
                line = (f"{workers:>7} {comments:>8} {ours['pages']:>6} {ours['seconds']:>8.2f} "
                        f"{ours['pages'] / ours['seconds']:>8.1f} {comments / ours['seconds']:>10.0f} "
                        f"{ours['input_mb']:>5.0f}MB {ours['rss_mb']:>7.0f}MB {ours['worker_mb']:>5.0f}MB")
                if theirs is not None and "timeout" in theirs:
                    limit, ratio = theirs["timeout"], theirs["timeout"] / ours["seconds"]
                    line += f" {'>' + str(int(limit)):>10} {'-':>9} {'-':>8} {'>' + format(ratio, '.1f') + 'x':>8}"
                elif theirs is not None:
                    line += (f" {theirs['seconds']:>10.2f} {theirs['pages']:>9} {theirs['rss_mb']:>6.0f}MB "
                             f"{theirs['seconds'] / ours['seconds']:>7.1f}x")
                print(line, flush=True)


if __name__ == "__main__":
    main()
