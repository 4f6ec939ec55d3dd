"""The canonical, versioned thread model: one social-media thread as captured from any platform.

A thread is a root post plus a flat list of comments in capture (conversation) order; a reply points at
its parent comment through ``parent_id`` (``None`` means a direct comment on the post). Everything the
archive needs travels in this model; platform connectors and export importers produce it, exporters
consume it. ``schemas/thread.schema.json`` is generated from it (``python -m schemas.generate``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

SCHEMA_VERSION: Literal["1"] = "1"


class Platform(StrEnum):
    """Social-media platforms the municipality talks on."""

    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    X = "x"
    TIKTOK = "tiktok"
    LINKEDIN = "linkedin"
    YOUTUBE = "youtube"


PLATFORM_LABELS: dict[Platform, str] = {
    Platform.FACEBOOK: "Facebook",
    Platform.INSTAGRAM: "Instagram",
    Platform.X: "X",
    Platform.TIKTOK: "TikTok",
    Platform.LINKEDIN: "LinkedIn",
    Platform.YOUTUBE: "YouTube",
}


class RemovalReason(StrEnum):
    """Why an item was deleted or hidden (the municipality's guideline)."""

    PERSONSJIKANE = "personsjikane"  # personal harassment
    SENSITIVE_PERSONAL_DATA = "sensitive_personal_data"
    SPAM = "spam"
    CASE_HANDLING = "case_handling"  # case handling with personal data does not belong on social media
    DELETED_BY_AUTHOR = "deleted_by_author"
    OTHER = "other"
    UNKNOWN = "unknown"  # seen hidden or gone on the platform; who removed it and why is not known


REMOVAL_REASON_LABELS: dict[RemovalReason, str] = {
    RemovalReason.PERSONSJIKANE: "Personsjikane",
    RemovalReason.SENSITIVE_PERSONAL_DATA: "Sensitive personopplysninger",
    RemovalReason.SPAM: "Spam",
    RemovalReason.CASE_HANDLING: "Saksbehandling med personopplysninger",
    RemovalReason.DELETED_BY_AUTHOR: "Slettet av forfatteren",
    RemovalReason.OTHER: "Annet",
    RemovalReason.UNKNOWN: "Ukjent (observert på plattformen)",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _AddedFields(_Model):
    """A model that gained optional fields after schema version 1: they are left out of the JSON while unset.

    Captures written before the fields existed keep their exact bytes (and so their package ids).
    """

    _added: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _omit_unset_added(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for name in self._added:
                if name in data and data[name] in (None, []):
                    del data[name]
        return data


class Account(_Model):
    """The municipality's page/account the thread lives on; editorial responsibility is delegated per page."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1, description="Display name of the page, e.g. 'Fjordvik kommune'")
    url: str | None = None
    owning_unit: str = Field(min_length=1, description="Unit with redaktøransvar for this page")


class Author(_Model):
    id: str = Field(min_length=1)
    display_name: str
    is_municipality: bool = False


class Media(_Model):
    """A media item attached to a post or comment, or a screenshot kept before a deletion.

    ``path`` is relative to the capture's media folder (bundled samples: ``samples/media``); the file is
    copied into the package as-is, so originals always survive. ``sha256`` is of that file.
    """

    id: str = Field(min_length=1)
    kind: Literal["image", "video", "link", "screenshot"] = "image"
    path: str | None = Field(default=None, description="Relative path of the captured file, if captured")
    url: str | None = Field(default=None, description="Original URL on the platform")
    mime_type: str | None = None
    alt_text: str | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class Revision(_Model):
    """An earlier text of an edited item, when the platform let us see it."""

    text: str
    valid_from: AwareDatetime | None = None
    valid_to: AwareDatetime | None = None


class Removal(_AddedFields):
    """A deleted or hidden item; a screenshot is taken before deletion as documentation.

    An item a re-capture no longer finds keeps its last text and gets ``discovered_at`` (the capture that
    missed it) and ``last_seen_at`` (the last capture that had it): it went away in between.
    """

    _added: ClassVar[frozenset[str]] = frozenset({"discovered_at", "last_seen_at"})

    state: Literal["deleted", "hidden"]
    reason: RemovalReason
    removed_at: AwareDatetime | None = None
    removed_by: str | None = Field(default=None, description="Editor who removed it")
    note: str | None = None
    screenshot: Media | None = None
    discovered_at: AwareDatetime | None = Field(default=None, description="When somearkiv found it removed")
    last_seen_at: AwareDatetime | None = Field(default=None, description="Last observation that still had it")


class Item(_Model):
    """A post or a comment."""

    id: str = Field(min_length=1)
    parent_id: str | None = Field(default=None, description="Comment this replies to; None = on the post")
    author: Author
    created_at: AwareDatetime
    edited_at: AwareDatetime | None = None
    text: str = ""
    media: list[Media] = Field(default_factory=list)
    reactions: int = Field(default=0, ge=0, description="Total reaction/like count")
    revisions: list[Revision] = Field(default_factory=list, description="Earlier texts, oldest first")
    removal: Removal | None = None
    url: str | None = None


class Gap(_Model):
    """Why some comments the platform counts are not in the capture."""

    reason: Literal["hidden", "deleted", "api_limit", "private", "unknown"]
    count: int | None = Field(default=None, ge=0)
    note: str | None = None


class Completeness(_Model):
    """Reported vs captured comment count of one capture (a platform's count is never proof of completeness)."""

    reported: int | None = Field(default=None, ge=0, description="Comment count the platform reports")
    captured: int = Field(ge=0, description="Comments in this capture (removed ones kept from earlier excluded)")
    gaps: list[Gap] = Field(default_factory=list)


class Observation(_Model):
    """One look at the thread: an API fetch, a webhook event or an import, with its time."""

    at: AwareDatetime
    source: Literal["api", "webhook", "export"]
    comments_seen: int | None = Field(default=None, ge=0)
    note: str | None = None


class Thread(_AddedFields):
    """One thread: the root post and all its comments and replies, as captured."""

    _added: ClassVar[frozenset[str]] = frozenset({"completeness", "observations"})

    schema_version: Literal["1"] = SCHEMA_VERSION
    platform: Platform
    account: Account
    thread_id: str = Field(min_length=1, description="Platform id of the root post")
    url: str = Field(min_length=1)
    title: str | None = Field(default=None, description="Short human title; defaults to the post's first line")
    post: Item
    comments: list[Item] = Field(default_factory=list, description="Conversation order, replies after parents")
    captured_at: AwareDatetime
    source: Literal["api", "export", "sample"] = "api"
    completeness: Completeness | None = None
    observations: list[Observation] = Field(default_factory=list, description="Every look at the thread, oldest first")

    @model_validator(mode="after")
    def _check_tree(self) -> Thread:
        if self.post.parent_id is not None:
            raise ValueError(f"tråd {self.platform.value}/{self.thread_id}: post.parent_id skal være tom")
        earlier: dict[str, bool] = {}
        for index, comment in enumerate(self.comments):
            problem = comment_tree_problem(index, comment, self.post.id, earlier.get)
            if problem:
                raise ValueError(f"tråd {self.platform.value}/{self.thread_id}: {problem}")
            earlier[comment.id] = True
        return self

    @property
    def display_title(self) -> str:
        """The title, or the post's first non-empty line, shortened."""
        if self.title:
            return self.title
        first = next((line.strip() for line in self.post.text.splitlines() if line.strip()), "")
        return (first[:117] + "...") if len(first) > 120 else (first or f"Tråd {self.thread_id}")

    def depth_of(self) -> dict[str, int]:
        """Nesting depth per comment id (1 = comment on the post, 2 = reply, ...)."""
        depth: dict[str, int] = {}
        for comment in self.comments:
            depth[comment.id] = 1 if comment.parent_id is None else depth[comment.parent_id] + 1
        return depth

    def all_items(self) -> list[Item]:
        """The post followed by every comment, in conversation order."""
        return [self.post, *self.comments]


def comment_tree_problem(
    index: int, comment: Item, post_id: str, earlier: Callable[[str], object | None]
) -> str | None:
    """The thread-tree rule ``comments[index]`` breaks, or None (one rule set for every capture reader).

    ``earlier(id)`` is truthy when an earlier comment has that id. The rules: a comment's id is unique (and is
    not the post's id); a reply's ``parent_id`` names an earlier comment, so replies come after their parents.
    """
    if comment.id == post_id or earlier(comment.id):
        return f"comments[{index}].id {comment.id!r} er ikke unik"
    if comment.parent_id is not None and not earlier(comment.parent_id):
        return (f"comments[{index}] ({comment.id}).parent_id {comment.parent_id!r} "
                "viser ikke til en tidligere kommentar")
    return None


class FlagKind(StrEnum):
    """Why an editor flagged a thread."""

    JOURNAL_REQUIRED = "journal-required"  # journalpliktig: input in a consultation or on a decision
    ARCHIVE_WORTHY = "archive-worthy"  # arkivverdig, not journaled


FLAG_KIND_LABELS: dict[FlagKind, str] = {
    FlagKind.JOURNAL_REQUIRED: "Journalpliktig",
    FlagKind.ARCHIVE_WORTHY: "Arkivverdig",
}


class Flag(_Model):
    """An editor's decision that a thread goes to the archive."""

    thread_url: str = Field(min_length=1)
    kind: FlagKind
    case_number: str | None = Field(
        default=None, pattern=r"^\d{4}/\d{1,7}$", description="Saksnummer saksaar/sakssekvensnummer"
    )
    case_title: str | None = Field(default=None, description="Title for a new saksmappe")
    flagged_by: str = Field(min_length=1)
    flagged_at: AwareDatetime
    note: str | None = None
