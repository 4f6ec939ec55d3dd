"""End-to-end export throughput: threads of mixed sizes through the real export flow into S3 (moto, local).

For each run size (each in a fresh process, so its memory peaks are its own) it builds a capture folder of N
flagged threads (10 to 5,000 comments, log-uniform, each post with an image), then
  1. runs the `export-threads` flow as `somearkiv export` does (a temporary local Prefect server; batches of
     SOMEARKIV_EXPORT_BATCH_SIZE threads, SOMEARKIV_EXPORT_WORKERS build processes, overlapped uploads) into
     an Object Lock bucket on a moto S3 server (a process of its own on 127.0.0.1), and
  2. does the same work as plain function calls (catalog, pipeline.batch on the same worker processes) in
     the same process, without Prefect (skip with --no-plain),
and prints threads/s, comments/s, the share of wall time that is orchestration (flow − plain) / flow, the
Prefect server's start-up, the peak RSS of the flow process and of the largest worker, and the machine's load.
The table is also written to bench/RESULTS.md with the machine it ran on, with the time the sizes not run
would take at the measured rate. Not a test: figures.

    ./dev bench export --threads 100          # 1,000 takes most of an hour on 2 busy cores, 10,000 hours
    python bench/export.py --threads 100,1000 --max-comments 100 --no-plain   # memory flat in the threads?
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from pdf import synthetic_items  # noqa: E402

from schemas.capture import write_capture  # noqa: E402
from schemas.thread import Account, Author, Item, Media, Platform, Thread  # noqa: E402

SAMPLE_IMAGE = sorted((ROOT / "samples" / "media").rglob("*.jpg"))[0]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KOMMUNE = Author(id="m", display_name="Fjordvik kommune", is_municipality=True)


def comment_counts(threads: int, low: int, high: int, seed: int = 7) -> list[int]:
    rng = random.Random(seed)
    return [int(math.exp(rng.uniform(math.log(low), math.log(high)))) for _ in range(threads)]


def build_capture_folder(root: Path, counts: list[int]) -> int:
    """threads/*.json, media/ and flags.json for the given comment counts; returns the total of comments."""
    (root / "threads").mkdir(parents=True)
    media = root / "media" / "bench"
    media.mkdir(parents=True)
    image = media / SAMPLE_IMAGE.name
    shutil.copyfile(SAMPLE_IMAGE, image)
    flags = []
    for index, comments in enumerate(counts):
        thread_id = f"bench{index:05d}"
        url = f"https://www.facebook.com/fjordvik/posts/{thread_id}"
        post = Item(id="post", author=KOMMUNE, created_at=T0, text=f"Høring nr. {index}: si din mening 🏫",
                    media=[Media(id="img", kind="image", path=f"bench/{image.name}")])
        header = Thread(platform=Platform.FACEBOOK, account=Account(id="p", name="Fjordvik kommune",
                        owning_unit="Kommunikasjonsavdelingen"), thread_id=thread_id, url=url, post=post,
                        comments=[], captured_at=T0)
        with (root / "threads" / f"{thread_id}.json").open("wb") as handle:
            write_capture(handle, header, synthetic_items(comments, seed=index))
        flags.append({"thread_url": url, "kind": "journal-required", "case_number": f"2026/{1000 + index}",
                      "flagged_by": "Ingrid Moe", "flagged_at": T0.isoformat()})
    (root / "flags.json").write_text(json.dumps(flags, ensure_ascii=False), encoding="utf-8")
    return sum(counts)


class MemorySampler:
    """Samples the resident memory of this process's descendants (worker processes, the Prefect server) a few
    times a second and keeps each one's peak: a worker's own high-water mark, unlike RUSAGE_CHILDREN."""

    def __init__(self) -> None:
        self.peaks: dict[int, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.25):
            for child in me.children(recursive=True):
                try:
                    rss = child.memory_info().rss
                    kind = "worker" if "multiprocessing" in " ".join(child.cmdline()) else "other"
                except psutil.Error:
                    continue
                if rss > self.peaks.get(child.pid, ("", 0))[1]:
                    self.peaks[child.pid] = (kind, rss)

    def worker_peak_mb(self) -> float:
        return max((rss for kind, rss in self.peaks.values() if kind == "worker"), default=0) / 2**20


def own_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_flow(source: Path, bucket: str) -> tuple[float, float, int]:
    """The real flow (as ``somearkiv export`` runs it: a temporary Prefect server of its own), timed whole."""
    from flows.export import export_threads
    from pipeline.export import ExportRun
    from somearkiv.prefect_server import temporary_prefect_server

    began = time.perf_counter()
    with temporary_prefect_server():
        started = time.perf_counter()
        state = export_threads(bucket=bucket, source_dir=str(source), return_state=True)
        run = state.result()
    elapsed = time.perf_counter() - began
    if not isinstance(run, ExportRun):
        raise SystemExit(f"the flow stopped: {run}")
    return elapsed, started - began, len(run.failures)


def run_plain(source: Path, bucket: str, work: Path) -> tuple[float, int]:
    """The same work as plain function calls: catalog, then pipeline.batch on the same worker processes and
    upload threads, with no Prefect at all."""
    from pipeline.batch import BatchExporter, BuildJob, BuildSetup
    from pipeline.export import Deadline, ExportConfig, private_staging
    from pipeline.settings import Settings
    from sources.folder import load_catalog

    settings = Settings()
    began = time.perf_counter()
    catalog = load_catalog(source, keep_comments=False)
    chosen, _ = catalog.select(None)
    jobs = [BuildJob(item.key, item.flag, path=item.path) for item in chosen]
    with private_staging(work) as staging:
        config = ExportConfig(work_dir=staging, noark=settings.noark(), pdfa_part=settings.pdfa_part,
                              screening=settings.screening())
        setup = BuildSetup(bucket, settings.s3(), catalog.media_dir, config, datetime.now(UTC))
        deadline = Deadline(settings.run_deadline_minutes)
        with BatchExporter(setup, settings.batch(), deadline) as exporter:
            outcomes = exporter.run(jobs)
    return time.perf_counter() - began, sum(o.status == "failed" for o in outcomes)


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def one_size(threads: int, low: int, high: int, endpoint: str, plain: bool) -> dict[str, object]:
    """Run one size (in its own process, so the peaks belong to it) and return the figures."""
    os.environ.update(SOMEARKIV_S3_ENDPOINT_URL=endpoint, SOMEARKIV_S3_REGION="eu-north-1",
                      SOMEARKIV_S3_ACCESS_KEY_ID="bench", SOMEARKIV_S3_SECRET_ACCESS_KEY="bench-secret",
                      SOMEARKIV_S3_ADDRESSING_STYLE="path")
    from pipeline.settings import Settings
    from storage.s3 import create_lock_bucket, make_s3_client

    with tempfile.TemporaryDirectory(prefix="somearkiv-bench-export-") as tmp:
        root = Path(tmp)
        comments = build_capture_folder(root / "captures", comment_counts(threads, low, high))
        bucket = f"bench-{uuid.uuid4().hex[:12]}"
        create_lock_bucket(bucket, client=make_s3_client(Settings().s3()))
        os.environ["SOMEARKIV_WORK_DIR"] = str(root / "work")
        load_before = load()
        with MemorySampler() as flow_memory:
            flow_s, server_s, failed = run_flow(root / "captures", f"s3://{bucket}/flow")
        flow_rss = own_peak_rss_mb()
        plain_s, plain_failed = (run_plain(root / "captures", f"s3://{bucket}/plain", root / "work-plain")
                                 if plain else (float("nan"), 0))
        return {
            "threads": threads, "comments": comments, "flow_s": flow_s, "server_s": server_s, "plain_s": plain_s,
            "failed": failed, "plain_failed": plain_failed, "flow_rss_mb": flow_rss,
            "worker_rss_mb": flow_memory.worker_peak_mb(), "workers": Settings().batch().workers,
            "load": f"{load_before} → {load()}",
        }


def row(r: dict[str, Any]) -> str:
    flow_s, plain_s = float(r["flow_s"]), float(r["plain_s"])
    measured = plain_s == plain_s  # NaN: --no-plain
    share = f"{max(0.0, (flow_s - plain_s) / flow_s):.0%}" if measured else "–"
    plain = f"{plain_s:.1f}" if measured else "–"
    return (f"| {r['threads']:,} | {r['comments']:,} | {r['workers']} | {flow_s:.1f} | {r['threads'] / flow_s:.2f} "
            f"| {r['comments'] / flow_s:,.0f} | {r['server_s']:.1f} | {plain} | {share} | {r['failed']} "
            f"| {r['flow_rss_mb']:.0f} MB | {r['worker_rss_mb']:.0f} MB | {r['load']} |")


HEADER = ("| threads | comments | workers | flow s | threads/s | comments/s | of which server start s | plain s "
          "| orchestration | failed | peak RSS flow process | peak RSS per worker | load 1/5 min |\n"
          "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")


def expectation(figures: list[dict[str, Any]], low: int, high: int) -> str:
    """What the sizes not run here would take, at the largest measured size's comments/s."""
    if not figures:
        return ""
    largest = max(figures, key=lambda f: int(f["threads"]))
    rate = int(largest["comments"]) / float(largest["flow_s"])
    measured = {int(f["threads"]) for f in figures}
    lines = []
    for threads in (1_000, 10_000):
        if threads not in measured:
            comments = sum(comment_counts(threads, low, high))
            lines.append(f"- {threads:,} threads ({comments:,} comments, not run here): about "
                         f"{comments / rate / 60:,.0f} min at the {largest['threads']:,}-thread rate of "
                         f"{rate:,.0f} comments/s.")
    return "\n".join(lines)


def start_moto() -> tuple[subprocess.Popen[str], str]:
    """A moto S3 server in a process of its own on a free port of 127.0.0.1 (so it doesn't share this one's GIL)."""
    code = ("import logging, sys, time\n"
            "from moto.server import ThreadedMotoServer\n"
            "logging.getLogger('werkzeug').setLevel(logging.ERROR)\n"
            "server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)\n"
            "server.start()\n"
            "print(server.get_host_and_port()[1], flush=True)\n"
            "sys.stdin.read()\n")
    process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port = process.stdout.readline().strip() if process.stdout else ""
    if not port.isdigit():
        process.kill()
        raise SystemExit("the moto server did not start")
    return process, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", default="100", help="comma-separated run sizes (e.g. 100,1000,10000)")
    parser.add_argument("--min-comments", type=int, default=10)
    parser.add_argument("--max-comments", type=int, default=5000)
    parser.add_argument("--no-plain", action="store_true", help="skip the plain-function comparison")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one size in this process
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    if args.one:
        figures = one_size(args.one, args.min_comments, args.max_comments, args.endpoint, not args.no_plain)
        print("RESULT " + json.dumps(figures), flush=True)
        return
    moto, endpoint = start_moto()
    rows: list[str] = []
    figures: list[dict[str, Any]] = []
    print(f"{machine()}; load average {load()} at the start")
    print(HEADER, flush=True)
    try:
        for threads in [int(n) for n in args.threads.split(",")]:
            command = [sys.executable, str(Path(__file__).resolve()), "--one", str(threads), "--endpoint", endpoint,
                       "--min-comments", str(args.min_comments), "--max-comments", str(args.max_comments)]
            done = subprocess.run(command + (["--no-plain"] if args.no_plain else []), capture_output=True,
                                  text=True, check=False)
            lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
            if done.returncode != 0 or not lines:
                sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
                raise SystemExit(f"size {threads} failed (exit {done.returncode})")
            figures.append(json.loads(lines[-1][len("RESULT "):]))
            rows.append(row(figures[-1]))
            print(rows[-1], flush=True)
    finally:
        moto.kill()
        moto.wait()
    notes = expectation(figures, args.min_comments, args.max_comments)
    print(notes)
    args.results.write_text(
        "# bench/export.py — latest results\n\n"
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.\n"
        "Threads of 10–5,000 comments (log-uniform), each post with an image; the `export-threads` flow (its own "
        "temporary Prefect server, as `somearkiv export`) into an Object Lock bucket on a moto S3 server (own "
        "process, 127.0.0.1). `plain` = the same work as plain function calls (catalog + pipeline.batch on the "
        "same worker processes) in the same run; `orchestration` = (flow − plain) / flow. Peak RSS: the flow "
        "process (catalog, orchestration, uploads) and the largest worker process, each size in a fresh process. "
        "`of which server start` = starting the temporary Prefect server (none with PREFECT_API_URL set). "
        "`load` = the machine's load average before → after the flow.\n\n"
        + HEADER + "\n" + "\n".join(rows) + "\n\n" + notes + "\n",
        encoding="utf-8",
    )
    print(f"\nwritten to {args.results}")


if __name__ == "__main__":
    main()
