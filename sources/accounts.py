"""The accounts registry: the municipality's pages and channels, who is responsible and where threads go.

The workflow database holds the registry (``workflow.accounts``, migration 0005); this module is its
validated file format (JSON, or YAML when the name ends in ``.yaml``/``.yml``), read by
``somearkiv account import`` and written by ``somearkiv account export``, and the in-memory registry the
connectors use (``pipeline.accounts.registry_from_db`` builds it from the database)::

    {"accounts": [{"key": "fjordvik-facebook", "platform": "facebook", "platform_id": "100064123456789",
                   "display_name": "Fjordvik kommune", "owning_unit": "Kommunikasjonsavdelingen",
                   "editors": ["kari.nordmann"], "credentials_ref": "env:SOMEARKIV_TOKEN_FJORDVIK_FB",
                   "noark": {"arkivdel": "Sosiale medier", "series": "Facebook"}}]}

``credentials_ref`` names where the token is, never the token: ``env:NAME`` (an environment variable),
``secret:NAME`` (a Prefect Secret block) or ``settings:NAME``; the edge that builds the connectors resolves it
with :func:`resolve_credential`, so the token is never in this file, a log or a package.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from schemas.errors import ConfigError, CredentialsError
from schemas.thread import PLATFORM_LABELS, Account, Platform
from sources.connectors.base import AccountRef
from sources.connectors.config import Credential

RENEW_HINTS: dict[Platform, str] = {
    Platform.FACEBOOK: "hent en ny sidetilgangsnøkkel (Page access token) med pages_read_engagement og "
                       "pages_read_user_content",
    Platform.INSTAGRAM: "forny Instagram-nøkkelen med instagram_basic og instagram_manage_comments",
    Platform.X: "lag en ny Bearer-nøkkel i X Developer Portal",
    Platform.YOUTUBE: "lag en ny API-nøkkel eller OAuth-nøkkel (youtube.force-ssl) i Google Cloud Console",
    Platform.LINKEDIN: "logg inn på nytt som sideadministrator (r_organization_social)",
    Platform.TIKTOK: "koble kontoen til appen på nytt i TikTok for Business",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class NoarkTarget(_Strict):
    """Where the account's threads are filed in Noark: the arkivdel and, optionally, a series/class."""

    arkivdel: str = Field(min_length=1, max_length=200)
    series: str | None = Field(default=None, max_length=200)


class AccountEntry(_Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$", description="Local id of the account")
    platform: Platform
    platform_id: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f/\\]+$")
    display_name: str = Field(min_length=1, max_length=200)
    url: str | None = Field(default=None, pattern=r"^https://")
    owning_unit: str = Field(min_length=1, max_length=200, description="Enhet with redaktøransvar")
    editors: list[str] = Field(min_length=1, description="Responsible editors (user names)")
    credentials_ref: str = Field(pattern=r"^(env|secret|settings):[A-Za-z0-9_.-]{1,120}$")
    credential_kind: Literal["bearer", "api_key"] = "bearer"
    scopes: list[str] = Field(default_factory=list)
    business_id: str | None = Field(default=None, description="TikTok business_id (open_id)")
    noark: NoarkTarget | None = Field(default=None, description="None: the settings' arkivdel")
    aliases: list[str] = Field(default_factory=list, description="Handles/URL names the account also goes by")

    def thread_account(self) -> Account:
        return Account(id=self.platform_id, name=self.display_name, url=self.url, owning_unit=self.owning_unit)

    def account_ref(self) -> AccountRef:
        return AccountRef(self.platform, self.platform_id, self.display_name, self.owning_unit, self.url)

    @property
    def label(self) -> str:
        return f"{PLATFORM_LABELS[self.platform]}-kontoen «{self.display_name}» ({self.key})"


class AccountRegistry(_Strict):
    accounts: list[AccountEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> AccountRegistry:
        keys: set[str] = set()
        ids: set[tuple[Platform, str]] = set()
        for index, entry in enumerate(self.accounts):
            if entry.key in keys:
                raise ValueError(f"accounts[{index}].key {entry.key!r} står flere ganger")
            if (entry.platform, entry.platform_id) in ids:
                raise ValueError(f"accounts[{index}]: {entry.platform.value}/{entry.platform_id} står flere ganger")
            keys.add(entry.key)
            ids.add((entry.platform, entry.platform_id))
        return self

    def find(self, platform: Platform, hint: str | None) -> AccountEntry | None:
        """The account of ``platform`` whose key, platform id or alias is ``hint`` (the only one when None)."""
        candidates = [a for a in self.accounts if a.platform is platform]
        if hint is None:
            return candidates[0] if len(candidates) == 1 else None
        wanted = hint.strip().lstrip("@").lower()
        for entry in candidates:
            if wanted in {entry.key, entry.platform_id.lower(), *(a.lstrip("@").lower() for a in entry.aliases)}:
                return entry
        return None


def load_accounts(path: Path) -> AccountRegistry:
    """Read and validate the registry; errors name the file and the field."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: kan ikke lese kontoregisteret ({exc.strerror})") from exc
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml  # type: ignore[import-untyped]

            data = yaml.safe_load(raw)
        else:
            data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ConfigError(f"{path}: kontoregisteret er ikke gyldig JSON/YAML: {str(exc)[:200]}") from exc
    except Exception as exc:  # yaml.YAMLError and its kin
        raise ConfigError(f"{path}: kontoregisteret er ikke gyldig YAML: {str(exc)[:200]}") from exc
    try:
        return AccountRegistry.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(rot)"
        raise ConfigError(f"{path}: ugyldig kontoregister ({exc.error_count()} feil), {field}: {first['msg']}") from exc


def resolve_credential(entry: AccountEntry, lookup: Callable[[str], str | None]) -> Credential:
    """The account's token, looked up by its reference; a missing one names the account and what to renew."""
    value = lookup(entry.credentials_ref)
    hint = RENEW_HINTS[entry.platform]
    if not value or not value.strip():
        raise CredentialsError(
            f"{entry.label}: fant ingen tilgangsnøkkel for {entry.credentials_ref} – {hint}, og lagre den der "
            "referansen peker")
    return Credential(account=entry.display_name, token=SecretStr(value.strip()), renew_hint=hint,
                      scopes=frozenset(entry.scopes), business_id=entry.business_id, kind=entry.credential_kind)
