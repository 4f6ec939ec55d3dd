"""End-to-end export throughput: threads of mixed sizes through the real export flow into S3 (moto, local).

For each run size it builds a capture folder of N flagged threads (10 to 5,000 comments, log-uniform, each
post with an image), then
  1. runs the `export-threads` flow (a temporary local Prefect server) into an Object Lock bucket on a moto
     S3 server on 127.0.0.1, and
  2. does the same work as plain function calls (catalog, stage_thread, upload_package) in this process,
and prints threads/s, comments/s, the share of wall time that is orchestration (flow − plain) / flow, and the
peak RSS. The table is also written to bench/RESULTS.md with the machine it ran on. Not a test: figures.

    ./dev bench export --threads 100          # 1,000 and 10,000 take long on 2 cores; say so explicitly
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

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


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def run_flow(source: Path, bucket: str) -> tuple[float, int]:
    from flows.export import export_threads
    from pipeline.export import ExportRun
    from somearkiv.prefect_server import temporary_prefect_server

    began = time.perf_counter()
    with temporary_prefect_server():
        run = export_threads(bucket=bucket, source_dir=str(source))
    elapsed = time.perf_counter() - began
    if not isinstance(run, ExportRun):
        raise SystemExit(f"the flow stopped: {run}")
    return elapsed, len(run.failures)


def run_plain(source: Path, bucket: str, work: Path) -> float:
    from exporters.package import BuiltPackage
    from pipeline.export import ExportConfig, stage_thread, upload_package
    from pipeline.settings import Settings
    from sources.folder import load_catalog
    from storage.factory import open_sink

    settings = Settings()
    config = ExportConfig(work_dir=work, noark=settings.noark(), pdfa_part=settings.pdfa_part)
    began = time.perf_counter()
    sink = open_sink(bucket, settings.s3())
    catalog = load_catalog(source)
    chosen, _ = catalog.select(None)
    for item in chosen:
        built = stage_thread(item.thread, item.flag, sink=sink, media_dir=catalog.media_dir, config=config,
                             exported_at=datetime.now(UTC))
        if isinstance(built, BuiltPackage):
            upload_package(built, sink)
    return time.perf_counter() - began


def machine() -> str:
    load = os.getloadavg()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, "
            f"load average {load[0]:.1f} at the start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", default="100", help="comma-separated run sizes (e.g. 100,1000,10000)")
    parser.add_argument("--min-comments", type=int, default=10)
    parser.add_argument("--max-comments", type=int, default=5000)
    args = parser.parse_args()
    from moto.server import ThreadedMotoServer

    from storage.s3 import create_lock_bucket, make_s3_client

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(SOMEARKIV_S3_ENDPOINT_URL=f"http://{host}:{port}", SOMEARKIV_S3_REGION="eu-north-1",
                      SOMEARKIV_S3_ACCESS_KEY_ID="bench", SOMEARKIV_S3_SECRET_ACCESS_KEY="bench-secret",
                      SOMEARKIV_S3_ADDRESSING_STYLE="path")
    from pipeline.settings import Settings

    header = ("| threads | comments | flow s | threads/s | comments/s | plain s | orchestration | failed "
              "| peak RSS |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    print(machine())
    print(header)
    try:
        for threads in [int(n) for n in args.threads.split(",")]:
            with tempfile.TemporaryDirectory(prefix="somearkiv-bench-export-") as tmp:
                root = Path(tmp)
                comments = build_capture_folder(root / "captures", comment_counts(threads, args.min_comments,
                                                                                   args.max_comments))
                bucket = f"bench-{uuid.uuid4().hex[:12]}"
                create_lock_bucket(bucket, client=make_s3_client(Settings().s3()))
                os.environ["SOMEARKIV_WORK_DIR"] = str(root / "work")
                flow_s, failed = run_flow(root / "captures", f"s3://{bucket}/flow")
                plain_s = run_plain(root / "captures", f"s3://{bucket}/plain", root / "work-plain")
                share = max(0.0, (flow_s - plain_s) / flow_s)
                rate = f"{threads / flow_s:.2f} | {comments / flow_s:,.0f}"
                row = (f"| {threads:,} | {comments:,} | {flow_s:.1f} | {rate} | {plain_s:.1f} | {share:.0%} "
                       f"| {failed} | {peak_rss_mb():.0f} MB |")
                rows.append(row)
                print(row, flush=True)
    finally:
        server.stop()
    results = ROOT / "bench" / "RESULTS.md"
    results.write_text(
        "# bench/export.py — latest results\n\n"
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.\n"
        "Threads of 10–5,000 comments (log-uniform), each post with an image; flow into a local moto S3 server.\n"
        "`orchestration` = (flow − plain function calls) / flow.\n\n" + header + "\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    print(f"\nwritten to {results}")


if __name__ == "__main__":
    main()
