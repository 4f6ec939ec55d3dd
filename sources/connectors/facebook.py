"""Facebook Pages (Graph API): the post, every comment at any depth (``filter=stream``), rebuilt as a tree.

Requires a Page access token (commenters' names are only returned with one) with ``pages_read_engagement``
and ``pages_read_user_content``. Hidden comments (``is_hidden``) are kept and marked hidden. When a huge
thread hits the Graph API's after-cursor limit, the rest is read from the other end
(``order=reverse_chronological``) until the two passes meet; a gap that remains is recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from schemas.errors import SourceError
from schemas.refs import ThreadRef
from schemas.thread import Author, Gap, Item, Media, Platform, Removal, RemovalReason
from sources.connectors.base import AccountRef, Capture, PartialError
from sources.connectors.build import segment
from sources.connectors.common import ConnectorBase, as_int, as_str, as_text, dig, parse_time
from sources.connectors.graph import CursorLimitError, graph_classifier, graph_pages
from sources.connectors.http import ApiClient

RENEW = "hent en ny langtidsgyldig sidetilgangsnøkkel (Page access token) via /me/accounts med " \
        "pages_read_engagement og pages_read_user_content"
POST_FIELDS = (
    "id,created_time,message,permalink_url,from{id,name},is_hidden,status_type,"
    "attachments{media,media_type,type,title,description,url,unshimmed_url,target,subattachments},"
    "comments.filter(stream).summary(true).limit(0),reactions.summary(true).limit(0)"
)
COMMENT_FIELDS = (
    "id,created_time,from{id,name},message,parent{id},attachment,like_count,comment_count,is_hidden,permalink_url"
)


def _media(node: Any, prefix: str) -> list[Media]:
    """Attachments (and their sub-attachments) as media references; files are fetched by the capture flow."""
    found: list[Media] = []
    stack = [node] if isinstance(node, dict) else []
    while stack and len(found) < 500:
        att = stack.pop(0)
        src = dig(att, "media", "image", "src") or dig(att, "media", "source")
        kind = str(att.get("media_type") or att.get("type") or "")
        url = src if isinstance(src, str) else att.get("url") if isinstance(att.get("url"), str) else None
        subs = dig(att, "subattachments", "data")
        if url and not (isinstance(subs, list) and subs and not src):
            media_kind: Literal["image", "video", "link"] = "video" if "video" in kind else "image" if src else "link"
            target = as_str(dig(att, "target", "id"))
            found.append(Media(id=f"{prefix}-m{len(found) + 1}" + (f"-{target}" if target else ""), kind=media_kind,
                               url=url, alt_text=att.get("description") if isinstance(att.get("description"), str)
                               else None))
        if isinstance(subs, list):
            stack.extend(s for s in subs if isinstance(s, dict))
    return found


class FacebookConnector(ConnectorBase):
    platform = Platform.FACEBOOK

    def _client(self) -> ApiClient:
        self.require_credential()
        renew = self.credential.renew_hint if self.credential and self.credential.renew_hint else RENEW
        return self.client(graph_classifier(lambda: f"Facebook, konto {self.account.name}", renew),
                           token_param="access_token", token_header=None)

    def _path(self, *parts: str) -> str:
        return "/" + "/".join([self.config.graph_version, *parts])

    def _author(self, node: Any, errors: list[PartialError], where: str) -> Author:
        author_id = as_str(dig(node, "id"))
        name = dig(node, "name")
        if not author_id or not isinstance(name, str):
            if not any("sidetilgangsnøkkel" in e.detail for e in errors):
                errors.append(PartialError(where, "kommentarer uten avsender: Facebook gir navn bare med en "
                                                  "sidetilgangsnøkkel (Page access token)"))
            return Author(id=author_id or "ukjent", display_name=name if isinstance(name, str) else "(ukjent)")
        return Author(id=author_id, display_name=name, is_municipality=author_id == self.account.id)

    def _item(self, node: Any, errors: list[PartialError], where: str, *, is_post: bool = False) -> Item | None:
        if not isinstance(node, dict) or not as_str(node.get("id")):
            errors.append(PartialError(where, f"element uten id hoppet over: {str(node)[:80]}"))
            return None
        item_id = as_str(node["id"])
        try:
            created = parse_time(node.get("created_time"), f"{where}, {item_id}")
        except SourceError as exc:
            errors.append(PartialError(where, str(exc)))
            return None
        parent = None if is_post else as_str(dig(node, "parent", "id")) or None
        hidden = node.get("is_hidden") is True
        attachments = node.get("attachments") if is_post else node.get("attachment")
        media = []
        attached = dig(attachments, "data")
        if is_post and isinstance(attached, list):
            for att in attached:
                media.extend(_media(att, item_id))
        elif not is_post:
            media = _media(attachments, item_id)
        return Item(
            id=item_id,
            parent_id=parent,
            author=self._author(node.get("from"), errors, where),
            created_at=created,
            text=as_text(node.get("message")),
            media=media,
            reactions=as_int(dig(node, "reactions", "summary", "total_count") if is_post else node.get("like_count")),
            removal=Removal(state="hidden", reason=RemovalReason.UNKNOWN, note="skjult på Facebook (is_hidden)")
            if hidden else None,
            url=node.get("permalink_url") if isinstance(node.get("permalink_url"), str) else None,
        )

    def fetch_thread(self, ref: ThreadRef, *, since: datetime | None = None) -> Capture:
        started = datetime.now(UTC)
        where = self.where(ref)
        post_seg = segment(ref.post_id, where)
        errors: list[PartialError] = []
        with self._client() as client:
            raw_post = self.get_post(client, self._path(post_seg), {"fields": POST_FIELDS}, ref)
            post = self._item(raw_post, errors, where, is_post=True)
            if post is None:
                raise SourceError(f"{where}: innlegget mangler id eller tidspunkt i svaret")
            reported = dig(raw_post, "comments", "summary", "total_count")
            comments, gaps = self._comments(client, post_seg, where, errors)
            return self.finish(
                ref, post=post, comments=comments, url=post.url or ref.url or f"https://www.facebook.com/{ref.post_id}",
                started=started, exchanges=client.exchanges, errors=errors,
                reported=reported if isinstance(reported, int) and not isinstance(reported, bool) else None, gaps=gaps,
            )

    def _comments(self, client: ApiClient, post_seg: str, where: str,
                  errors: list[PartialError]) -> tuple[list[Item], list[Gap]]:
        path = self._path(post_seg, "comments")
        base = {"filter": "stream", "summary": "true", "limit": str(min(self.config.page_size, 100)),
                "fields": COMMENT_FIELDS}
        comments: list[Item] = []
        seen: set[str] = set()
        try:
            for data, _ in graph_pages(client, path, {**base, "order": "chronological"}, what=f"{where}, kommentarer",
                                       max_pages=self.config.max_pages):
                for node in data:
                    item = self._item(node, errors, where)
                    if item is not None:
                        comments.append(item)
                        seen.add(item.id)
            return comments, []
        except CursorLimitError:
            forward = len(comments)
        # the other end: newest first, until we meet a comment the first pass already has
        met = False
        try:
            for data, _ in graph_pages(client, path, {**base, "order": "reverse_chronological"},
                                       what=f"{where}, kommentarer (baklengs)", max_pages=self.config.max_pages):
                for node in data:
                    item = self._item(node, errors, where)
                    if item is None:
                        continue
                    if item.id in seen:
                        met = True
                        break
                    comments.append(item)
                    seen.add(item.id)
                if met:
                    break
        except CursorLimitError:
            pass
        if met:
            return comments, [Gap(reason="api_limit", count=0, note=(
                f"Graph API-ets sidemarkørgrense nådd etter {forward} kommentarer; resten hentet baklengs, "
                "ingen mangler"))]
        return comments, [Gap(reason="api_limit", note=(
            f"Graph API-ets sidemarkørgrense nådd etter {forward} kommentarer forfra og {len(comments) - forward} "
            "bakfra; kommentarene i midten mangler"))]

    def list_recent(self, account: AccountRef, since: datetime) -> list[ThreadRef]:
        where = f"Facebook, konto {account.name} ({account.platform_id})"
        refs: list[ThreadRef] = []
        with self._client() as client:
            for data, _ in graph_pages(
                client, self._path(segment(account.platform_id, where), "published_posts"),
                {"fields": "id,created_time,permalink_url", "since": str(int(since.timestamp())), "limit": "100"},
                what=f"{where}, innlegg", max_pages=self.config.max_pages,
            ):
                for node in data:
                    post_id = as_str(dig(node, "id"))
                    if post_id:
                        url = node.get("permalink_url")
                        refs.append(ThreadRef(Platform.FACEBOOK, post_id, account.platform_id,
                                              url if isinstance(url, str) else None))
        return refs
