"""The web app's typed configuration piece (built from ``pipeline.settings.Settings.web``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipeline.settings import Settings
from schemas.errors import ConfigError

AuthMode = Literal["password", "proxy"]


@dataclass(frozen=True, slots=True)
class WebConfig:
    """How the web app signs people in and where it keeps its page cache."""

    secret_key: str  # signs session cookies; a random one per start when the setting is unset
    cache_dir: Path  # rendered page images and downloaded package copies
    session_minutes: int = 480
    auth: AuthMode = "password"
    proxy_user_header: str = "X-Remote-User"  # proxy mode: the SSO proxy puts the username here
    trusted_proxies: tuple[str, ...] = ("127.0.0.1",)  # proxy mode: only these peers may set that header
    secure_cookies: bool = False  # True behind TLS (the cookie is then only sent over HTTPS)
    page_image_dpi: int = 60


def web_config(settings: Settings) -> WebConfig:
    """The web app's piece of the settings (a random session key when none is set: sign-ins end at restart)."""
    key = settings.web_secret_key.get_secret_value() if settings.web_secret_key else secrets.token_urlsafe(48)
    if len(key) < 32:
        raise ConfigError("SOMEARKIV_WEB_SECRET_KEY må ha minst 32 tegn")
    return WebConfig(
        secret_key=key,
        cache_dir=settings.work_dir / "web-cache",
        session_minutes=settings.web_session_minutes,
        auth=settings.web_auth,
        proxy_user_header=settings.web_proxy_user_header,
        trusted_proxies=tuple(p.strip() for p in settings.web_trusted_proxies.split(",") if p.strip()),
        secure_cookies=settings.web_secure_cookies,
    )
