"""Export claims: when several workers share one bucket and one database, each package is built once.

Before a run builds a package it claims it: one row per (bucket, package id) in ``export_claims``. The insert
that creates the row wins (``INSERT … ON CONFLICT DO NOTHING`` on the unique key: no error, no retry loop);
any other run finds the row ``held`` by someone else, or ``done``. A holder keeps its claims alive with a
heartbeat (:meth:`ClaimRegistry.kept_alive`, renewing every claim of the run in one ``UPDATE``); a worker
that dies stops renewing, and once ``expires_at`` has passed another run takes the claim over (a conditional
update under a row lock, so only one does). After the upload the claim is ``done``; a claim whose holder
gave up (build failed, run ended) is released, so the next run may try at once.

Expiry is judged by the database server's clock on PostgreSQL (workers on several machines need not agree
on the time) and by this machine's clock on SQLite (one file, one machine).

A registry is picklable (the engine is not carried along, a process opens its own), so build processes can
use it; its holder id names the run (``host/pid/flow run id/random``), the same in every process of the run.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from schemas.errors import ConfigError, WorkflowError
from workflow.db import Database
from workflow.models import ExportClaim, now, utc

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=2)  # a claim not renewed for this long is free to take over
DEFAULT_MAX_WAIT = timedelta(minutes=15)  # how long a run waits for another run's package before giving up
HOLDER_MAX = 300
_LIMITS = {"bøtte": 1000, "pakke-id": 300, "trådnøkkel": 240}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")

ClaimState = Literal["won", "held", "done"]


@dataclass(frozen=True)
class ClaimOutcome:
    """What :meth:`ClaimRegistry.acquire` found: ``won`` (build it), ``held`` by another run, or ``done``."""

    state: ClaimState
    holder: str
    expires_at: datetime | None = None
    taken_over_from: str | None = None

    @property
    def won(self) -> bool:
        return self.state == "won"


def _checked(value: str, what: str) -> str:
    """``value`` unchanged, or a WorkflowError: these are keys, never altered (ids are escaped ASCII already)."""
    if not value or len(value) > _LIMITS[what] or _UNSAFE.search(value):
        shown = _UNSAFE.sub("?", value[:80])
        raise WorkflowError(f"eksportkrav: ugyldig {what} {shown!r} (tom, for lang eller med kontrolltegn)")
    return value


def run_holder(flow_run_id: str | None = None) -> str:
    """A holder id for one run: ``host/pid/flow run id/random`` (the random part tells two runs apart always)."""
    parts = [socket.gethostname() or "vert", str(os.getpid()), flow_run_id or "-", uuid.uuid4().hex[:12]]
    return _UNSAFE.sub("?", "/".join(parts))[-HOLDER_MAX:]


class ClaimRegistry:
    """The claims of one run (``holder``); a claim is on a package id in a bucket (``bucket``: the sink's URL)."""

    def __init__(
        self,
        database_url: str,
        *,
        holder: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
        max_wait: timedelta = DEFAULT_MAX_WAIT,
    ) -> None:
        if lease <= timedelta(0) or max_wait < timedelta(0):
            raise ConfigError("kravregisteret: leietiden må være positiv og ventetiden ikke negativ")
        self.database_url = database_url
        self.holder = _UNSAFE.sub("?", holder or run_holder())[:HOLDER_MAX]
        self.lease = lease
        self.max_wait = max_wait
        self._db: Database | None = None
        self._lock = threading.Lock()

    # -- pickling: a process opens its own engine -------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_db"] = None
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def db(self) -> Database:
        with self._lock:
            if self._db is None:
                self._db = Database(self.database_url)
            return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.dispose()
                self._db = None

    # -- the claim operations ----------------------------------------------------------------------

    def _now(self, session: Session) -> datetime:
        """The database server's time on PostgreSQL, this machine's on SQLite (always aware UTC)."""
        if self.db.dialect == "postgresql":
            return utc(session.scalar(select(func.now())) or now())
        return now()

    @staticmethod
    def _key(bucket: str, package_id: str) -> Any:
        return (ExportClaim.bucket == bucket) & (ExportClaim.package_id == package_id)

    def acquire(self, bucket: str, package_id: str, thread_key: str, *, retake_done: bool = False) -> ClaimOutcome:
        """Claim ``package_id``: ``won`` when the claim is new, already ours, expired (taken over) or, with
        ``retake_done``, done (the caller found the package missing from the bucket); else who holds it."""
        _checked(bucket, "bøtte"), _checked(package_id, "pakke-id"), _checked(thread_key, "trådnøkkel")
        with self.db.transaction() as session:
            at = self._now(session)
            values = {"bucket": bucket, "package_id": package_id, "thread_key": thread_key,
                      "holder": self.holder, "state": "held", "claimed_at": at, "expires_at": at + self.lease}
            insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
            statement = insert(ExportClaim).values(**values).on_conflict_do_nothing(
                index_elements=["bucket", "package_id"]).returning(ExportClaim.id)
            if session.scalar(statement) is not None:  # a row came back: our insert created the claim
                return ClaimOutcome("won", self.holder, at + self.lease)
            claim = session.scalars(select(ExportClaim).where(self._key(bucket, package_id)).with_for_update()).one()
            expires = utc(claim.expires_at)
            if claim.holder == self.holder and claim.state == "held":
                claim.expires_at = at + self.lease
                return ClaimOutcome("won", self.holder, claim.expires_at)
            if claim.state == "done" and not retake_done:
                return ClaimOutcome("done", claim.holder)
            if claim.state == "held" and expires > at:
                return ClaimOutcome("held", claim.holder, expires)
            previous = claim.holder
            claim.holder, claim.state, claim.claimed_at = self.holder, "held", at
            claim.expires_at, claim.finished_at, claim.taken_over_from = at + self.lease, None, previous[:HOLDER_MAX]
            claim.thread_key = thread_key
            log.info("package %s: claim of %s taken over by %s", package_id, previous, self.holder)
            return ClaimOutcome("won", self.holder, at + self.lease, taken_over_from=previous)

    def owns(self, bucket: str, package_id: str) -> bool:
        """Whether this run still holds ``package_id`` (renewing it): checked right before the upload."""
        with self.db.transaction() as session:
            at = self._now(session)
            result = session.execute(
                update(ExportClaim)
                .where(self._key(bucket, package_id), ExportClaim.holder == self.holder, ExportClaim.state == "held")
                .values(expires_at=at + self.lease)
            )
            return getattr(result, "rowcount", 0) == 1

    def finish(self, bucket: str, package_id: str) -> bool:
        """Mark our claim ``done`` (the package is in the bucket); False if it was not ours any more."""
        with self.db.transaction() as session:
            at = self._now(session)
            result = session.execute(
                update(ExportClaim)
                .where(self._key(bucket, package_id), ExportClaim.holder == self.holder, ExportClaim.state == "held")
                .values(state="done", finished_at=at)
            )
            return getattr(result, "rowcount", 0) == 1

    def release(self, bucket: str, package_id: str) -> bool:
        """Give up our claim (the build failed): the next run may claim the package at once."""
        with self.db.transaction() as session:
            result = session.execute(
                delete(ExportClaim)
                .where(self._key(bucket, package_id), ExportClaim.holder == self.holder, ExportClaim.state == "held")
            )
            return getattr(result, "rowcount", 0) == 1

    def renew_all(self) -> int:
        """Extend every claim this run holds (the heartbeat); returns how many."""
        with self.db.transaction() as session:
            at = self._now(session)
            result = session.execute(
                update(ExportClaim)
                .where(ExportClaim.holder == self.holder, ExportClaim.state == "held")
                .values(expires_at=at + self.lease)
            )
            return int(getattr(result, "rowcount", 0))

    def release_all(self) -> int:
        """Release every claim this run still holds (an upload that failed for good): at the end of a run."""
        with self.db.transaction() as session:
            result = session.execute(
                delete(ExportClaim).where(ExportClaim.holder == self.holder, ExportClaim.state == "held")
            )
            return int(getattr(result, "rowcount", 0))

    def holder_of(self, bucket: str, package_id: str) -> ClaimOutcome | None:
        """The current claim on ``package_id`` as another run would see it (None: unclaimed)."""
        with self.db.transaction() as session:
            claim = session.scalars(select(ExportClaim).where(self._key(bucket, package_id))).one_or_none()
            if claim is None:
                return None
            state: ClaimState = "done" if claim.state == "done" else "held"
            return ClaimOutcome(state, claim.holder, utc(claim.expires_at), claim.taken_over_from)

    @contextmanager
    def kept_alive(self, interval: timedelta | None = None) -> Iterator[ClaimRegistry]:
        """Renew this run's claims every ``interval`` (a third of the lease) while the block runs; release
        those still held when it ends, and close the engine."""
        every = (interval or self.lease / 3).total_seconds()
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(every):
                try:
                    self.renew_all()
                except Exception as exc:  # a database hiccup: the next beat tries again, the lease has slack
                    log.warning("export claims not renewed: %s", type(exc).__name__)

        thread = threading.Thread(target=beat, name="export-claims-heartbeat", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(timeout=every + 5)
            try:
                self.release_all()
            except Exception as exc:  # the run's work is done; unreleased claims simply expire with the lease
                log.warning("export claims not released (they expire): %s", type(exc).__name__)
            finally:
                self.close()
