"""The accounts registry between its two homes: the workflow database (the source) and the validated file.

``workflow.accounts`` stores :class:`~workflow.accounts.AccountRecord`s; ``sources.accounts`` is the file
format and the in-memory registry the connectors use. This module converts between them (the two packages do
not import each other): :func:`import_registry` (file → database, audited), :func:`export_registry`
(database → file), :func:`registry_from_db` (database → what the capture flow, moderation and candidate scan
use). Tokens never pass through here: only their references.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from schemas.errors import ConfigError
from sources.accounts import AccountEntry, AccountRegistry, load_accounts
from workflow.accounts import AccountRecord, RegistryChange, account_records, upsert_accounts
from workflow.db import Database


@dataclass(frozen=True)
class DbRegistry:
    """The registry built from the database, and the accounts left out (with what each lacks)."""

    registry: AccountRegistry
    incomplete: list[str] = field(default_factory=list)


def record_of(entry: AccountEntry) -> AccountRecord:
    """A file entry as a database record: the handle is the first alias, else the platform id."""
    return AccountRecord(
        key=entry.key, platform=entry.platform.value, handle=entry.aliases[0] if entry.aliases else entry.platform_id,
        name=entry.display_name, owning_unit=entry.owning_unit, platform_id=entry.platform_id, url=entry.url,
        editors=tuple(entry.editors), credentials_ref=entry.credentials_ref, credential_kind=entry.credential_kind,
        scopes=tuple(entry.scopes), business_id=entry.business_id,
        noark_arkivdel=entry.noark.arkivdel if entry.noark else None,
        noark_series=entry.noark.series if entry.noark else None, aliases=tuple(entry.aliases),
    )


def entry_data(record: AccountRecord) -> dict[str, object]:
    """A database record in the file format (``None`` fields left out)."""
    aliases = list(record.aliases)
    if record.handle != record.api_id and record.handle not in aliases:
        aliases.insert(0, record.handle)
    data: dict[str, object] = {
        "key": record.key, "platform": record.platform, "platform_id": record.api_id, "display_name": record.name,
        "url": record.url, "owning_unit": record.owning_unit, "editors": list(record.editors),
        "credentials_ref": record.credentials_ref, "credential_kind": record.credential_kind,
        "scopes": list(record.scopes), "business_id": record.business_id,
        "noark": {"arkivdel": record.noark_arkivdel, "series": record.noark_series} if record.noark_arkivdel else None,
        "aliases": aliases,
    }
    return {k: v for k, v in data.items() if v is not None and v != []}


def import_registry(db: Database, path: Path, *, by: str) -> list[RegistryChange]:
    """Validate the file with the registry's model, then create or update every account in it (one transaction)."""
    registry = load_accounts(path)
    return upsert_accounts(db, [record_of(entry) for entry in registry.accounts], by=by)


def export_registry(db: Database) -> str:
    """Every account in the file format (JSON, sorted keys). Incomplete accounts are written as they are: the
    file then does not load until their editors and credentials reference are filled in."""
    records = account_records(db)
    return json.dumps({"accounts": [entry_data(r) for r in records]}, ensure_ascii=False, indent=2,
                      sort_keys=True) + "\n"


def registry_from_db(db: Database) -> DbRegistry:
    """The active accounts that have what fetching needs (editors, a credentials reference) as the registry;
    the others are listed with what they lack, so a thread of theirs fails naming the account."""
    entries: list[AccountEntry] = []
    incomplete: list[str] = []
    for record in account_records(db, active_only=True):
        missing = record.missing()
        if missing:
            incomplete.append(f"konto {record.key} ({record.platform}/{record.handle}) mangler {', '.join(missing)}; "
                              "fyll inn med «somearkiv account import»")
            continue
        data = entry_data(record)
        try:
            entries.append(AccountEntry.model_validate(data))
        except ValueError as exc:
            incomplete.append(f"konto {record.key}: ugyldig i databasen ({str(exc).splitlines()[0][:200]})")
    try:
        return DbRegistry(AccountRegistry(accounts=entries), incomplete)
    except ValueError as exc:
        raise ConfigError(f"kontoregisteret i databasen: {str(exc).splitlines()[0][:300]}") from exc
