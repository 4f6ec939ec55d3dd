"""The redacted variant of a thread: each hit and each restricted item replaced by a visible mark.

The result is an ordinary :class:`Thread`, so the existing renderer draws it: the removed text never reaches
the PDF (text layer, bookmarks, metadata), and a restricted item's media and screenshot are dropped, so no
image of it is embedded. Hits the archivist cleared (``cleared`` keys) stay as they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping

from schemas.errors import InputError
from schemas.screening import Hit, ScreeningResult, redaction_mark
from schemas.thread import REMOVAL_REASON_LABELS, Author, Item, Media, RemovalReason, Revision, Thread

RESTRICTED_AUTHOR = Author(id="skjermet", display_name=redaction_mark("navn"))
SCREENSHOT_MARK = redaction_mark("skjermbilde")
MEDIA_MARK = redaction_mark("vedlegg")
NOTE_MARK = redaction_mark("merknad")


def apply_hits(text: str, hits: Collection[Hit], *, where: str) -> str:
    """``text`` with every hit's range replaced by its mark; overlapping ranges are merged."""
    spans = sorted((hit.start, hit.end, hit.label) for hit in hits)
    out: list[str] = []
    cursor = 0
    for start, end, label in spans:
        if end > len(text):
            raise InputError(f"{where}: treffet {start}:{end} ligger utenfor teksten (screeningen er utdatert)")
        if start < cursor:  # overlaps the previous hit: the mark covers both
            cursor = max(cursor, end)
            continue
        out.append(text[cursor:start])
        out.append(redaction_mark(label))
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def _restricted_mark(item: Item) -> str:
    reason = item.removal.reason if item.removal else RemovalReason.OTHER
    return redaction_mark(REMOVAL_REASON_LABELS[reason].lower())


def _placeholder(media: Media, n: int, mark: str) -> Media:
    return Media(id=f"skjermet-{n}", kind=media.kind if media.kind == "screenshot" else "image", alt_text=mark)


def _redact_item(item: Item, hits: Mapping[str, list[Hit]], restricted: bool, where: str) -> Item:
    def field(name: str, text: str) -> str:
        found = hits.get(name)
        return apply_hits(text, found, where=f"{where}/{name}") if found else text

    if restricted:
        mark = _restricted_mark(item)
        removal = item.removal
        if removal is not None:
            removal = removal.model_copy(
                update={
                    "note": NOTE_MARK if removal.note else None,  # it may describe or name what was removed
                    "screenshot": _placeholder(removal.screenshot, 0, SCREENSHOT_MARK) if removal.screenshot else None,
                }
            )
        return item.model_copy(
            update={
                "author": RESTRICTED_AUTHOR,
                "text": mark,
                "revisions": [
                    Revision(text=mark, valid_from=r.valid_from, valid_to=r.valid_to) for r in item.revisions
                ],
                "media": [_placeholder(m, n + 1, MEDIA_MARK) for n, m in enumerate(item.media)],
                "removal": removal,
                "url": None,
            }
        )
    update: dict[str, object] = {"text": field("text", item.text)}
    if item.revisions:
        update["revisions"] = [
            r.model_copy(update={"text": field(f"revision:{n}", r.text)}) for n, r in enumerate(item.revisions)
        ]
    if item.media:
        update["media"] = [
            m.model_copy(update={"alt_text": field(f"media:{n}.alt_text", m.alt_text)}) if m.alt_text else m
            for n, m in enumerate(item.media)
        ]
    if item.removal is not None:
        removal = item.removal
        shot = removal.screenshot
        update["removal"] = removal.model_copy(
            update={
                "note": field("removal.note", removal.note) if removal.note else None,
                "screenshot": shot.model_copy(
                    update={"alt_text": field("removal.screenshot.alt_text", shot.alt_text)}
                )
                if shot is not None and shot.alt_text
                else shot,
            }
        )
    return item.model_copy(update=update)


def redact_thread(thread: Thread, result: ScreeningResult, *, cleared: Collection[str] = ()) -> Thread:
    """The redacted variant of ``thread``; ``cleared`` holds the keys of hits the archivist cleared."""
    where = f"tråd {thread.platform.value}/{thread.thread_id}"
    per_item: dict[str, dict[str, list[Hit]]] = defaultdict(lambda: defaultdict(list))
    known = {item.id for item in thread.all_items()}
    for hit in result.hits:
        if hit.key in cleared:
            continue
        if hit.item_id not in known:
            raise InputError(f"{where}: treffet {hit.describe()} viser til et element som ikke finnes")
        per_item[hit.item_id][hit.field].append(hit)
    restricted = result.restricted_ids

    def redact(item: Item) -> Item:
        hits = per_item.get(item.id, {})
        if not hits and item.id not in restricted:
            return item
        return _redact_item(item, hits, item.id in restricted, f"{where}: element {item.id}")

    title = thread.title
    title_hits = per_item.get(thread.post.id, {}).get("title")
    if title and title_hits:
        title = apply_hits(title, title_hits, where=f"{where}: tittel")
    if title is None and thread.post.id in restricted:
        title = f"Tråd {thread.thread_id}"  # the post's first line would be the restricted mark
    return thread.model_copy(
        update={"title": title, "post": redact(thread.post), "comments": [redact(c) for c in thread.comments]}
    )
