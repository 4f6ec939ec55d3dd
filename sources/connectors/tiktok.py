"""TikTok API for Business (organic accounts): a video's comments (``status=ALL`` includes hidden ones)
and the full reply list of each comment.

Errors arrive in an HTTP-200 envelope (``code`` ≠ 0; ``40100`` = rate limit). Paging is ``cursor`` +
``has_more``; a page may be shorter than ``max_count`` with more to come. Auth: the ``Access-Token``
header with a TikTok account token (``business_id`` = the account's ``open_id``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from schemas.errors import SourceError
from schemas.refs import ThreadRef
from schemas.thread import Author, Item, Platform, Removal, RemovalReason
from sources.connectors.base import AccountRef, Capture, PartialError, ThreadGoneError
from sources.connectors.common import ConnectorBase, as_int, as_str, as_text, dig, parse_time
from sources.connectors.http import ApiClient, Response, Verdict, paginate

RENEW = "koble TikTok-kontoen til appen på nytt i TikTok for Business (comment.list, video.list)"
RATE_LIMIT_CODES = frozenset({40100, 40133, 51021})
TOKEN_CODES = frozenset({40001, 40101, 40102, 40104, 40105, 40110, 40113, 40114, 40115})
API = "/open_api/v1.3/business"


class TikTokConnector(ConnectorBase):
    platform = Platform.TIKTOK

    def _classify(self, response: Response) -> Verdict | None:
        if response.status != 200:
            if response.status == 401:
                return Verdict("fail", error=self.credentials_error("TikTok avviste nøkkelen (HTTP 401)"))
            return None
        code = response.data.get("code") if isinstance(response.data, dict) else None
        if code == 0 or code == "0":
            return Verdict("ok")
        message = str(response.data.get("message", ""))[:200]
        if code in RATE_LIMIT_CODES:
            return Verdict("retry", None, f"TikTok struper (kode {code}: {message})")
        if code in TOKEN_CODES:
            return Verdict("fail", error=self.credentials_error(f"TikTok avviste nøkkelen (kode {code}: {message})"))
        if isinstance(code, int) and code >= 50000:
            return Verdict("retry", None, f"midlertidig feil hos TikTok (kode {code})")
        return Verdict("fail", error=SourceError(
            f"TikTok, konto {self.account.name}: feil {code} ({message}); request_id "
            f"{str(response.data.get('request_id', ''))[:60]}"))

    def _client(self) -> ApiClient:
        self.require_credential()
        return self.client(self._classify, token_header=("Access-Token", "{token}"))

    @property
    def business_id(self) -> str:
        return (self.credential.business_id if self.credential and self.credential.business_id else self.account.id)

    def _pages(self, client: ApiClient, path: str, params: dict[str, str], key: str, what: str) -> list[Any]:
        found: list[Any] = []

        def fetch(cursor: str | None) -> tuple[list[Any], str | None]:
            page = client.get_json(path, {**params, "cursor": cursor or "0"}, what=what)
            data = page.get("data") if isinstance(page.get("data"), dict) else {}
            items = data.get(key) or []
            more = data.get("has_more") is True
            cursor_value = data.get("cursor")
            return (items if isinstance(items, list) else []), (as_str(cursor_value) or None) if more else None

        for items in paginate(fetch, max_pages=self.config.max_pages, what=what):
            found.extend(items)
        return found

    def _comment(self, node: Any, errors: list[PartialError], where: str) -> Item | None:
        comment_id = as_str(dig(node, "comment_id"))
        if not comment_id:
            errors.append(PartialError(where, f"kommentar uten id hoppet over: {str(node)[:80]}"))
            return None
        try:
            created = parse_time(node.get("create_time"), f"{where}, {comment_id}")
        except SourceError as exc:
            errors.append(PartialError(where, str(exc)))
            return None
        user = as_str(node.get("unique_identifier")) or as_str(node.get("user_id")) or "ukjent"
        username = node.get("username") if isinstance(node.get("username"), str) else ""
        display = node.get("display_name") if isinstance(node.get("display_name"), str) else ""
        return Item(
            id=comment_id,
            parent_id=as_str(node.get("parent_comment_id")) or None,
            author=Author(id=user, display_name=f"{display} (@{username})" if username else display or user,
                          is_municipality=node.get("owner") is True),
            created_at=created,
            text=as_text(node.get("text")),
            reactions=as_int(node.get("likes")),
            removal=Removal(state="hidden", reason=RemovalReason.UNKNOWN, note="skjult på TikTok (status HIDDEN)")
            if node.get("status") == "HIDDEN" else None,
        )

    def fetch_thread(self, ref: ThreadRef, *, since: datetime | None = None) -> Capture:
        started = datetime.now(UTC)
        where = self.where(ref)
        errors: list[PartialError] = []
        with self._client() as client:
            fields = ["item_id", "create_time", "caption", "share_url", "thumbnail_url", "likes", "comments"]
            listing = client.get_json(f"{API}/video/list/", {
                "business_id": self.business_id, "fields": json.dumps(fields),
                "filters": json.dumps({"video_ids": [ref.post_id]})}, what=f"video {ref.post_id}")
            videos = dig(listing, "data", "videos") or []
            video = next((v for v in videos if isinstance(v, dict) and as_str(v.get("item_id")) == ref.post_id), None)
            if video is None:
                raise ThreadGoneError(f"{where}: videoen finnes ikke, er privat eller tilhører ikke kontoen")
            post = Item(
                id=ref.post_id,
                author=Author(id=self.business_id, display_name=self.account.name, is_municipality=True),
                created_at=parse_time(video.get("create_time"), where),
                text=as_text(video.get("caption")),
                reactions=as_int(video.get("likes")),
                url=video.get("share_url") if isinstance(video.get("share_url"), str) else ref.url,
            )
            base = {"business_id": self.business_id, "video_id": ref.post_id, "status": "ALL",
                    "sort_field": "create_time", "sort_type": "asc", "max_count": str(min(self.config.page_size, 30))}
            comments: list[Item] = []
            for node in self._pages(client, f"{API}/comment/list/", base, "comments", f"{where}, kommentarer"):
                item = self._comment(node, errors, where)
                if item is None:
                    continue
                comments.append(item.model_copy(update={"parent_id": None}))
                if as_int(node.get("replies")) > 0:
                    for reply in self._pages(client, f"{API}/comment/reply/list/", {**base, "comment_id": item.id},
                                             "comments", f"{where}, svar på {item.id}"):
                        child = self._comment(reply, errors, where)
                        if child is not None:
                            comments.append(child.model_copy(update={"parent_id": item.id}))
            return self.finish(ref, post=post, comments=comments, url=post.url or ref.url or "", started=started,
                               exchanges=client.exchanges, errors=errors,
                               reported=as_int(video.get("comments")) if video.get("comments") is not None else None)

    def list_recent(self, account: AccountRef, since: datetime) -> list[ThreadRef]:
        where = f"TikTok, konto {account.name} ({account.platform_id})"
        refs: list[ThreadRef] = []
        with self._client() as client:
            cursor: str | None = None
            for _ in range(self.config.max_pages):
                query = {"business_id": self.business_id, "max_count": "20",
                         "fields": json.dumps(["item_id", "create_time", "share_url"])}
                if cursor:
                    query["cursor"] = cursor
                page = client.get_json(f"{API}/video/list/", query, what=where)
                data = page.get("data") if isinstance(page.get("data"), dict) else {}
                videos = [v for v in data.get("videos") or [] if isinstance(v, dict)]
                older = False
                for video in videos:
                    item_id = as_str(video.get("item_id"))
                    if not item_id:
                        continue
                    if parse_time(video.get("create_time"), where) < since:
                        older = True
                        continue
                    url = video.get("share_url")
                    refs.append(ThreadRef(Platform.TIKTOK, item_id, account.platform_id,
                                          url if isinstance(url, str) else None))
                next_cursor = as_str(data.get("cursor"))
                if older or data.get("has_more") is not True or not next_cursor or next_cursor == cursor:
                    return refs
                cursor = next_cursor
        return refs
