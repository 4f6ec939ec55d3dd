"""Instagram professional accounts (Instagram Graph API): the media, its comments and their replies.

Instagram has two levels (a reply to a reply is added to the top-level comment). ``/comments`` returns at
most 50 per page; replies come by field expansion and, when there are more, from ``/{comment-id}/replies``.
Hidden comments are kept and marked hidden. Permissions: ``instagram_basic``, ``instagram_manage_comments``,
``pages_read_engagement`` (Facebook Login) or ``instagram_business_basic`` and
``instagram_business_manage_comments`` (Instagram Login, base URL ``https://graph.instagram.com``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from schemas.errors import SourceError
from schemas.refs import ThreadRef
from schemas.thread import Author, Item, Media, Platform, Removal, RemovalReason
from sources.connectors.base import AccountRef, Capture, PartialError
from sources.connectors.build import segment
from sources.connectors.common import ConnectorBase, as_int, as_str, as_text, dig, parse_time
from sources.connectors.graph import graph_classifier, graph_pages
from sources.connectors.http import ApiClient

RENEW = "forny tilgangsnøkkelen for Instagram-kontoen (instagram_basic og instagram_manage_comments)"
MEDIA_FIELDS = ("id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,timestamp,username,"
                "like_count,comments_count,owner,children{id,media_type,media_url,thumbnail_url}")
REPLY_FIELDS = "id,text,timestamp,username,from,parent_id,like_count,hidden"
COMMENT_FIELDS = f"id,text,timestamp,username,from,like_count,hidden,replies{{{REPLY_FIELDS}}}"


class InstagramConnector(ConnectorBase):
    platform = Platform.INSTAGRAM

    def _client(self) -> ApiClient:
        self.require_credential()
        renew = self.credential.renew_hint if self.credential and self.credential.renew_hint else RENEW
        return self.client(graph_classifier(lambda: f"Instagram, konto {self.account.name}", renew),
                           token_param="access_token", token_header=None)

    def _path(self, *parts: str) -> str:
        return "/" + "/".join([self.config.graph_version, *parts])

    def _item(self, node: Any, parent: str | None, errors: list[PartialError], where: str) -> Item | None:
        if not isinstance(node, dict) or not as_str(node.get("id")):
            errors.append(PartialError(where, f"kommentar uten id hoppet over: {str(node)[:80]}"))
            return None
        item_id = as_str(node["id"])
        try:
            created = parse_time(node.get("timestamp"), f"{where}, {item_id}")
        except SourceError as exc:
            errors.append(PartialError(where, str(exc)))
            return None
        user_id = as_str(dig(node, "from", "id"))
        username = dig(node, "from", "username") or node.get("username")
        return Item(
            id=item_id,
            parent_id=parent,
            author=Author(id=user_id or (f"@{username}" if isinstance(username, str) and username else "ukjent"),
                          display_name=username if isinstance(username, str) else "(ukjent)",
                          is_municipality=bool(username) and username == self._username),
            created_at=created,
            text=as_text(node.get("text")),
            reactions=as_int(node.get("like_count")),
            removal=Removal(state="hidden", reason=RemovalReason.UNKNOWN, note="skjult på Instagram (hidden)")
            if node.get("hidden") is True else None,
        )

    _username: str | None = None

    def fetch_thread(self, ref: ThreadRef, *, since: datetime | None = None) -> Capture:
        started = datetime.now(UTC)
        where = self.where(ref)
        media_seg = segment(ref.post_id, where)
        errors: list[PartialError] = []
        with self._client() as client:
            raw = self.get_post(client, self._path(media_seg), {"fields": MEDIA_FIELDS}, ref)
            self._username = raw.get("username") if isinstance(raw.get("username"), str) else None
            created = parse_time(raw.get("timestamp"), where)
            media = [self._media(raw, ref.post_id)]
            for child in dig(raw, "children", "data") or []:
                if isinstance(child, dict) and as_str(child.get("id")):
                    media.append(self._media(child, as_str(child["id"])))
            post = Item(
                id=as_str(raw.get("id")) or ref.post_id,
                author=Author(id=as_str(dig(raw, "owner", "id")) or self.account.id,
                              display_name=self._username or self.account.name, is_municipality=True),
                created_at=created,
                text=as_text(raw.get("caption")),
                media=[m for m in media if m.url],
                reactions=as_int(raw.get("like_count")),
                url=raw.get("permalink") if isinstance(raw.get("permalink"), str) else None,
            )
            comments: list[Item] = []
            for data, _ in graph_pages(client, self._path(media_seg, "comments"),
                                       {"fields": COMMENT_FIELDS, "limit": str(min(self.config.page_size, 50))},
                                       what=f"{where}, kommentarer", max_pages=self.config.max_pages):
                for node in data:
                    item = self._item(node, None, errors, where)
                    if item is None:
                        continue
                    comments.append(item)
                    comments.extend(self._replies(client, node, item.id, errors, where))
            reported = raw.get("comments_count")
            return self.finish(ref, post=post, comments=comments, url=post.url or ref.url or ref.post_id,
                               started=started, exchanges=client.exchanges, errors=errors,
                               reported=reported if isinstance(reported, int) and not isinstance(reported, bool)
                               else None)

    @staticmethod
    def _media(node: dict[str, Any], media_id: str) -> Media:
        kind: Literal["image", "video"] = "video" if node.get("media_type") == "VIDEO" else "image"
        url = node.get("media_url") or node.get("thumbnail_url")
        return Media(id=f"ig-{media_id}", kind=kind, url=url if isinstance(url, str) else None)

    def _replies(self, client: ApiClient, node: dict[str, Any], parent: str, errors: list[PartialError],
                 where: str) -> list[Item]:
        embedded = dig(node, "replies", "data")
        nodes = [n for n in embedded if isinstance(n, dict)] if isinstance(embedded, list) else []
        if dig(node, "replies", "paging", "next"):
            nodes = []
            for data, _ in graph_pages(client, self._path(segment(parent, where), "replies"),
                                       {"fields": REPLY_FIELDS, "limit": "50"}, what=f"{where}, svar på {parent}",
                                       max_pages=self.config.max_pages):
                nodes.extend(n for n in data if isinstance(n, dict))
        items = [self._item(n, parent, errors, where) for n in nodes]
        return [i for i in items if i is not None]

    def list_recent(self, account: AccountRef, since: datetime) -> list[ThreadRef]:
        where = f"Instagram, konto {account.name} ({account.platform_id})"
        refs: list[ThreadRef] = []
        with self._client() as client:
            for data, _ in graph_pages(client, self._path(segment(account.platform_id, where), "media"),
                                       {"fields": "id,timestamp,permalink", "since": str(int(since.timestamp())),
                                        "limit": "50"}, what=f"{where}, medier", max_pages=self.config.max_pages):
                for node in data:
                    media_id = as_str(dig(node, "id"))
                    if media_id:
                        url = node.get("permalink")
                        refs.append(ThreadRef(Platform.INSTAGRAM, media_id, account.platform_id,
                                              url if isinstance(url, str) else None))
        return refs
