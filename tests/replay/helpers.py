"""Building connectors that talk to a replay server, with a sleep that records instead of waiting."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import SecretStr

from schemas.thread import Account, Platform
from sources.connectors.config import Credential, RetryPolicy, SourcesConfig

TOKEN = "EAAGtopSecretToken123"


@dataclass
class Sleeps:
    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def config_for(url: str, sleeps: Sleeps, *, page_size: int = 100, max_attempts: int = 6, max_delay: float = 900.0,
               **kwargs: object) -> SourcesConfig:
    return SourcesConfig(
        base_urls={p: url for p in Platform},
        page_size=page_size,
        retry=RetryPolicy(max_attempts=max_attempts, base_delay=1.0, max_delay=max_delay, max_total_wait=7200.0,
                          sleep=sleeps),
        **kwargs,  # type: ignore[arg-type]
    )


def credential(account: str = "Eksempel kommune", **kwargs: object) -> Credential:
    return Credential(account=account, token=SecretStr(TOKEN), renew_hint="forny nøkkelen i Meta Business Suite",
                      **kwargs)  # type: ignore[arg-type]


def account(account_id: str = "100064123456789", name: str = "Eksempel kommune") -> Account:
    return Account(id=account_id, name=name, owning_unit="Kommunikasjonsavdelingen")
