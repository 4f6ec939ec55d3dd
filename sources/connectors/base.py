"""The connector contract: fetch one thread by reference, list an account's recent threads.

A connector returns a :class:`Capture`: the canonical :class:`schemas.thread.Thread` plus the raw API
exchanges behind it (the evidence) and notes about anything the platform reported but did not give.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from schemas.errors import SourceError
from schemas.refs import ThreadRef
from schemas.thread import Platform, Thread


class NotFoundError(SourceError):
    """The platform says an object does not exist (or is private to this token)."""


class ThreadGoneError(SourceError):
    """The thread's post no longer exists, is private or deleted: a re-capture marks the thread removed."""


@dataclass(frozen=True)
class Exchange:
    """One request/response with the platform, as evidence: secrets already removed from URL and headers."""

    method: str
    url: str
    requested_at: datetime
    status: int
    headers: dict[str, str]
    body: bytes
    request_headers: dict[str, str] = field(default_factory=dict)
    elapsed_ms: int = 0
    note: str | None = None


@dataclass(frozen=True)
class PartialError:
    """An error the platform reported inside an otherwise successful response (never dropped)."""

    where: str
    detail: str


@dataclass
class Capture:
    """One fetch of one thread: the canonical thread, the exchanges behind it and reported partial errors."""

    thread: Thread
    exchanges: list[Exchange]
    partial_errors: list[PartialError] = field(default_factory=list)


@dataclass(frozen=True)
class AccountRef:
    """The account a connector lists recent posts of (a page id, IG user id, X user id, channel id …)."""

    platform: Platform
    platform_id: str
    name: str
    owning_unit: str
    url: str | None = None


class Connector(Protocol):
    """One platform behind one small interface."""

    platform: Platform

    def fetch_thread(self, ref: ThreadRef, *, since: datetime | None = None) -> Capture:
        """The whole thread behind ``ref`` (post, comments, replies, media references).

        ``since`` is accepted for callers that know the last capture, but every connector fetches the whole
        thread: only a full fetch shows what was removed.
        """
        ...

    def list_recent(self, account: AccountRef, since: datetime) -> list[ThreadRef]:
        """The account's posts created since ``since``, newest first."""
        ...
