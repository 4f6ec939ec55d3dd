"""The municipality's accounts (pages, channels, profiles) and the unit responsible for each."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.errors import InputError, WorkflowError
from schemas.thread import Platform
from workflow import audit
from workflow.db import Database
from workflow.models import Account, Role
from workflow.text import clean_line
from workflow.users import require_user


@dataclass(frozen=True, slots=True)
class AccountView:
    id: int
    platform: str
    handle: str
    name: str
    owning_unit: str


def _view(a: Account) -> AccountView:
    return AccountView(a.id, a.platform, a.handle, a.name, a.owning_unit)


def platform_of(value: str) -> Platform:
    try:
        return Platform(value.strip().lower())
    except ValueError:
        raise InputError(f"ukjent plattform {value!r}; bruk en av {', '.join(p.value for p in Platform)}") from None


def find_account(session: Session, platform: Platform, handle: str) -> Account | None:
    """The account by platform and handle (case-insensitive: handles in URLs vary in case)."""
    for account in session.scalars(select(Account).where(Account.platform == platform.value)):
        if account.handle.lower() == handle.lower():
            return account
    return None


def add_account(db: Database, platform: str, handle: str, *, name: str, owning_unit: str, by: str,
                check_user: bool = True) -> AccountView:
    plat = platform_of(platform)
    handle = clean_line(handle, "konto", limit=200)
    with db.transaction() as session:
        if check_user:
            require_user(session, by, Role.ADMIN)
        if find_account(session, plat, handle) is not None:
            raise WorkflowError(f"kontoen {plat.value}/{handle} finnes allerede")
        account = Account(platform=plat.value, handle=handle, name=clean_line(name, "navn"),
                          owning_unit=clean_line(owning_unit, "enhet"))
        session.add(account)
        session.flush()
        audit.append(session, actor=by, action="account.create", entity=f"account:{account.id}",
                     data={"platform": plat.value, "handle": handle, "name": account.name,
                           "owning_unit": account.owning_unit})
        return _view(account)


def list_accounts(db: Database) -> list[AccountView]:
    with db.transaction() as session:
        return [_view(a) for a in session.scalars(select(Account).order_by(Account.platform, Account.handle))]
