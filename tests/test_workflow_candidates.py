"""The candidate scorer suggests posts that ask for input (bokmål and nynorsk) and leaves the others."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import REPO_ROOT
from workflow.candidates import is_candidate, score_post


@pytest.mark.parametrize(
    "text",
    [
        "Reguleringsplanen for Sentrum er lagt ut på høring. Høringsfrist 15. mars.",
        "Framlegg til kommuneplan er ute på høyring – kom med innspel!",
        "Hva mener du om ny skolestruktur? Si din mening i kommentarfeltet.",
        "Kva meiner du om den nye busstraseen? Sei di meining!",
        "Delta i spørreundersøkelsen om kollektivtilbudet.",
        "Svar på spørjeundersøkinga om bustadbehov innan fredag.",
        "Ungdomsrådet inviterer til medvirkning om skateparken.",
        "Vi inviterer til medverknad om nytt ungdomshus.",
        "Planen ligger ute til offentlig ettersyn; merknader sendes innen 1. mai.",
        "Vi vil gjerne høre fra deg: hvordan kan Torget bli bedre?",
    ],
)
def test_posts_asking_for_input_are_suggested(text: str) -> None:
    result = score_post(text)
    assert result.suggested, result


@pytest.mark.parametrize(
    "text",
    [
        "Fjellvegen er stengt på grunn av snø.",
        "Vi søker en rådgiver til Dokumentsenteret. Søknadsfrist 1. mars.",
        "Takk for alle innspillene! Høringen er avsluttet, og saken behandles i kommunestyret.",
        "Takk for alle innspela til høyringa! Høyringa er avslutta.",
        "Gratis helseundersøkelse for 75-åringer.",
        "Nytt tilbud om hørselsscreening ved helsestasjonen.",
        "God 17. mai fra alle oss i Fjordvik kommune!",
    ],
)
def test_information_is_not_suggested(text: str) -> None:
    result = score_post(text)
    assert not result.suggested, result


def test_cues_are_named_and_hostile_text_scores_nothing() -> None:
    result = score_post("«Si din mening» om høringen!")
    assert {"si din mening", "høring"} <= set(result.cues)
    assert score_post("SI DIN MENING\u00ad om HØRINGEN").suggested  # case and soft hyphens don't matter
    started = time.perf_counter()
    for hostile in ("", "\x00\x07\ud800", "\u202e" * 1000, "?" * 100_000, "høring" * 50_000, "a " * 50_000 + "?",
                    "du " * 30_000, "a." * 50_000):
        score_post(hostile)  # never raises
    assert time.perf_counter() - started < 3, "no catastrophic backtracking on long text"
    assert not is_candidate("")


def test_the_labelled_set_is_large_and_the_scorer_does_well_on_it() -> None:
    posts = json.loads((REPO_ROOT / "bench" / "data" / "candidates.json").read_text(encoding="utf-8"))
    assert len(posts) >= 100 and {p["lang"] for p in posts} == {"nb", "nn"}
    assert len({p["id"] for p in posts}) == len(posts)
    tp = sum(1 for p in posts if p["asks_for_input"] and is_candidate(p["text"]))
    fp = sum(1 for p in posts if not p["asks_for_input"] and is_candidate(p["text"]))
    positives = sum(1 for p in posts if p["asks_for_input"])
    assert tp / (tp + fp) >= 0.9 and tp / positives >= 0.9
