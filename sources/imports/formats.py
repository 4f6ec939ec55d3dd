"""Parsers of the export formats: each takes a file's name and bytes and adds to an :class:`ImportReport`.

Shapes (from the platforms' exports as documented by the data-donation and Takeout parsers):

* Facebook ``comments.json`` ``{"comments_v2": [{"timestamp", "data": [{"comment": {...}}], "title"}]}`` and
  ``your_posts_*.json`` ``[{"timestamp", "data": [{"post": "..."}], "attachments", "title"}]``;
* Instagram ``post_comments_*.json`` (a list or ``{"comments_media_comments": [...]}``, ``string_map_data``
  with localised labels) and ``posts_*.json`` ``[{"media": [...], "title", "creation_timestamp"}]``;
* X ``tweets.js`` / ``tweets-partN.js``: ``window.YTD.tweets.part0 = [{"tweet": {...}}]``, numbers as strings;
* YouTube Takeout ``comments.csv`` with localised, reordered headers; the text column is JSON segments.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from schemas.errors import InputError
from schemas.thread import Account, Author, Item, Media, Platform, Revision, Thread
from sources.imports.report import ImportReport, OwnActivity
from sources.imports.text import load_json, repaired, text_of


def _epoch(value: Any, name: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(f"{name}: mangler tidspunkt")
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise InputError(f"{name}: ugyldig tidspunkt {str(value)[:40]!r}") from exc


def _stable_id(*parts: object) -> str:
    return "eksport-" + hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode(
        "utf-8", "backslashreplace")).hexdigest()[:16]


def _post_thread(platform: Platform, account: Account, post_id: str, url: str, created: datetime, text: str,
                 media: list[Media], author: str | None) -> Thread:
    return Thread(
        platform=platform, account=account, thread_id=post_id, url=url,
        post=Item(id=post_id, author=Author(id=account.id, display_name=author or account.name, is_municipality=True),
                  created_at=created, text=text, media=media, url=url if url.startswith("https://") else None),
        captured_at=datetime.now(UTC), source="export",
    )


def _export_media(attachments: Any, prefix: str) -> list[Media]:
    media: list[Media] = []
    for attachment in attachments if isinstance(attachments, list) else []:
        for data in (attachment.get("data") if isinstance(attachment, dict) else None) or []:
            uri = (data.get("media") or {}).get("uri") if isinstance(data, dict) and isinstance(
                data.get("media"), dict) else None
            url = (data.get("external_context") or {}).get("url") if isinstance(data, dict) and isinstance(
                data.get("external_context"), dict) else None
            if isinstance(uri, str) and uri:
                media.append(Media(id=f"{prefix}-m{len(media) + 1}", kind="image", url=None, alt_text=uri))
            elif isinstance(url, str) and url:
                media.append(Media(id=f"{prefix}-m{len(media) + 1}", kind="link", url=url))
    return media


def facebook_comments(raw: bytes, name: str, account: Account, report: ImportReport) -> None:
    data = repaired(load_json(raw, name))
    entries = data.get("comments_v2") or data.get("comments") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise InputError(f"{name}: fant ikke comments_v2")
    for index, entry in enumerate(entries):
        try:
            comment: dict[str, Any] = next((d["comment"] for d in entry.get("data") or [] if isinstance(d, dict)
                                            and isinstance(d.get("comment"), dict)), {})
            report.own_comments.append(OwnActivity(
                Platform.FACEBOOK, _epoch(comment.get("timestamp", entry.get("timestamp")), f"{name}[{index}]"),
                text_of(comment.get("comment")), context=text_of(entry.get("title")) or None))
        except (InputError, AttributeError) as exc:
            report.skipped.append((f"{name}[{index}]", str(exc) or "ukjent form"))
    report.formats.add("Facebook-eksport")


def facebook_posts(raw: bytes, name: str, account: Account, report: ImportReport) -> None:
    data = repaired(load_json(raw, name))
    entries = data if isinstance(data, list) else data.get("status_updates_v2") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InputError(f"{name}: ventet en liste med innlegg")
    for index, entry in enumerate(entries):
        try:
            if not isinstance(entry, dict):
                raise InputError("ikke et objekt")
            text = next((text_of(d.get("post")) for d in entry.get("data") or [] if isinstance(d, dict)
                         and "post" in d), "")
            created = _epoch(entry.get("timestamp"), f"{name}[{index}]")
            post_id = _stable_id("facebook", entry.get("timestamp"), text)
            report.threads.append(_post_thread(Platform.FACEBOOK, account, post_id, f"eksport:facebook/{post_id}",
                                               created, text, _export_media(entry.get("attachments"), post_id), None))
        except InputError as exc:
            report.skipped.append((f"{name}[{index}]", str(exc)))
    report.formats.add("Facebook-eksport")


_IG_TEXT = ("comment", "kommentar", "opmerking")
_IG_TIME = ("time", "tid", "tijd")
_IG_OWNER = ("media owner", "medieeier", "media-eigenaar", "eier av medier")


def _label(mapping: dict[str, Any], labels: tuple[str, ...]) -> Any:
    for key, value in mapping.items():
        if key.strip().lower() in labels:
            return value
    return None


def instagram_comments(raw: bytes, name: str, account: Account, report: ImportReport) -> None:
    data = repaired(load_json(raw, name))
    entries = data.get("comments_media_comments") or data.get("comments_reels_comments") if isinstance(
        data, dict) else data
    if not isinstance(entries, list):
        raise InputError(f"{name}: ventet en liste med kommentarer")
    for index, entry in enumerate(entries):
        fields = entry.get("string_map_data") if isinstance(entry, dict) else None
        if not isinstance(fields, dict):
            report.skipped.append((f"{name}[{index}]", "mangler string_map_data"))
            continue
        text = _label(fields, _IG_TEXT)
        when = _label(fields, _IG_TIME)
        owner = _label(fields, _IG_OWNER)
        try:
            created = _epoch(when.get("timestamp") if isinstance(when, dict) else None, f"{name}[{index}]")
        except InputError as exc:
            report.skipped.append((f"{name}[{index}]", str(exc)))
            continue
        report.own_comments.append(OwnActivity(
            Platform.INSTAGRAM, created, text_of(text.get("value") if isinstance(text, dict) else None),
            context=text_of(owner.get("value")) if isinstance(owner, dict) else None))
    report.formats.add("Instagram-eksport")


def instagram_posts(raw: bytes, name: str, account: Account, report: ImportReport) -> None:
    data = repaired(load_json(raw, name))
    if not isinstance(data, list):
        raise InputError(f"{name}: ventet en liste med innlegg")
    for index, entry in enumerate(data):
        media_list = entry.get("media") if isinstance(entry, dict) else None
        if not isinstance(media_list, list) or not media_list or not isinstance(media_list[0], dict):
            report.skipped.append((f"{name}[{index}]", "mangler media"))
            continue
        first = media_list[0]
        try:
            created = _epoch(entry.get("creation_timestamp") or first.get("creation_timestamp"), f"{name}[{index}]")
        except InputError as exc:
            report.skipped.append((f"{name}[{index}]", str(exc)))
            continue
        text = text_of(entry.get("title")) or text_of(first.get("title"))
        post_id = _stable_id("instagram", created.isoformat(), text)
        media = [Media(id=f"{post_id}-m{i + 1}", kind="video" if str(m.get("uri", "")).endswith(".mp4") else "image",
                       alt_text=text_of(m.get("uri")) or None) for i, m in enumerate(media_list) if isinstance(m, dict)]
        report.threads.append(_post_thread(Platform.INSTAGRAM, account, post_id, f"eksport:instagram/{post_id}",
                                           created, text, media, None))
    report.formats.add("Instagram-eksport")


def _ytd(raw: bytes, name: str) -> Any:
    text = raw.decode("utf-8-sig", errors="strict") if raw else ""
    start = text.find("[")
    if not text.lstrip().startswith("window.YTD.") or start < 0:
        raise InputError(f"{name}: ikke en X-arkivfil (window.YTD.… = [...])")
    return load_json(text[start:].encode("utf-8", "surrogatepass"), name)


def x_tweets(raw: bytes, name: str, account: Account, report: ImportReport) -> None:
    """Own posts; a reply to another own post joins that post's thread (a self-thread)."""
    try:
        entries = _ytd(raw, name)
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: ikke gyldig UTF-8") from exc
    if not isinstance(entries, list):
        raise InputError(f"{name}: ventet en liste")
    tweets: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(entries):
        tweet = entry.get("tweet") if isinstance(entry, dict) else None
        tweet_id = tweet.get("id_str") or tweet.get("id") if isinstance(tweet, dict) else None
        if not isinstance(tweet_id, str) or not tweet_id.isdigit():
            report.skipped.append((f"{name}[{index}]", "mangler id_str"))
            continue
        tweets[tweet_id] = tweet if isinstance(tweet, dict) else {}
    roots: dict[str, list[str]] = {}
    for tweet_id in tweets:
        root, hops = tweet_id, 0
        while hops < len(tweets):  # follow own replies up to the first post; a cycle stops at the bound
            parent = tweets[root].get("in_reply_to_status_id_str")
            if not isinstance(parent, str) or parent not in tweets or parent == root:
                break
            root, hops = parent, hops + 1
        roots.setdefault(root, []).append(tweet_id)
    for root, members in roots.items():
        try:
            items = [_x_item(tweets[t], t, root, account, f"{name}:{t}") for t in members]
        except InputError as exc:
            report.skipped.append((f"{name}:{root}", str(exc)))
            continue
        post = next(i for i in items if i.id == root)
        comments = sorted((i for i in items if i.id != root), key=lambda i: (i.created_at, i.id))
        handle = tweets[root].get("user_screen_name") or account.id
        url = f"https://x.com/{handle}/status/{root}"
        ordered: list[Item] = []
        placed = {root}
        pending = comments
        while pending:  # parents before replies (the tree model requires it)
            ready = [c for c in pending if c.parent_id is None or c.parent_id in placed]
            if not ready:
                ready = [pending[0].model_copy(update={"parent_id": None})]
                pending = pending[1:]
            else:
                pending = [c for c in pending if c not in ready]
            for c in ready:
                placed.add(c.id)
            ordered.extend(ready)
        report.threads.append(Thread(platform=Platform.X, account=account, thread_id=root, url=url, post=post,
                                     comments=ordered, captured_at=datetime.now(UTC), source="export"))
    report.formats.add("X-arkiv")


def _x_item(tweet: dict[str, Any], tweet_id: str, root: str, account: Account, where: str) -> Item:
    try:
        created = parsedate_to_datetime(str(tweet.get("created_at")))
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: ugyldig created_at") from exc
    if created.tzinfo is None:
        raise InputError(f"{where}: created_at uten tidssone")
    parent = tweet.get("in_reply_to_status_id_str")
    edit_ids = ((tweet.get("edit_info") or {}).get("initial") or {}).get("editTweetIds") if isinstance(
        tweet.get("edit_info"), dict) else None
    revisions = []
    if isinstance(edit_ids, list) and len(edit_ids) > 1:
        revisions = [Revision(text=f"(tidligere versjon {v}; teksten er ikke i arkivet)") for v in edit_ids[:-1]
                     if isinstance(v, str)]
    media = []
    for index, m in enumerate(((tweet.get("extended_entities") or {}).get("media") or []) if isinstance(
            tweet.get("extended_entities"), dict) else []):
        if isinstance(m, dict) and isinstance(m.get("media_url_https"), str):
            media.append(Media(id=f"x-{tweet_id}-m{index + 1}", kind="video" if m.get("type") != "photo" else "image",
                               url=m["media_url_https"]))
    return Item(
        id=tweet_id, parent_id=parent if isinstance(parent, str) and parent != root and tweet_id != root else None,
        author=Author(id=account.id, display_name=account.name, is_municipality=True), created_at=created,
        text=text_of(tweet.get("full_text") or tweet.get("text")), media=media,
        reactions=int(tweet["favorite_count"]) if str(tweet.get("favorite_count", "")).isdigit() else 0,
        revisions=revisions,
    )


_YT_COLUMNS = {
    "id": ("comment id", "reactie-id", "kommentar-id"),
    "video": ("video id", "video-id"),
    "parent": ("parent comment id", "bovenliggende reactie-id", "overordnet kommentar-id"),
    "time": ("comment create timestamp", "tijdstempel van reactie maken", "tidspunkt for opprettelse av kommentar"),
    "text": ("comment text", "reactietekst", "kommentartekst"),
    "post": ("post id", "post-id", "innlegg-id"),
}


def _yt_text(value: str) -> str:
    try:
        data = json.loads(value)
    except ValueError:
        try:
            data = json.loads(f"[{value}]")  # the newer bare segment list: {"text":"a"},{"text":"b"}
        except ValueError:
            return value
    if isinstance(data, dict):
        data = data.get("takeoutSegments") or data.get("segments") or [data]
    if isinstance(data, list):
        return "".join(text_of(s.get("text")) for s in data if isinstance(s, dict))
    return value


def youtube_comments(raw: bytes, name: str, account: Account, report: ImportReport) -> None:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: ikke gyldig UTF-8") from exc
    csv.field_size_limit(10 * 1024 * 1024)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    columns = {key: next((header.index(n) for n in names if n in header), None) for key, names in _YT_COLUMNS.items()}
    if columns["text"] is None or columns["time"] is None:
        raise InputError(f"{name}: fant ikke kolonnene for kommentartekst og tidspunkt")

    def cell(row: list[str], key: str) -> str:
        index = columns[key]
        return row[index] if index is not None and index < len(row) else ""

    for number, row in enumerate(reader, start=2):
        try:
            created = datetime.fromisoformat(cell(row, "time").strip().replace("Z", "+00:00"))
            if created.tzinfo is None:
                raise ValueError("uten tidssone")
        except ValueError:
            report.skipped.append((f"{name}:{number}", f"ugyldig tidspunkt {cell(row, 'time')[:40]!r}"))
            continue
        video = cell(row, "video")
        report.own_comments.append(OwnActivity(
            Platform.YOUTUBE, created, _yt_text(cell(row, "text")), context=f"video {video}" if video else
            (f"innlegg {cell(row, 'post')}" if cell(row, "post") else None),
            url=f"https://www.youtube.com/watch?v={video}" if video.isascii() and video.replace("-", "").replace(
                "_", "").isalnum() else None, item_id=cell(row, "id") or None))
    report.formats.add("YouTube Takeout")
