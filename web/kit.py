"""What the page modules (editor, admin, uttrekk) get from ``create_app``: the dependencies and the helpers
that sign people in, check forms and render templates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import SecretStr

from noark.model import NoarkContext
from schemas.errors import InputError
from schemas.thread import FlagKind
from storage.base import Sink
from storage.config import RetentionPolicy
from storage.timestamp import Timestamper
from web.auth import Person
from web.config import WebConfig
from workflow.db import Database

WebhookSettings = tuple[SecretStr, SecretStr, Path]  # pipeline.settings.Settings.webhooks()


def flag_kind(value: str) -> FlagKind:
    """The flag type a form chose, or an InputError naming the field in Norwegian (not the enum's English)."""
    try:
        return FlagKind(value)
    except ValueError:
        choices = " eller ".join(kind.value for kind in FlagKind)
        raise InputError(f"ukjent flaggtype {value[:40]!r} i feltet type: bruk {choices}") from None


@dataclass(frozen=True)
class Deps:
    config: WebConfig
    db: Database
    sink: Sink
    xsd_dir: Path | None
    retention: RetentionPolicy
    noark: NoarkContext | None = None  # needed to build an uttrekk from the app
    webhooks: WebhookSettings | None = None  # Meta webhooks: app secret, verify token, journal folder
    timestamper: Timestamper | None = None  # RFC 3161 tokens for the audit head and the approved manifest


@dataclass(frozen=True)
class Kit:
    deps: Deps
    render: Callable[..., HTMLResponse]  # render(request, template, status_code=200, **context)
    checked_form: Callable[[Request], Awaitable[dict[str, str]]]  # the form, or CsrfRefusedError
    person: Callable[[Request], Person]  # a FastAPI dependency: the signed-in person
    reviewer: Callable[..., Person]  # a dependency: an archivist, else 403
    admin: Callable[..., Person]  # a dependency: an admin, else 403
    visible_units: Callable[[Person], tuple[str, ...] | None]
