"""Bench the screening: precision and recall per kind on the labelled set, and the speed of 20,000 comments.

    .venv/bin/python bench/privacy.py [--comments 20000]

The labelled set is ``bench/data/privacy_labelled.json`` (written by ``bench/privacy_labels.py``). A finding
counts as correct when its kind is the expected kind and its range overlaps the expected substring.
Targets (issue 14): recall 1.0 on valid identity numbers, precision ≥ 0.95 overall, < 2 s for 20,000 comments.
Each speed figure comes with the CPU time and the load average: on a shared machine the wall time follows the
load of the others, the CPU time does not.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

# The repo, not bench/, first on the path: bench/privacy.py would shadow the privacy package.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from stdnum.no import fodselsnummer  # noqa: E402

from privacy.screen import Screener  # noqa: E402
from schemas.thread import Account, Author, Item, Platform, Thread  # noqa: E402

LABELLED = Path(__file__).resolve().parent / "data" / "privacy_labelled.json"


def evaluate(
    screener: Screener, entries: list[dict], groups: Counter | None = None
) -> tuple[Counter, Counter, Counter, list[str]]:
    """TP/FP/FN per kind; ``groups`` (if given) counts ("tp"|"fp"|"fn", group) too."""
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    groups = groups if groups is not None else Counter()
    misses: list[str] = []
    for n, entry in enumerate(entries):
        text = entry["text"]
        expected = []
        for e in entry["expect"]:
            start = text.index(e["match"])
            expected.append((start, start + len(e["match"]), e["kind"], entry["group"]))
        found = screener.screen_text(text)
        used: set[int] = set()
        for f in found:
            match = next(
                (i for i, (s, e, kind, _) in enumerate(expected)
                 if i not in used and kind == f.kind.value and f.start < e and s < f.end),
                None,
            )
            if match is None:
                fp[f.kind.value] += 1
                groups["fp", entry["group"]] += 1
                misses.append(f"#{n} falsk treff {f.kind.value} ({f.rule}) [{f.start}:{f.end}]")
            else:
                used.add(match)
                tp[f.kind.value] += 1
                groups["tp", entry["group"]] += 1
        for i, (s, e, kind, group) in enumerate(expected):
            if i not in used:
                fn[kind] += 1
                groups["fn", group] += 1
                misses.append(f"#{n} ikke funnet {kind} ({group}) [{s}:{e}]")
    return tp, fp, fn, misses


def ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "  –  "


def thread_of(texts: list[str], count: int) -> Thread:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    author = Author(id="a", display_name="Innbygger")
    return Thread(
        platform=Platform.FACEBOOK,
        account=Account(id="fjordvik", name="Fjordvik kommune", owning_unit="Kommunikasjon"),
        thread_id="bench",
        url="https://example.invalid/bench",
        post=Item(id="post", author=author, created_at=start, text="Benk"),
        comments=[
            Item(id=f"c{n}", author=author, created_at=start + timedelta(seconds=n), text=texts[n % len(texts)])
            for n in range(count)
        ],
        captured_at=start + timedelta(days=1),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--show-misses", action="store_true", help="list misses by entry number and kind (no text)")
    args = parser.parse_args()
    entries = json.loads(LABELLED.read_text(encoding="utf-8"))

    t0 = time.perf_counter()
    screener = Screener()
    compile_s = time.perf_counter() - t0
    groups: Counter = Counter()
    tp, fp, fn, misses = evaluate(screener, entries, groups)
    kinds = sorted(set(tp) | set(fp) | set(fn))
    print(f"Merket sett: {len(entries)} kommentarer, {sum(len(e['expect']) for e in entries)} forventede treff")
    print(f"{'type':<22}{'TP':>5}{'FP':>5}{'FN':>5}  presisjon  gjenfinning")
    for kind in kinds:
        print(f"{kind:<22}{tp[kind]:>5}{fp[kind]:>5}{fn[kind]:>5}  {ratio(tp[kind], tp[kind] + fp[kind]):>9}"
              f"  {ratio(tp[kind], tp[kind] + fn[kind]):>11}")
    all_tp, all_fp, all_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    print(f"{'totalt':<22}{all_tp:>5}{all_fp:>5}{all_fn:>5}  {ratio(all_tp, all_tp + all_fp):>9}"
          f"  {ratio(all_tp, all_tp + all_fn):>11}")
    valid, found_ids = 0, 0
    for entry in entries:
        for expected in entry["expect"]:
            digits = "".join(c for c in expected["match"] if c.isdigit())
            if expected["kind"] not in ("fodselsnummer", "d-nummer") or not fodselsnummer.is_valid(digits):
                continue
            valid += 1
            start = entry["text"].index(expected["match"])
            end = start + len(expected["match"])
            found_ids += any(
                f.kind.value == expected["kind"] and f.start < end and start < f.end
                for f in screener.screen_text(entry["text"])
            )
    print(f"Gjenfinning av gyldige fødsels- og d-nummer: {ratio(found_ids, valid)} ({valid} nummer)")
    held = {k: groups[k, "fri"] for k in ("tp", "fp", "fn")}
    print(f"Fritt skrevne kommentarer (skrevet etter reglene): presisjon {ratio(held['tp'], held['tp'] + held['fp'])}, "
          f"gjenfinning {ratio(held['tp'], held['tp'] + held['fn'])} ({sum(1 for e in entries if e['group'] == 'fri')}"
          " kommentarer)")
    if args.show_misses:
        print("\n".join(misses))

    labelled = [e["text"] for e in entries]
    samples = sample_texts()
    mixes = {
        "merket sett gjentatt (tett med treff)": labelled,
        "eksempeltrådene + hver 50. fra merket sett": [
            labelled[n // 50 % len(labelled)] if n % 50 == 0 else samples[n % len(samples)]
            for n in range(len(samples) * 50)
        ],
    }
    t0 = time.perf_counter()
    sum(range(2_000_000))
    calibration = time.perf_counter() - t0
    for name, texts in mixes.items():
        thread = thread_of(texts, args.comments)
        chars = sum(len(c.text) for c in thread.comments)
        best, cpu = float("inf"), float("inf")
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            result = screener.screen_thread(thread)
            best, cpu = min(best, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
        print(f"Fart, {name}: {args.comments} kommentarer ({chars / 1e6:.2f} mill. tegn) på {best:.2f} s "
              f"(beste av 3; CPU-tid {cpu:.2f} s; {len(result.hits)} treff; lastsnitt {load()})")
    print(f"Regler kompilert på {compile_s:.2f} s; kalibrering (last på maskinen): sum(range(2e6)) tok "
          f"{calibration:.3f} s")
    return 0


def load() -> str:
    """The machine's load average (1, 5, 15 min): on a shared machine wall time follows it, CPU time does not."""
    return "/".join(f"{n:.2f}" for n in os.getloadavg())


def sample_texts() -> list[str]:
    """Every comment text of the bundled sample threads (realistic dialogue, few numbers)."""
    texts = []
    for path in sorted((Path(__file__).resolve().parent.parent / "samples" / "threads").glob("*.json")):
        thread = Thread.model_validate_json(path.read_bytes())
        texts += [item.text for item in thread.all_items() if item.text]
    return texts


if __name__ == "__main__":
    sys.exit(main())
