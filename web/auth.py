"""Sign-in, sessions and CSRF for the web app.

- Passwords are hashed with Argon2id (argon2-cffi) into ``users.password_hash``.
- A session is a signed, expiring cookie (itsdangerous) holding the username and a CSRF token; nothing else.
  Every session, even before sign-in, has its own CSRF token, so the sign-in form is protected too.
- Proxy mode (``SOMEARKIV_WEB_AUTH=proxy``): the municipality's single sign-on proxy authenticates and puts
  the username in a header (``SOMEARKIV_WEB_PROXY_USER_HEADER``); the header is believed only from the peers
  in ``SOMEARKIV_WEB_TRUSTED_PROXIES``. The user must exist (and be active) in the workflow database.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from schemas.errors import InputError
from web.config import WebConfig
from workflow.db import Database
from workflow.models import Role, User

COOKIE = "somearkiv_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
PASSWORD_MIN = 12
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("somearkiv-timing-equaliser")


@dataclass(frozen=True, slots=True)
class Person:
    """The signed-in user as the pages need them."""

    username: str
    display_name: str
    unit: str | None
    roles: frozenset[str]

    def has(self, role: Role) -> bool:
        return role.value in self.roles

    def has_role(self, name: str) -> bool:
        """For templates: ``person.has_role("admin")``."""
        return name in self.roles

    @property
    def can_review(self) -> bool:
        return self.has(Role.ARCHIVIST)


@dataclass(frozen=True, slots=True)
class Session:
    username: str | None
    csrf: str


def set_password(db: Database, username: str, password: str) -> None:
    """Hash and store a password (at least 12 characters) for an existing user."""
    if len(password) < PASSWORD_MIN:
        raise InputError(f"passordet må ha minst {PASSWORD_MIN} tegn")
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise InputError(f"ukjent bruker {username!r}")
        user.password_hash = _HASHER.hash(password)


def _person(user: User) -> Person:
    return Person(user.username, user.display_name, user.unit, frozenset(r.role for r in user.roles))


def check_password(db: Database, username: str, password: str) -> Person | None:
    """The person when the password is right (same work whether or not the user exists)."""
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        stored = user.password_hash if user is not None and user.active and user.password_hash else None
        ok: bool
        try:
            ok = _HASHER.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            ok = False
        return _person(user) if ok and stored and user is not None else None


def load_person(db: Database, username: str) -> Person | None:
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        return _person(user) if user is not None and user.active else None


class Sessions:
    """Signed, expiring session cookies."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self._serializer = URLSafeTimedSerializer(config.secret_key, salt="somearkiv-session")

    def read(self, request: Request) -> Session | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data: Any = self._serializer.loads(raw, max_age=self.config.session_minutes * 60)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        user = data.get("u")
        return Session(username=user if isinstance(user, str) else None, csrf=data["c"])

    def write(self, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE,
            self._serializer.dumps({"u": session.username, "c": session.csrf}),
            max_age=self.config.session_minutes * 60,
            httponly=True,
            samesite="lax",
            secure=self.config.secure_cookies,
            path="/",
        )

    @staticmethod
    def new(username: str | None = None) -> Session:
        return Session(username=username, csrf=secrets.token_urlsafe(32))

    @staticmethod
    def clear(response: Response) -> None:
        response.delete_cookie(COOKIE, path="/")


def csrf_ok(session: Session | None, token: str | None) -> bool:
    return bool(session and token and hmac.compare_digest(session.csrf, token))


def proxy_user(config: WebConfig, request: Request) -> str | None:
    """Proxy mode: the username the trusted SSO proxy sent, else None."""
    peer = request.client.host if request.client else None
    if config.auth != "proxy" or peer not in config.trusted_proxies:
        return None
    value = request.headers.get(config.proxy_user_header, "").strip()
    return value or None
