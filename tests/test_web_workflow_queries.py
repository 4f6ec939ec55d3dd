"""The workflow queries and admin services the web app added, on SQLite and on a real PostgreSQL server:
open flags per unit, packages per week, the moderation log of a unit, candidate dismissals, and the admin's
changes to users, accounts and crisis periods (each an audit event)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from schemas.errors import InputError, WorkflowError
from schemas.refs import ThreadRef
from schemas.thread import FlagKind, Platform
from workflow import audit
from workflow.accounts import add_account
from workflow.admin import end_crisis, list_account_rows, set_user_active, update_account, update_user
from workflow.candidate_review import dismiss_candidate, dismissed_threads, flagged_threads
from workflow.crisis import declare_crisis
from workflow.db import Database
from workflow.flags import FlagRequest, flag_thread
from workflow.moderation import request_moderation
from workflow.moderation_log import moderation_for_units
from workflow.packages import PackageRow, add_packages
from workflow.stats import UNKNOWN_UNIT, open_flags_by_unit, packages_per_week
from workflow.users import list_users

WHEN = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday


def _package(n: int, platform: str, unit: str, *, status: str = "pending", at: datetime = WHEN) -> PackageRow:
    return PackageRow(package_id=f"{platform}-{n}-{n:016x}", thread_key=f"{platform}-{n}", platform=platform,
                      account="Konto", owning_unit=unit, title=f"Tråd {n}", case_number=None, flag_kind=None,
                      comments=0, sensitive=False, exported_at=at, status=status)


def _flag(db: Database, platform: Platform, post: str, account: str | None) -> None:
    flag_thread(db, FlagRequest(ref=ThreadRef(platform, post, account=account), kind=FlagKind.ARCHIVE_WORTHY,
                                by="ingrid", origin="web"))


def test_open_flags_per_unit_by_account_then_package(workflow_db: Database) -> None:
    add_account(workflow_db, "facebook", "FjordvikKommune", name="Fjordvik", owning_unit="Kommunikasjon", by="ada")
    add_packages(workflow_db, [_package(2, "x", "Teknisk etat")])
    _flag(workflow_db, Platform.FACEBOOK, "1", "fjordvikkommune")  # the account's unit (handle case differs)
    _flag(workflow_db, Platform.X, "2", None)  # the package's unit
    _flag(workflow_db, Platform.TIKTOK, "3", "ukjent")  # neither
    assert open_flags_by_unit(workflow_db) == {"Kommunikasjon": 1, "Teknisk etat": 1, UNKNOWN_UNIT: 1}
    assert open_flags_by_unit(workflow_db, ("Teknisk etat",)) == {"Teknisk etat": 1}


def test_packages_per_week_counts_platform_and_status(workflow_db: Database) -> None:
    add_packages(workflow_db, [
        _package(1, "x", "A"), _package(2, "x", "A", status="approved"), _package(3, "youtube", "B"),
        _package(4, "x", "A", at=WHEN - timedelta(weeks=1)), _package(5, "x", "A", at=WHEN - timedelta(weeks=30)),
    ])
    weeks = packages_per_week(workflow_db, weeks=4, today=date(2026, 3, 5))
    assert list(weeks) == [date(2026, 2, 9), date(2026, 2, 16), date(2026, 2, 23), date(2026, 3, 2)]
    assert dict(weeks[date(2026, 3, 2)]) == {("x", "pending"): 1, ("x", "approved"): 1, ("youtube", "pending"): 1}
    assert dict(weeks[date(2026, 2, 23)]) == {("x", "pending"): 1}
    only_b = packages_per_week(workflow_db, weeks=4, today=date(2026, 3, 5), units=("B",))
    assert sum(sum(c.values()) for c in only_b.values()) == 1


def test_candidate_dismissals_are_audited_once(workflow_db: Database) -> None:
    assert dismiss_candidate(workflow_db, "tiktok-1", by="ingrid", reason="bare info") is True
    assert dismiss_candidate(workflow_db, "tiktok-1", by="ingrid") is False
    assert dismissed_threads(workflow_db) == {"tiktok-1"}
    with pytest.raises(InputError):
        dismiss_candidate(workflow_db, "tiktok-\u202e2", by="ingrid")
    with pytest.raises(WorkflowError):
        dismiss_candidate(workflow_db, "tiktok-2", by="arne")  # an archivist doesn't dismiss candidates
    _flag(workflow_db, Platform.TIKTOK, "9", None)
    assert flagged_threads(workflow_db, ["tiktok-9", "tiktok-1"]) == {"tiktok-9"}
    with workflow_db.transaction() as session:
        assert [e.action for e in audit.events(session, entity="candidate:tiktok-1")] == ["candidate.dismiss"]
        assert audit.verify_audit(session) == []


def test_admin_changes_users_accounts_and_crises(workflow_db: Database) -> None:
    update_user(workflow_db, "ingrid", roles=["editor", "archivist"], unit="Helse", display_name="Ingrid M.",
                by="ada")
    ingrid = next(u for u in list_users(workflow_db) if u.username == "ingrid")
    assert (ingrid.roles, ingrid.unit, ingrid.display_name) == (("archivist", "editor"), "Helse", "Ingrid M.")
    update_user(workflow_db, "ingrid", roles=["archivist", "editor"], unit="Helse", display_name="Ingrid M.",
                by="ada")  # no change: no event
    with pytest.raises(WorkflowError):
        update_user(workflow_db, "ingrid", roles=["editor"], unit=None, display_name="x", by="arne")
    with pytest.raises(WorkflowError):
        set_user_active(workflow_db, "ada", active=False, by="ada")
    set_user_active(workflow_db, "ingrid", active=False, by="ada")
    set_user_active(workflow_db, "ingrid", active=False, by="ada")
    account = add_account(workflow_db, "x", "FjordvikVeg", name="Veg", owning_unit="Teknisk", by="ada")
    update_account(workflow_db, account.id, name="Vegvesenet", owning_unit="Teknisk etat", active=False, by="ada")
    assert [(a.name, a.active) for a in list_account_rows(workflow_db)] == [("Vegvesenet", False)]
    with pytest.raises(WorkflowError):
        update_account(workflow_db, 4242, name="x", owning_unit="y", active=True, by="ada")
    period = declare_crisis(workflow_db, title="Flom", starts_at=WHEN, ends_at=None, accounts=[("x", "FjordvikVeg")],
                            by="ada")
    with pytest.raises(InputError):
        end_crisis(workflow_db, period.id, ends_at=WHEN - timedelta(hours=1), by="ada")
    ended = end_crisis(workflow_db, period.id, ends_at=WHEN + timedelta(days=2), by="ada")
    assert ended.ends_at == WHEN + timedelta(days=2)
    with workflow_db.transaction() as session:
        actions = [e.action for e in audit.events(session) if e.actor == "ada"]
        assert actions == ["user.update", "user.deactivate", "account.create", "account.update", "crisis.declare",
                           "crisis.end"]
        assert audit.verify_audit(session) == []


def test_moderation_log_of_a_unit(workflow_db: Database) -> None:
    add_account(workflow_db, "facebook", "fjordvikkommune", name="Fjordvik", owning_unit="Kommunikasjon", by="ada")
    add_packages(workflow_db, [_package(7, "x", "Teknisk etat")])
    _flag(workflow_db, Platform.FACEBOOK, "1", "FjordvikKommune")
    request_moderation(workflow_db, ThreadRef(Platform.FACEBOOK, "1"), "c1", action="hide", reason="spam",
                       by="ingrid")
    request_moderation(workflow_db, ThreadRef(Platform.X, "7"), "c2", action="delete", reason="personsjikane",
                       by="ingrid")
    assert [m.comment_id for m in moderation_for_units(workflow_db, ("Kommunikasjon",))] == ["c1"]
    assert [m.comment_id for m in moderation_for_units(workflow_db, ("Teknisk etat",))] == ["c2"]
    assert {m.comment_id for m in moderation_for_units(workflow_db, None)} == {"c1", "c2"}
    assert moderation_for_units(workflow_db, ()) == []
