"""The admin's changes to users, accounts and crisis periods (the web app's admin pages use these).

Every change is one audit event in the same transaction. An admin cannot lock themselves out: they cannot
deactivate themselves nor take away their own admin role.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.errors import InputError, WorkflowError
from workflow import audit
from workflow.crisis import CrisisView, list_crises
from workflow.db import Database
from workflow.models import Account, CrisisPeriod, Role, User, UserRole, utc
from workflow.text import clean_line
from workflow.users import UserView, list_users, require_user


def _roles(values: Iterable[str]) -> set[Role]:
    wanted: set[Role] = set()
    for value in values:
        try:
            wanted.add(Role(value))
        except ValueError:
            raise InputError(f"ukjent rolle {value[:40]!r}: bruk editor, archivist eller admin") from None
    if not wanted:
        raise InputError("en bruker må ha minst én rolle")
    return wanted


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise WorkflowError(f"ukjent bruker {clean_line(username, 'bruker', limit=200)!r}")
    return user


def update_user(db: Database, username: str, *, roles: Iterable[str], unit: str | None, display_name: str,
                by: str) -> UserView:
    """Set a user's roles, unit and name."""
    wanted = _roles(roles)
    name = clean_line(display_name, "navn", limit=200)
    new_unit = clean_line(unit, "enhet", limit=200) if unit and unit.strip() else None
    if username == by and Role.ADMIN not in wanted:
        raise WorkflowError("du kan ikke ta fra deg selv admin-rollen")
    with db.transaction() as session:
        require_user(session, by, Role.ADMIN)
        user = _user(session, username)
        before = {"roles": sorted(r.role for r in user.roles), "unit": user.unit, "display_name": user.display_name}
        role_names = sorted(r.value for r in wanted)
        after = {"roles": role_names, "unit": new_unit, "display_name": name}
        if before != after:
            current = {r.role for r in user.roles}
            user.roles = [r for r in user.roles if r.role in role_names] + [
                UserRole(role=role) for role in role_names if role not in current]
            user.unit, user.display_name = new_unit, name
            audit.append(session, actor=by, action="user.update", entity=f"user:{username}",
                         data={"before": before, "after": after})
    return next(u for u in list_users(db) if u.username == username)


def set_user_active(db: Database, username: str, *, active: bool, by: str) -> None:
    """Deactivate (sign-in and every workflow action refused) or reactivate a user."""
    if username == by and not active:
        raise WorkflowError("du kan ikke deaktivere deg selv")
    with db.transaction() as session:
        require_user(session, by, Role.ADMIN)
        user = _user(session, username)
        if user.active == active:
            return
        user.active = active
        audit.append(session, actor=by, action="user.activate" if active else "user.deactivate",
                     entity=f"user:{username}", data={})


def record_password_set(db: Database, username: str, *, by: str) -> None:
    """The audit event for a password set by an admin (the hash itself is never logged)."""
    with db.transaction() as session:
        _user(session, username)
        audit.append(session, actor=by, action="user.password", entity=f"user:{username}", data={})


def update_account(db: Database, account_id: int, *, name: str, owning_unit: str, active: bool,
                   by: str) -> None:
    """Rename an account, move it to another unit, or (de)activate it."""
    new_name = clean_line(name, "navn")
    unit = clean_line(owning_unit, "enhet")
    with db.transaction() as session:
        require_user(session, by, Role.ADMIN)
        account = session.get(Account, account_id)
        if account is None:
            raise WorkflowError(f"konto #{account_id} finnes ikke")
        before = {"name": account.name, "owning_unit": account.owning_unit, "active": account.active}
        after = {"name": new_name, "owning_unit": unit, "active": active}
        if before == after:
            return
        account.name, account.owning_unit, account.active = new_name, unit, active
        audit.append(session, actor=by, action="account.update", entity=f"account:{account_id}",
                     data={"before": before, "after": after})


def end_crisis(db: Database, period_id: int, *, ends_at: datetime, by: str) -> CrisisView:
    """Set (or move) the end of a crisis period."""
    if ends_at.tzinfo is None:
        raise InputError("slutt må ha tidssone")
    end = utc(ends_at)
    with db.transaction() as session:
        require_user(session, by, Role.ADMIN)
        period = session.get(CrisisPeriod, period_id)
        if period is None:
            raise WorkflowError(f"kriseperiode #{period_id} finnes ikke")
        if end <= utc(period.starts_at):
            raise InputError("kriseperioden må slutte etter at den starter")
        period.ends_at = end
        audit.append(session, actor=by, action="crisis.end", entity=f"crisis:{period_id}",
                     data={"ends_at": end.isoformat()})
    return next(c for c in list_crises(db) if c.id == period_id)


@dataclass(frozen=True, slots=True)
class AccountRow:
    """An account as the admin page lists it (with whether it is active)."""

    id: int
    platform: str
    handle: str
    name: str
    owning_unit: str
    active: bool


def list_account_rows(db: Database) -> list[AccountRow]:
    with db.transaction() as session:
        return [AccountRow(a.id, a.platform, a.handle, a.name, a.owning_unit, a.active)
                for a in session.scalars(select(Account).order_by(Account.platform, Account.handle))]
