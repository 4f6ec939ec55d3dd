"""The labelled set meets the issue's targets: recall 1.0 on valid identity numbers, precision ≥ 0.95."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from stdnum.no import fodselsnummer

from privacy.screen import Screener

BENCH = Path(__file__).resolve().parent.parent / "bench"


def load_bench():
    spec = importlib.util.spec_from_file_location("privacy_bench", BENCH / "privacy.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_labelled_set_meets_the_targets() -> None:
    entries = json.loads((BENCH / "data" / "privacy_labelled.json").read_text(encoding="utf-8"))
    assert len(entries) >= 300
    tp, fp, fn, _ = load_bench().evaluate(Screener(), entries)
    assert fn["fodselsnummer"] == 0 and fn["d-nummer"] == 0
    assert sum(tp.values()) / (sum(tp.values()) + sum(fp.values())) >= 0.95
    # Every valid number in the set is born in the 1800s (individual digits 500-749): nobody alive holds it.
    for entry in entries:
        for expected in entry["expect"]:
            digits = "".join(c for c in expected["match"] if c.isdigit())
            if expected["kind"] in ("fodselsnummer", "d-nummer") and fodselsnummer.is_valid(digits):
                assert 500 <= int(digits[6:9]) <= 749 and int(digits[4:6]) >= 54
