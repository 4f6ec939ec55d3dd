"""Typed configuration of the connectors: endpoints, versions, retry policy and per-account credentials.

Built at an edge (``pipeline.settings.Settings.sources()``, a flow, a test) and passed down; nothing here
reads the environment. Base URLs are settings so the same code talks to the real APIs or to the replay
server in ``tests/replay``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import SecretStr

from schemas.thread import Platform

DEFAULT_BASE_URLS: dict[Platform, str] = {
    Platform.FACEBOOK: "https://graph.facebook.com",
    Platform.INSTAGRAM: "https://graph.facebook.com",
    Platform.X: "https://api.x.com",
    Platform.YOUTUBE: "https://www.googleapis.com",
    Platform.LINKEDIN: "https://api.linkedin.com",
    Platform.TIKTOK: "https://business-api.tiktok.com",
}


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying: attempts per request, the longest single wait and the total wait budget.

    ``sleep`` is injected so tests never wait; it receives seconds.
    """

    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 900.0
    max_total_wait: float = 3600.0
    sleep: Callable[[float], None] | None = None


@dataclass(frozen=True)
class SourcesConfig:
    """Endpoints and API versions of the six platforms, timeouts and the retry policy."""

    base_urls: dict[Platform, str] = field(default_factory=lambda: dict(DEFAULT_BASE_URLS))
    graph_version: str = "v25.0"
    linkedin_version: str = "202611"
    x_full_archive: bool = False
    youtube_moderation: bool = False  # also list held-for-review and likely-spam comments (channel owner's OAuth)
    timeout_s: float = 30.0
    page_size: int = 100
    max_pages: int = 100_000
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def base_url(self, platform: Platform) -> str:
        return self.base_urls.get(platform, DEFAULT_BASE_URLS[platform]).rstrip("/")


@dataclass(frozen=True)
class Credential:
    """A token for one account; ``repr`` and ``str`` never show it (``SecretStr``).

    ``kind`` is ``api_key`` for a YouTube API key (sent as ``key=``, public threads only), else a Bearer token.

    ``business_id`` is TikTok's ``business_id`` (the account's ``open_id``); ``scopes`` are the granted
    scopes when known, so a missing one is named before any request is made.
    """

    account: str
    token: SecretStr
    renew_hint: str = ""
    scopes: frozenset[str] = frozenset()
    business_id: str | None = None
    kind: Literal["bearer", "api_key"] = "bearer"
