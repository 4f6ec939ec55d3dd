"""Keep what disappears: merge a new capture of a thread with the previous one.

The platforms do not say when a comment is edited or deleted (only X keeps edit history, for its own
posts). So every fetch is an observation, and a re-capture is compared with the last capture:

* a comment that is gone is kept with its last text, marked removed (``Removal.state="deleted"``,
  reason ``unknown``) with ``discovered_at`` (this capture) and ``last_seen_at`` (the last capture that had
  it). When the new capture is known to be incomplete (an API limit), nothing is marked: absence proves
  nothing then;
* a changed text becomes a revision: the old text goes into ``revisions`` (oldest first) with the time range
  it was seen in, the new text is the item's text;
* an editor's own removal record (reason, screenshot, who) is never overwritten by the platform's state.

Webhook events (Facebook/Instagram ``add``/``edited``/``remove``) are applied the same way, as observations
with ``source="webhook"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from schemas.thread import Author, Item, Observation, Removal, RemovalReason, Revision, Thread
from sources.connectors.base import PartialError
from sources.connectors.build import conversation_order


@dataclass
class ObserveReport:
    """What a merge found."""

    removed: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    reappeared: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    notes: list[PartialError] = field(default_factory=list)


@dataclass(frozen=True)
class WebhookEvent:
    """One comment change a platform pushed (see :mod:`sources.webhooks`)."""

    platform: str
    account_id: str
    post_id: str
    comment_id: str
    verb: str  # add | edited | remove | hide | unhide
    at: datetime
    parent_id: str | None = None
    text: str | None = None
    author_id: str | None = None
    author_name: str | None = None


def _editor_removal(removal: Removal | None) -> bool:
    return removal is not None and (removal.reason is not RemovalReason.UNKNOWN or removal.removed_by is not None
                                    or removal.screenshot is not None)


def _revised(old: Item, new: Item, at: datetime) -> Item:
    """``new`` carrying ``old``'s text as a revision when the text changed."""
    revisions = list(old.revisions)
    for revision in new.revisions:  # the platform's own history (X) joins ours, without repeats
        if all((r.text, r.valid_from) != (revision.text, revision.valid_from) for r in revisions):
            revisions.append(revision)
    if old.text != new.text and not (revisions and revisions[-1].text == old.text):
        revisions.append(Revision(text=old.text, valid_from=old.edited_at or old.created_at,
                                  valid_to=new.edited_at or at))
    return new.model_copy(update={"revisions": revisions, "edited_at": new.edited_at or at})


def _last_seen(thread: Thread) -> datetime:
    seen = [o.at for o in thread.observations if o.source in ("api", "export")]
    return max(seen) if seen else thread.captured_at


def merge_captures(previous: Thread | None, current: Thread) -> tuple[Thread, ObserveReport]:
    """``current`` with everything ``previous`` knew that ``current`` no longer shows, and the edits between."""
    report = ObserveReport()
    if previous is None:
        return current, report
    at = current.captured_at
    incomplete = current.completeness is not None and any(g.reason == "api_limit" and g.count != 0
                                                          for g in current.completeness.gaps)
    old_items = {c.id: c for c in previous.comments}
    merged: list[Item] = []
    for item in current.comments:
        old = old_items.get(item.id)
        if old is None:
            report.added.append(item.id)
            merged.append(item)
            continue
        if old.text != item.text:
            report.edited.append(item.id)
            item = _revised(old, item, at)
        elif old.revisions and not item.revisions:
            item = item.model_copy(update={"revisions": old.revisions, "edited_at": item.edited_at or old.edited_at})
        if old.removal is not None and old.removal.state == "deleted" and not _editor_removal(old.removal):
            report.reappeared.append(item.id)
        if _editor_removal(old.removal) and (item.removal is None or not _editor_removal(item.removal)):
            item = item.model_copy(update={"removal": old.removal})
        merged.append(item)
    present = {c.id for c in current.comments}
    last_seen = _last_seen(previous)
    for old in previous.comments:
        if old.id in present:
            continue
        if old.removal is not None and old.removal.state == "deleted":
            merged.append(old)  # already known to be gone
            continue
        if incomplete:
            merged.append(old)
            report.notes.append(PartialError(old.id, "ikke sett i en ufullstendig innsamling; ikke merket fjernet"))
            continue
        report.removed.append(old.id)
        merged.append(old.model_copy(update={"removal": Removal(
            state="deleted", reason=old.removal.reason if _editor_removal(old.removal) and old.removal else
            RemovalReason.UNKNOWN, removed_at=old.removal.removed_at if old.removal else None,
            removed_by=old.removal.removed_by if old.removal else None,
            note=f"borte fra plattformen: oppdaget ved innsamling {at:%Y-%m-%d %H:%M} UTC, sist sett "
                 f"{last_seen:%Y-%m-%d %H:%M} UTC" + (f"; {old.removal.note}" if old.removal and old.removal.note
                                                      else ""),
            screenshot=old.removal.screenshot if old.removal else None,
            discovered_at=at, last_seen_at=last_seen)}))
    post = current.post
    if previous.post.text != post.text:
        report.edited.append(post.id)
        post = _revised(previous.post, post, at)
    elif previous.post.revisions and not post.revisions:
        post = post.model_copy(update={"revisions": previous.post.revisions})
    ordered = conversation_order(merged, report.notes, f"{current.platform.value}/{current.thread_id}")
    note = f"{len(report.removed)} borte, {len(report.edited)} endret, {len(report.added)} nye"
    observations = [*previous.observations, *[o.model_copy(update={"note": o.note or note})
                                              for o in current.observations]]
    merged_thread = current.model_copy(update={"post": post, "comments": ordered, "observations": observations})
    return Thread.model_validate(merged_thread.model_dump()), report


def mark_thread_gone(previous: Thread, at: datetime, detail: str) -> Thread:
    """The last capture with the post itself marked removed: the platform says it no longer exists."""
    removal = Removal(state="deleted", reason=RemovalReason.UNKNOWN, note=detail[:500], discovered_at=at,
                      last_seen_at=_last_seen(previous))
    observation = Observation(at=at, source="api", comments_seen=0, note=detail[:500])
    return previous.model_copy(update={"post": previous.post.model_copy(update={"removal": removal}),
                                       "observations": [*previous.observations, observation]})


def apply_events(thread: Thread, events: Iterable[WebhookEvent]) -> tuple[Thread, ObserveReport]:
    """Apply webhook events for this thread's post (others are ignored), oldest first."""
    report = ObserveReport()
    items = {c.id: c for c in thread.comments}
    order = [c.id for c in thread.comments]
    observations = list(thread.observations)
    for event in sorted(events, key=lambda e: e.at):
        if event.post_id != thread.thread_id:
            continue
        current = items.get(event.comment_id)
        if event.verb == "remove" and current is not None and (current.removal is None or
                                                                current.removal.state != "deleted"):
            items[event.comment_id] = current.model_copy(update={"removal": Removal(
                state="deleted", reason=current.removal.reason if _editor_removal(current.removal) and
                current.removal else RemovalReason.UNKNOWN, removed_at=event.at,
                note=f"meldt fjernet av {thread.platform.value} (webhook)", discovered_at=event.at)})
            report.removed.append(event.comment_id)
        elif event.verb in ("edited", "add") and current is not None and event.text is not None \
                and event.text != current.text:
            items[event.comment_id] = _revised(current, current.model_copy(update={"text": event.text,
                                                                                    "edited_at": event.at}), event.at)
            report.edited.append(event.comment_id)
        elif event.verb == "hide" and current is not None and current.removal is None:
            items[event.comment_id] = current.model_copy(update={"removal": Removal(
                state="hidden", reason=RemovalReason.UNKNOWN, removed_at=event.at, note="skjult (webhook)")})
        elif event.verb == "add" and current is None and event.text is not None:
            parent = event.parent_id if event.parent_id in items else None
            items[event.comment_id] = Item(
                id=event.comment_id, parent_id=parent,
                author=Author(id=event.author_id or "ukjent", display_name=event.author_name or "(ukjent)",
                              is_municipality=event.author_id == thread.account.id),
                created_at=event.at, text=event.text)
            order.append(event.comment_id)
            report.added.append(event.comment_id)
        else:
            continue
        observations.append(Observation(at=event.at, source="webhook", note=f"{event.verb} {event.comment_id}"))
    ordered = conversation_order([items[i] for i in order], report.notes, f"{thread.platform.value}/{thread.thread_id}")
    updated = thread.model_copy(update={"comments": ordered, "observations": observations})
    return Thread.model_validate(updated.model_dump()), report
