"""Review of hits as data: list (never the text), confirm/clear by number or key, re-redact, masked context."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from privacy.review import (
    Decision,
    ReviewRecord,
    decide,
    masked_context,
    new_record,
    pending,
    redacted_after_review,
    review_rows,
)
from privacy.screen import screen_thread
from schemas.errors import InputError
from schemas.thread import Item
from tests.factories import INNBYGGER, T0, make_thread

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SECRET_PHONE = "41234567"


def thread_with_hits():
    comment = Item(
        id="c1", author=INNBYGGER, created_at=T0,
        text=f"Ring meg på {SECRET_PHONE}. Mora mi har demens og bur på Fjordheimen, skriv til kari@gmail.com",
    )  # fmt: skip
    return make_thread(comments=[comment])


def test_rows_never_hold_the_text_and_decisions_are_recorded() -> None:
    thread = thread_with_hits()
    result = screen_thread(thread)
    record = new_record("facebook-100_200-abc", result)
    rows = review_rows(result, record)
    assert [r.kind for r in rows] == ["telefonnummer", "helseopplysning", "e-postadresse"]
    assert all(r.status == "ubehandlet" for r in rows)
    listing = "\n".join(r.line() for r in rows)
    for secret in (SECRET_PHONE, "demens", "kari@gmail.com"):
        assert secret not in listing
    record = decide(record, result, [1, rows[2].key], Decision.CONFIRM, by="arkivar", at=AT)
    record = decide(record, result, ["2"], Decision.CLEAR, by="arkivar", at=AT, comment="ikke om en person")
    assert [r.status for r in review_rows(result, record)] == ["bekreftet", "avkreftet", "bekreftet"]
    assert pending(result, record) == []
    again = ReviewRecord.model_validate_json(record.model_dump_json())
    assert again == record and again.cleared() == {rows[1].key}
    redacted = redacted_after_review(thread, result, record)
    assert "demens" in redacted.comments[0].text and SECRET_PHONE not in redacted.comments[0].text


def test_a_later_decision_overrides_an_earlier_one() -> None:
    result = screen_thread(thread_with_hits())
    record = decide(new_record("p", result), result, [1], Decision.CLEAR, by="a", at=AT)
    record = decide(record, result, [1], Decision.CONFIRM, by="b", at=AT)
    assert record.cleared() == frozenset()
    assert len(record.decisions) == 2  # the history stays


@pytest.mark.parametrize("ref", [0, 4, "99", "c1/text/0:1/helse", ""])
def test_unknown_refs_are_refused_before_anything_is_recorded(ref: object) -> None:
    result = screen_thread(thread_with_hits())
    record = new_record("p", result)
    with pytest.raises(InputError) as raised:
        decide(record, result, [1, ref], Decision.CLEAR, by="a", at=AT)
    assert SECRET_PHONE not in str(raised.value)
    with pytest.raises(InputError, match="ingen treff"):
        decide(record, result, [], Decision.CLEAR, by="a", at=AT)


def test_decisions_for_other_rules_are_refused() -> None:
    result = screen_thread(thread_with_hits())
    record = new_record("p", result).model_copy(update={"rules_version": "screen-0/ordliste-gammel"})
    with pytest.raises(InputError, match="regler"):
        decide(record, result, [1], Decision.CLEAR, by="a", at=AT)


def test_masked_context_shows_words_around_but_no_hit() -> None:
    thread = thread_with_hits()
    result = screen_thread(thread)
    context = masked_context(thread, result, result.hits[1], width=25)
    assert context == "…på [telefonnummer]. Mora mi har [helseopplysning] og bur på Fjordheimen, s…"
    assert SECRET_PHONE not in masked_context(thread, result, result.hits[2], width=500)
