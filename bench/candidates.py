"""Precision and recall of the candidate scorer (workflow.candidates) on a labelled set of posts.

``bench/data/candidates.json`` (125 posts; the rules were written against it) and
``bench/data/candidates_holdout.json`` (40 posts written after the rules were frozen) hold municipal posts in
bokmål and nynorsk written for this purpose, each labelled ``asks_for_input`` by hand: posts that ask for
input (høring, innspill, medvirkning, surveys, questions to the public) and posts that don't (information,
events, job adverts, closed consultations, the same words in another sense).
Run: ``./dev bench candidates [--show-errors]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workflow.candidates import THRESHOLD, score_post  # noqa: E402


def evaluate(name: str, show_errors: bool) -> None:
    posts = json.loads((ROOT / "bench" / "data" / name).read_text(encoding="utf-8"))
    tp = fp = fn = tn = 0
    errors: list[str] = []
    for post in posts:
        result = score_post(post["text"])
        truth = bool(post["asks_for_input"])
        if result.suggested and truth:
            tp += 1
        elif result.suggested:
            fp += 1
            errors.append(f"  falsk positiv {post['id']} ({result.score}, {', '.join(result.cues)}): {post['text']}")
        elif truth:
            fn += 1
            errors.append(f"  falsk negativ {post['id']} ({result.score}, {', '.join(result.cues)}): {post['text']}")
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    by_lang = {lang: sum(1 for p in posts if p["lang"] == lang) for lang in ("nb", "nn")}
    print(f"{name}: {len(posts)} innlegg ({by_lang['nb']} bokmål, {by_lang['nn']} nynorsk), "
          f"{tp + fn} ber om innspill; terskel {THRESHOLD}")
    print(f"  TP {tp}  FP {fp}  FN {fn}  TN {tn}")
    print(f"  presisjon {precision:.3f}  gjenfinning (recall) {recall:.3f}  F1 {f1:.3f}")
    if show_errors:
        print("\n".join(errors))


def main() -> int:
    show = "--show-errors" in sys.argv
    evaluate("candidates.json", show)  # the set the rules were written against
    evaluate("candidates_holdout.json", show)  # written after the rules were frozen; never tuned on
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
