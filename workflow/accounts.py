"""The municipality's accounts (pages, channels, profiles): the accounts registry, in the workflow database.

Each account has its platform, ``handle`` (the name URLs carry) and ``platform_id`` (the API's id), display
name, owning unit, responsible editors, a credentials *reference* (``env:NAME`` | ``secret:NAME`` |
``settings:NAME``, never the token) and the Noark arkivdel/series its threads go to. Every change is an audit
event (``account.create``, ``account.registry``) in the same transaction. The validated file format
(``sources.accounts``) is converted to and from :class:`AccountRecord` above this package
(``pipeline.accounts``): workflow and sources do not import each other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.errors import InputError, WorkflowError
from schemas.thread import Platform
from workflow import audit
from workflow.db import Database
from workflow.models import Account, AccountEditor, Role, User
from workflow.text import clean_line
from workflow.users import require_user

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
REF_PATTERN = re.compile(r"^(env|secret|settings):[A-Za-z0-9_.-]{1,120}$")
USERNAME_PATTERN = re.compile(r"^[^\s/\\.][^/\\]{0,199}$")  # as user names: no paths, any letters
MAX_LIST = 50


@dataclass(frozen=True, slots=True)
class AccountView:
    id: int
    platform: str
    handle: str
    name: str
    owning_unit: str


@dataclass(frozen=True)
class AccountRecord:
    """One account of the registry, as the database keeps it (no token, ever: ``credentials_ref`` names it)."""

    key: str
    platform: str
    handle: str
    name: str
    owning_unit: str
    platform_id: str | None = None
    url: str | None = None
    editors: tuple[str, ...] = ()
    credentials_ref: str | None = None
    credential_kind: Literal["bearer", "api_key"] = "bearer"
    scopes: tuple[str, ...] = ()
    business_id: str | None = None
    noark_arkivdel: str | None = None
    noark_series: str | None = None
    aliases: tuple[str, ...] = ()
    active: bool = True
    unknown_editors: tuple[str, ...] = field(default=(), compare=False)  # editors who are no users (yet)

    @property
    def api_id(self) -> str:
        """The id the platform's API wants: ``platform_id``, or the handle when the two are the same."""
        return self.platform_id or self.handle

    def missing(self) -> list[str]:
        """What the account lacks before its threads can be fetched (Norwegian, for messages)."""
        gaps = []
        if not self.credentials_ref:
            gaps.append("tilgangsnøkkelreferanse (credentials_ref)")
        if not self.editors:
            gaps.append("ansvarlige redaktører")
        return gaps

    def audit_data(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("unknown_editors")
        return data


@dataclass(frozen=True)
class RegistryChange:
    key: str
    change: Literal["created", "updated", "unchanged"]
    fields: tuple[str, ...] = ()


def _view(a: Account) -> AccountView:
    return AccountView(a.id, a.platform, a.handle, a.name, a.owning_unit)


def platform_of(value: str) -> Platform:
    try:
        return Platform(value.strip().lower())
    except ValueError:
        raise InputError(f"ukjent plattform {value!r}; bruk en av {', '.join(p.value for p in Platform)}") from None


def default_key(platform: str, handle: str) -> str:
    """A key for an account registered without one: ``<platform>-<handle>``, lower case, [a-z0-9._-]."""
    base = re.sub(r"[^a-z0-9._-]+", "-", f"{platform}-{handle.strip().lstrip('@')}".lower())
    base = re.sub(r"-{2,}", "-", base).strip("-._")[:80]
    return base if base and base[0].isalnum() else f"k{base}"[:80]


def _names_of(account: Account) -> set[str]:
    """Every name the account goes by, lower case without ``@``: handle, platform id, aliases."""
    return {account.handle.lstrip("@").lower(), (account.platform_id or "").lower(),
            *(a.lstrip("@").lower() for a in _json_list(account.aliases))} - {""}


def find_account(session: Session, platform: Platform, handle: str) -> Account | None:
    """The account by platform and handle, platform id or alias (case-insensitive: URLs vary in case)."""
    wanted = handle.strip().lstrip("@").lower()
    for account in session.scalars(select(Account).where(Account.platform == platform.value)):
        if wanted in _names_of(account):
            return account
    return None


def _json_list(text: str | None) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _names(values: tuple[str, ...] | list[str], what: str, pattern: re.Pattern[str] | None = None) -> list[str]:
    if len(values) > MAX_LIST:
        raise InputError(f"{what}: høyst {MAX_LIST}")
    cleaned: list[str] = []
    for value in values:
        text = clean_line(value, what, limit=200)
        if pattern is not None and not pattern.match(text):
            raise InputError(f"{what}: {text[:60]!r} er ikke et gyldig navn")
        if text not in cleaned:
            cleaned.append(text)
    return cleaned


def _optional(value: str | None, what: str) -> str | None:
    return None if value is None or not value.strip() else clean_line(value, what, limit=200)


def checked(record: AccountRecord) -> AccountRecord:
    """``record`` with its text cleaned; an InputError naming the account and the field otherwise."""
    where = f"konto {record.key[:80]!r}"
    if not KEY_PATTERN.match(record.key):
        raise InputError(f"{where}: nøkkelen må være små bokstaver, sifre, . _ - (høyst 80 tegn)")
    platform = platform_of(record.platform).value
    if record.credentials_ref is not None and not REF_PATTERN.match(record.credentials_ref):
        raise InputError(f"{where}: credentials_ref må være en referanse env:NAVN, secret:NAVN eller "
                         "settings:NAVN – aldri selve nøkkelen")
    if record.credential_kind not in ("bearer", "api_key"):
        raise InputError(f"{where}: credential_kind må være bearer eller api_key")
    if record.url is not None and not record.url.startswith("https://"):
        raise InputError(f"{where}: url må begynne med https://")
    return AccountRecord(
        key=record.key, platform=platform, handle=clean_line(record.handle, f"{where}: konto", limit=200),
        name=clean_line(record.name, f"{where}: navn", limit=200),
        owning_unit=clean_line(record.owning_unit, f"{where}: enhet", limit=200),
        platform_id=_optional(record.platform_id, f"{where}: platform_id"),
        url=clean_line(record.url, f"{where}: url", limit=2000) if record.url else None,
        editors=tuple(_names(record.editors, f"{where}: redaktør", USERNAME_PATTERN)),
        credentials_ref=record.credentials_ref, credential_kind=record.credential_kind,
        scopes=tuple(_names(record.scopes, f"{where}: scope")),
        business_id=_optional(record.business_id, f"{where}: business_id"),
        noark_arkivdel=_optional(record.noark_arkivdel, f"{where}: arkivdel"),
        noark_series=_optional(record.noark_series, f"{where}: serie"),
        aliases=tuple(_names(record.aliases, f"{where}: alias")), active=record.active,
    )


def _record(a: Account, users: set[str] | None = None) -> AccountRecord:
    editors = tuple(e.username for e in a.editors)
    kind: Literal["bearer", "api_key"] = "api_key" if a.credential_kind == "api_key" else "bearer"
    return AccountRecord(
        key=a.key, platform=a.platform, handle=a.handle, name=a.name, owning_unit=a.owning_unit,
        platform_id=a.platform_id, url=a.url, editors=editors, credentials_ref=a.credentials_ref,
        credential_kind=kind, scopes=tuple(_json_list(a.scopes)), business_id=a.business_id,
        noark_arkivdel=a.noark_arkivdel, noark_series=a.noark_series, aliases=tuple(_json_list(a.aliases)),
        active=a.active, unknown_editors=tuple(e for e in editors if users is not None and e not in users),
    )


def _apply(account: Account, record: AccountRecord) -> None:
    account.key, account.platform, account.handle = record.key, record.platform, record.handle
    account.platform_id, account.name, account.owning_unit = record.platform_id, record.name, record.owning_unit
    account.url, account.active = record.url, record.active
    account.aliases = json.dumps(list(record.aliases), ensure_ascii=False)
    account.credentials_ref, account.credential_kind = record.credentials_ref, record.credential_kind
    account.scopes = json.dumps(list(record.scopes), ensure_ascii=False)
    account.business_id = record.business_id
    account.noark_arkivdel, account.noark_series = record.noark_arkivdel, record.noark_series
    wanted = set(record.editors)
    account.editors[:] = [e for e in account.editors if e.username in wanted]
    have = {e.username for e in account.editors}
    account.editors.extend(AccountEditor(username=name) for name in record.editors if name not in have)


def add_account(db: Database, platform: str, handle: str, *, name: str, owning_unit: str, by: str,
                check_user: bool = True, key: str | None = None, platform_id: str | None = None,
                editors: tuple[str, ...] = (), credentials_ref: str | None = None,
                noark_arkivdel: str | None = None, noark_series: str | None = None) -> AccountView:
    """Register a new account (admin); the registry fields may follow later (``account import``)."""
    plat = platform_of(platform)
    handle = clean_line(handle, "konto", limit=200)
    record = checked(AccountRecord(
        key=key or default_key(plat.value, handle), platform=plat.value, handle=handle, name=name,
        owning_unit=owning_unit, platform_id=platform_id, editors=editors, credentials_ref=credentials_ref,
        noark_arkivdel=noark_arkivdel, noark_series=noark_series))
    with db.transaction() as session:
        if check_user:
            require_user(session, by, Role.ADMIN)
        if find_account(session, plat, handle) is not None:
            raise WorkflowError(f"kontoen {plat.value}/{handle} finnes allerede")
        taken = set(session.scalars(select(Account.key)))
        if record.key in taken and key is not None:
            raise WorkflowError(f"kontonøkkelen {record.key} er i bruk; velg en annen med --key")
        if record.key in taken:  # a generated key: the next free one
            stem = record.key[:74]
            free = next(f"{stem}-{n}" for n in range(2, len(taken) + 3) if f"{stem}-{n}" not in taken)
            record = replace(record, key=free)
        account = Account()
        _apply(account, record)
        session.add(account)
        session.flush()
        audit.append(session, actor=by, action="account.create", entity=f"account:{account.id}",
                     data=record.audit_data())
        return _view(account)


class _Index:
    """The stored accounts by key and by (platform, name), loaded once per import."""

    def __init__(self, session: Session) -> None:
        self.by_key: dict[str, Account] = {}
        self.by_name: dict[tuple[str, str], Account] = {}
        for account in session.scalars(select(Account).order_by(Account.id)):
            self.add(account)

    def add(self, account: Account) -> None:
        self.by_key[account.key] = account
        for name in _names_of(account):
            self.by_name.setdefault((account.platform, name), account)

    def match(self, record: AccountRecord) -> Account | None:
        """The stored account ``record`` is: by key, else by handle or platform id; a clash is a WorkflowError."""
        by_key = self.by_key.get(record.key)
        by_name = self.by_name.get((record.platform, record.handle.lstrip("@").lower()))
        if by_name is None and record.platform_id:
            by_name = self.by_name.get((record.platform, record.platform_id.lower()))
        if by_key is not None and by_name is not None and by_key.id != by_name.id:
            raise WorkflowError(f"konto {record.key!r}: {record.platform}/{record.handle} er allerede registrert "
                                f"som {by_name.key!r}")
        return by_key or by_name


def upsert_accounts(db: Database, records: list[AccountRecord], *, by: str,
                    check_user: bool = True) -> list[RegistryChange]:
    """Create or update each account (admin), all in one transaction: one bad record changes nothing.

    An account is matched by key, then by platform id/handle (an account added by ``account add`` is
    adopted). Each created or changed account is one audit event with the fields before and after."""
    cleaned = [checked(r) for r in records]
    keys = [r.key for r in cleaned]
    if len(set(keys)) != len(keys):
        raise InputError(f"kontonøkkelen {next(k for k in keys if keys.count(k) > 1)!r} står flere ganger")
    changes: list[RegistryChange] = []
    with db.transaction() as session:
        if check_user:
            require_user(session, by, Role.ADMIN)
        index = _Index(session)
        for record in cleaned:
            account = index.match(record)
            if account is None:
                account = Account()
                _apply(account, record)
                session.add(account)
                session.flush()
                index.add(account)
                audit.append(session, actor=by, action="account.create", entity=f"account:{account.id}",
                             data={**record.audit_data(), "via": "registry"})
                changes.append(RegistryChange(record.key, "created"))
                continue
            before = _record(account).audit_data()
            after = record.audit_data()
            changed = tuple(sorted(k for k in after if before.get(k) != after[k]))
            if not changed:
                changes.append(RegistryChange(record.key, "unchanged"))
                continue
            _apply(account, record)
            session.flush()
            index.add(account)
            audit.append(session, actor=by, action="account.registry", entity=f"account:{account.id}",
                         data={"key": record.key, "changed": list(changed),
                               "before": {k: before.get(k) for k in changed}, "after": {k: after[k] for k in changed}})
            changes.append(RegistryChange(record.key, "updated", changed))
    return changes


def account_records(db: Database, *, active_only: bool = False) -> list[AccountRecord]:
    """Every registered account (with its editors), by platform and key."""
    with db.transaction() as session:
        users = set(session.scalars(select(User.username)))
        query = select(Account).order_by(Account.platform, Account.key)
        if active_only:
            query = query.where(Account.active.is_(True))
        return [_record(a, users) for a in session.scalars(query)]


def noark_targets(db: Database) -> Mapping[tuple[str, str], tuple[str, str | None]]:
    """(platform, API id) → (arkivdel, series) of the accounts that name an arkivdel."""
    return {(r.platform, r.api_id): (r.noark_arkivdel, r.noark_series)
            for r in account_records(db) if r.noark_arkivdel}


def list_accounts(db: Database) -> list[AccountView]:
    with db.transaction() as session:
        return [_view(a) for a in session.scalars(select(Account).order_by(Account.platform, Account.handle))]
