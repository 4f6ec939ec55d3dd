"""The workflow database's tables (SQLAlchemy 2, typed). Changes go through Alembic (``workflow/migrations``).

Times are stored timezone-aware (UTC); SQLite hands them back naive, :func:`utc` makes them aware again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (SQLite returns naive datetimes that were written as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def now() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    EDITOR = "editor"  # redaktør: flags and moderates the threads of their unit's accounts
    ARCHIVIST = "archivist"  # arkivar: reviews every package
    ADMIN = "admin"  # users, accounts, crisis periods


class FlagStatus(StrEnum):
    PENDING = "pending"  # flagged, not yet exported
    EXPORTED = "exported"  # a package exists, waiting for review
    APPROVED = "approved"
    REJECTED = "rejected"
    REFLAGGED = "re-flagged"  # flagged again after a rejection (or a change); exported again
    WITHDRAWN = "withdrawn"  # unflagged; kept for the history


FLAG_STATUS_LABELS: dict[FlagStatus, str] = {
    FlagStatus.PENDING: "venter på eksport",
    FlagStatus.EXPORTED: "eksportert, til gjennomgang",
    FlagStatus.APPROVED: "godkjent",
    FlagStatus.REJECTED: "avvist",
    FlagStatus.REFLAGGED: "flagget på nytt",
    FlagStatus.WITHDRAWN: "trukket tilbake",
}

# The moves a flag's status may make (the service refuses any other).
FLAG_TRANSITIONS: dict[FlagStatus, frozenset[FlagStatus]] = {
    FlagStatus.PENDING: frozenset({FlagStatus.EXPORTED, FlagStatus.WITHDRAWN}),
    FlagStatus.EXPORTED: frozenset({FlagStatus.APPROVED, FlagStatus.REJECTED, FlagStatus.EXPORTED,
                                    FlagStatus.WITHDRAWN}),
    FlagStatus.APPROVED: frozenset({FlagStatus.REFLAGGED}),
    FlagStatus.REJECTED: frozenset({FlagStatus.REFLAGGED, FlagStatus.WITHDRAWN}),
    FlagStatus.REFLAGGED: frozenset({FlagStatus.EXPORTED, FlagStatus.WITHDRAWN}),
    FlagStatus.WITHDRAWN: frozenset(),
}


class Base(DeclarativeBase):
    pass


_TS = DateTime(timezone=True)


class User(Base):
    """A person who uses the workflow; ``username`` is what ``--by`` and ``X-Somearkiv-User`` name."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    unit: Mapped[str | None] = mapped_column(String(200), doc="Organisational unit (redaktøransvar)")
    password_hash: Mapped[str | None] = mapped_column(String(500), doc="Set by the web app; never by the CLI")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(_TS, default=now)
    roles: Mapped[list[UserRole]] = relationship(back_populates="user", cascade="all, delete-orphan", lazy="selectin")

    def has_role(self, role: Role) -> bool:
        return any(r.role == role.value for r in self.roles)


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    user: Mapped[User] = relationship(back_populates="roles")
    __table_args__ = (CheckConstraint("role IN ('editor', 'archivist', 'admin')", name="ck_user_roles_role"),)


class Account(Base):
    """A municipality page/channel/account on one platform: the accounts registry (migration 0005).

    ``handle`` is the name URLs carry (``fjordvikkommune``, ``@FjordvikVeg``); ``platform_id`` is the id the
    platform's API wants (a Page id, a numeric user id, a channel id ``UC…``; None: the handle is the id).
    ``credentials_ref`` is a reference (``env:NAME``, ``secret:NAME``, ``settings:NAME``), never a token: a
    check constraint refuses anything else. ``noark_arkivdel``/``noark_series``: where the account's threads
    are filed (None: the settings' arkivdel)."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), doc="Local id of the account ([a-z0-9._-])")
    platform: Mapped[str] = mapped_column(String(20))
    handle: Mapped[str] = mapped_column(String(200), doc="The account's name as URLs carry it")
    platform_id: Mapped[str | None] = mapped_column(String(200), doc="The API's id; None: the handle")
    name: Mapped[str] = mapped_column(String(200))
    owning_unit: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    aliases: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of other handles/URL names")
    credentials_ref: Mapped[str | None] = mapped_column(String(140), doc="Where the token is; never the token")
    credential_kind: Mapped[str] = mapped_column(String(10), default="bearer")
    scopes: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of the scopes the token has")
    business_id: Mapped[str | None] = mapped_column(String(200), doc="TikTok business_id (open_id)")
    noark_arkivdel: Mapped[str | None] = mapped_column(String(200))
    noark_series: Mapped[str | None] = mapped_column(String(200))
    editors: Mapped[list[AccountEditor]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="AccountEditor.username"
    )
    __table_args__ = (
        UniqueConstraint("platform", "handle", name="uq_accounts_platform_handle"),
        UniqueConstraint("key", name="uq_accounts_key"),
        CheckConstraint("credential_kind IN ('bearer', 'api_key')", name="ck_accounts_credential_kind"),
        CheckConstraint(
            "credentials_ref IS NULL OR credentials_ref LIKE 'env:%' OR credentials_ref LIKE 'secret:%' "
            "OR credentials_ref LIKE 'settings:%'",
            name="ck_accounts_credentials_ref",
        ),
    )


class AccountEditor(Base):
    """A responsible editor of an account, by user name (validated; not a foreign key: see workflow/README)."""

    __tablename__ = "account_editors"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(200), primary_key=True)


class Case(Base):
    """A saksmappe: saksår/sakssekvensnummer, given by the editor or assigned here once for a new case."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    saksaar: Mapped[int] = mapped_column(Integer)
    sakssekvensnummer: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    assigned_here: Mapped[bool] = mapped_column(default=False, doc="True: a new case numbered by somearkiv")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(_TS, default=now)
    __table_args__ = (UniqueConstraint("saksaar", "sakssekvensnummer", name="uq_cases_number"),)

    @property
    def number(self) -> str:
        return f"{self.saksaar}/{self.sakssekvensnummer}"


class Flag(Base):
    """An editor's flag on one thread. At most one live (not withdrawn) flag per thread."""

    __tablename__ = "flags"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    post_id: Mapped[str] = mapped_column(String(200))
    thread_key: Mapped[str] = mapped_column(String(240), index=True)
    thread_url: Mapped[str | None] = mapped_column(Text)
    account: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    title: Mapped[str | None] = mapped_column(Text, doc="Title of the mappe/saksmappe the thread goes in")
    reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    flagged_by: Mapped[str] = mapped_column(String(200))
    flagged_at: Mapped[datetime] = mapped_column(_TS, default=now)
    deadline: Mapped[date | None] = mapped_column(Date, doc="Høringsfrist: comments after it are final")
    status: Mapped[str] = mapped_column(String(20), default=FlagStatus.PENDING.value)
    status_comment: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(_TS, default=now)
    origin: Mapped[str] = mapped_column(String(20), default="cli", doc="cli, api, import, crisis, candidate")
    case: Mapped[Case | None] = relationship(lazy="joined")
    history: Mapped[list[FlagStatusChange]] = relationship(
        back_populates="flag", order_by="FlagStatusChange.id", lazy="selectin"
    )
    __table_args__ = (
        CheckConstraint("kind IN ('journal-required', 'archive-worthy')", name="ck_flags_kind"),
        CheckConstraint(
            "status IN ('pending', 'exported', 'approved', 'rejected', 're-flagged', 'withdrawn')",
            name="ck_flags_status",
        ),
        Index(
            "uq_flags_live_thread",
            "thread_key",
            unique=True,
            sqlite_where=text("status <> 'withdrawn'"),
            postgresql_where=text("status <> 'withdrawn'"),
        ),
        Index("ix_flags_status_platform", "status", "platform"),
    )


class FlagStatusChange(Base):
    __tablename__ = "flag_status_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(_TS, default=now)
    by: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text)
    flag: Mapped[Flag] = relationship(back_populates="history")


class CrisisPeriod(Base):
    """A declared crisis: every thread of its accounts created in [starts_at, ends_at) is archive-worthy."""

    __tablename__ = "crisis_periods"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(_TS)
    ends_at: Mapped[datetime | None] = mapped_column(_TS, doc="None: still going on")
    declared_by: Mapped[str] = mapped_column(String(200))
    declared_at: Mapped[datetime] = mapped_column(_TS, default=now)
    accounts: Mapped[list[CrisisAccount]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    __table_args__ = (CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ck_crisis_period_order"),)


class CrisisAccount(Base):
    __tablename__ = "crisis_period_accounts"
    period_id: Mapped[int] = mapped_column(ForeignKey("crisis_periods.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    account: Mapped[Account] = relationship(lazy="joined")


class ModerationAction(Base):
    """A hide/delete of a comment: evidence first (capture + screenshot), then the platform call."""

    __tablename__ = "moderation_actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    thread_key: Mapped[str] = mapped_column(String(240), index=True)
    comment_id: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(40))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(_TS, default=now)
    state: Mapped[str] = mapped_column(String(20), default="requested", doc="requested, captured, done, failed")
    evidence_path: Mapped[str | None] = mapped_column(Text)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(_TS)
    __table_args__ = (
        CheckConstraint("action IN ('hide', 'delete')", name="ck_moderation_action"),
        CheckConstraint("state IN ('requested', 'captured', 'done', 'failed')", name="ck_moderation_state"),
    )


class NumberSeries(Base):
    """Counters handed out by one atomic ``UPDATE … RETURNING``: ``journal`` and ``saksmappe``, per year."""

    __tablename__ = "number_series"
    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class JournalEntry(Base):
    """The journalpost number of one thread: assigned once, kept across exports, versions and uttrekk."""

    __tablename__ = "journal_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_key: Mapped[str] = mapped_column(String(240), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    journalaar: Mapped[int] = mapped_column(Integer)
    sekvensnummer: Mapped[int] = mapped_column(Integer)
    assigned_at: Mapped[datetime] = mapped_column(_TS, default=now)
    source: Mapped[str] = mapped_column(String(20), default="somearkiv", doc="somearkiv, or archive (Fiks Arkiv)")
    case: Mapped[Case | None] = relationship(lazy="joined")
    __table_args__ = (UniqueConstraint("journalaar", "sekvensnummer", name="uq_journal_number"),)


class AuditEvent(Base):
    """One append-only, hash-chained audit event (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit_events"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(_TS)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(300), index=True, doc="e.g. flag:12, user:ingrid")
    data: Mapped[str] = mapped_column(Text, doc="Canonical JSON")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """One row: the last event's number and hash; updating it serialises appenders (a row lock)."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (CheckConstraint("id = 1", name="ck_audit_head_single"),)


class PackageRecord(Base):
    """One package in the archive bucket, indexed for the archivist's review queue (the bucket stays the truth)."""

    __tablename__ = "package_index"
    package_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    thread_key: Mapped[str] = mapped_column(String(240), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    account: Mapped[str] = mapped_column(String(200))
    owning_unit: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    case_number: Mapped[str | None] = mapped_column(String(40), index=True)
    flag_kind: Mapped[str | None] = mapped_column(String(20))
    comments: Mapped[int] = mapped_column(Integer, default=0)
    reported_comments: Mapped[int | None] = mapped_column(Integer, doc="Comment count the platform reported")
    captured_comments: Mapped[int | None] = mapped_column(Integer, doc="Comments the capture holds (completeness)")
    sensitive: Mapped[bool] = mapped_column(default=False, doc="The package holds skjermet content")
    exported_at: Mapped[datetime] = mapped_column(_TS)
    previous_package_id: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(_TS)
    decision_comment: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="ck_package_index_status"),
        Index("ix_package_index_queue", "status", "exported_at"),
        Index("ix_package_index_platform", "platform", "exported_at"),
        Index("ix_package_index_unit", "owning_unit", "exported_at"),
    )


class Candidate(Base):
    """A post the candidate scan suggests for flagging; an editor confirms (→ a flag) or dismisses it."""

    __tablename__ = "candidates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    post_id: Mapped[str] = mapped_column(String(200))
    thread_key: Mapped[str] = mapped_column(String(240), unique=True)
    thread_url: Mapped[str | None] = mapped_column(Text)
    account: Mapped[str | None] = mapped_column(String(200))
    excerpt: Mapped[str] = mapped_column(Text, doc="The post's first 500 characters")
    score: Mapped[float] = mapped_column()
    cues: Mapped[str] = mapped_column(Text, doc="JSON list of the cue names found")
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    found_at: Mapped[datetime] = mapped_column(_TS, default=now)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(_TS)
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("flags.id"))
    __table_args__ = (CheckConstraint("state IN ('open', 'confirmed', 'dismissed')", name="ck_candidates_state"),)


class ExportClaim(Base):
    """A run's claim on building and uploading one package into one bucket (see ``workflow.claims``).

    One row per (bucket, package id): the insert that creates it wins; a ``held`` claim whose ``expires_at``
    has passed (its holder stopped renewing it) may be taken over; ``done`` once the package is uploaded.
    """

    __tablename__ = "export_claims"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(1000), doc="The sink's URL (one package id may go to several buckets)")
    package_id: Mapped[str] = mapped_column(String(300))
    thread_key: Mapped[str] = mapped_column(String(240))
    holder: Mapped[str] = mapped_column(String(300), doc="host/pid/flow run id/random of the claiming run")
    state: Mapped[str] = mapped_column(String(10), default="held")
    claimed_at: Mapped[datetime] = mapped_column(_TS)
    expires_at: Mapped[datetime] = mapped_column(_TS, doc="Renewed by the holder's heartbeat while it runs")
    finished_at: Mapped[datetime | None] = mapped_column(_TS)
    taken_over_from: Mapped[str | None] = mapped_column(String(300), doc="The holder whose expired claim this took")
    __table_args__ = (
        UniqueConstraint("bucket", "package_id", name="uq_export_claims_package"),
        CheckConstraint("state IN ('held', 'done')", name="ck_export_claims_state"),
        Index("ix_export_claims_holder", "holder", "state"),
    )
