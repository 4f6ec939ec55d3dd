"""Crisis periods: every thread of the named accounts created inside a declared period is archive-worthy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from schemas.errors import InputError, WorkflowError
from sources.urls import parse_thread_url
from workflow.accounts import add_account
from workflow.crisis import declare_crisis, flag_if_crisis, is_crisis_thread, list_crises
from workflow.db import Database
from workflow.flags import find_flag
from workflow.users import UnknownUserError

START = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
END = datetime(2026, 3, 8, 0, 0, tzinfo=UTC)


@pytest.fixture
def crisis_db(workflow_db: Database) -> Database:
    add_account(workflow_db, "facebook", "fjordvikkommune", name="Fjordvik kommune", owning_unit="Kommunikasjon",
                by="ada")
    add_account(workflow_db, "x", "FjordvikVeg", name="Fjordvik veg", owning_unit="Veg og trafikk", by="ada")
    add_account(workflow_db, "facebook", "fjordvikhelse", name="Fjordvik helse", owning_unit="Helse", by="ada")
    declare_crisis(workflow_db, title="Flom i Fjorddalen", starts_at=START, ends_at=END,
                   accounts=[("facebook", "fjordvikkommune"), ("x", "FjordvikVeg")], by="ada")
    return workflow_db


def test_threads_in_the_period_of_the_named_accounts_are_crisis_threads(crisis_db: Database) -> None:
    inside = START + timedelta(days=2)
    period = is_crisis_thread(crisis_db, "facebook", "fjordvikkommune", inside)
    assert period is not None and period.title == "Flom i Fjorddalen"
    assert period.accounts == ("facebook/fjordvikkommune", "x/FjordvikVeg")
    assert is_crisis_thread(crisis_db, "x", "fjordvikveg", inside) is not None  # handles ignore case
    assert is_crisis_thread(crisis_db, "facebook", "fjordvikkommune", START) is not None  # start included
    assert is_crisis_thread(crisis_db, "facebook", "fjordvikkommune", END) is None  # end excluded
    assert is_crisis_thread(crisis_db, "facebook", "fjordvikkommune", START - timedelta(seconds=1)) is None
    assert is_crisis_thread(crisis_db, "facebook", "fjordvikhelse", inside) is None  # not named
    assert is_crisis_thread(crisis_db, "facebook", "ukjent", inside) is None
    with pytest.raises(InputError, match="tidssone"):
        is_crisis_thread(crisis_db, "facebook", "fjordvikkommune", datetime(2026, 3, 2))


def test_a_crisis_thread_is_flagged_archive_worthy_once(crisis_db: Database) -> None:
    ref = parse_thread_url("https://www.facebook.com/fjordvikkommune/posts/555")
    flag = flag_if_crisis(crisis_db, ref, START + timedelta(hours=3))
    assert flag is not None and flag.kind == "archive-worthy" and flag.origin == "crisis"
    assert flag.title == "Flom i Fjorddalen" and "kriseperiode" in (flag.reason or "")
    assert flag_if_crisis(crisis_db, ref, START + timedelta(hours=3)) is None  # already flagged
    assert find_flag(crisis_db, ref) == flag
    outside = parse_thread_url("https://www.facebook.com/fjordvikkommune/posts/556")
    assert flag_if_crisis(crisis_db, outside, END + timedelta(days=1)) is None
    assert find_flag(crisis_db, outside) is None
    no_account = parse_thread_url("https://www.facebook.com/reel/557")
    assert flag_if_crisis(crisis_db, no_account, START + timedelta(hours=3)) is None


def test_an_open_ended_crisis_and_refusals(crisis_db: Database) -> None:
    declare_crisis(crisis_db, title="Vannforurensning", starts_at=END + timedelta(days=30), ends_at=None,
                   accounts=[("facebook", "fjordvikhelse")], by="ada")
    assert is_crisis_thread(crisis_db, "facebook", "fjordvikhelse", END + timedelta(days=400)) is not None
    assert [p.title for p in list_crises(crisis_db)] == ["Flom i Fjorddalen", "Vannforurensning"]
    with pytest.raises(UnknownUserError, match="admin"):
        declare_crisis(crisis_db, title="T", starts_at=START, ends_at=END, accounts=[("x", "FjordvikVeg")],
                       by="ingrid")
    with pytest.raises(InputError, match="slutte etter"):
        declare_crisis(crisis_db, title="T", starts_at=END, ends_at=START, accounts=[("x", "FjordvikVeg")], by="ada")
    with pytest.raises(InputError, match="ukjent konto"):
        declare_crisis(crisis_db, title="T", starts_at=START, ends_at=END, accounts=[("x", "nobody")], by="ada")
    with pytest.raises(InputError, match="minst én konto"):
        declare_crisis(crisis_db, title="T", starts_at=START, ends_at=END, accounts=[], by="ada")
    with pytest.raises(InputError, match="ukjent plattform"):
        declare_crisis(crisis_db, title="T", starts_at=START, ends_at=END, accounts=[("myspace", "a")], by="ada")
    with pytest.raises(WorkflowError, match="finnes allerede"):
        add_account(crisis_db, "x", "fjordvikveg", name="dup", owning_unit="V", by="ada")
    assert len(list_crises(crisis_db)) == 2
