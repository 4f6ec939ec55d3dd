"""Typed configuration of a delivery: built once at the edge (``pipeline.settings.Settings.fiks()``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import SecretStr

from schemas.errors import ConfigError

SEND_PATH = "/fiks-io/api/v1/send"
KATALOG_PATH = "/fiks-io/katalog/api/v1"


@dataclass(frozen=True)
class FiksConfig:
    """How to reach Fiks IO as the municipality's account, and where to deliver (the archive's account).

    ``token`` is a Maskinporten access token (scope ``ks:fiks``) obtained outside somearkiv; it is sent as
    ``Authorization: Bearer`` with ``IntegrasjonId``/``IntegrasjonPassord`` on HTTP, and as the AMQP password
    ``"<integrasjonspassord> <token>"`` with the integration id as user name. Secrets stay ``SecretStr``.
    ``receiver_certificate`` is the archive account's public certificate (payloads are encrypted for it;
    unset: fetched from the Fiks IO catalogue);
    ``private_key`` is our account's key (answers with a payload are encrypted for our certificate).
    """

    base_url: str
    account_id: UUID
    integration_id: UUID
    integration_password: SecretStr
    token: SecretStr
    amqp_url: str
    receiver_account: UUID
    receiver_certificate: Path | None  # None: fetched from the Fiks IO catalogue
    private_key: Path
    receipt_timeout: timedelta
    message_ttl: timedelta = timedelta(days=2)
    signing_certificate: Path | None = None
    signing_key: Path | None = None
    max_message_bytes: int = 200 << 20
    require_approval: bool = False

    def __post_init__(self) -> None:
        for name, url, schemes in (
            ("FIKS_BASE_URL", self.base_url, ("http", "https")),
            ("FIKS_AMQP_URL", self.amqp_url, ("amqp", "amqps")),
        ):
            parts = urlsplit(url)
            if parts.scheme not in schemes or not parts.hostname:
                raise ConfigError(f"SOMEARKIV_{name} må være en {'/'.join(schemes)}-URL med vertsnavn")
            if parts.username or parts.password:
                raise ConfigError(f"SOMEARKIV_{name} skal ikke inneholde brukernavn eller passord")
        if (self.signing_certificate is None) != (self.signing_key is None):
            raise ConfigError("sett både SOMEARKIV_FIKS_SIGNING_CERTIFICATE og SOMEARKIV_FIKS_SIGNING_KEY, eller ingen")

    @property
    def send_url(self) -> str:
        return self.base_url.rstrip("/") + SEND_PATH

    def public_key_url(self, account: UUID) -> str:
        """The catalogue address of an account's public certificate."""
        return f"{self.base_url.rstrip('/')}{KATALOG_PATH}/kontoer/{account}/offentligNokkel"

    @property
    def queue(self) -> str:
        """The account's AMQP queue (``fiksio.konto.<account id>``)."""
        return queue_name(self.account_id)

    def __repr__(self) -> str:  # never show secrets, even by accident
        return (
            f"FiksConfig(base_url={self.base_url!r}, account_id={self.account_id}, "
            f"receiver_account={self.receiver_account}, amqp_url={self.amqp_url!r})"
        )


def queue_name(account_id: UUID) -> str:
    return f"fiksio.konto.{account_id}"
