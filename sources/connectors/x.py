"""X (API v2): the post (with ``note_tweet`` long text and its edit history) plus its whole conversation.

Replies come from ``conversation_id:`` search: recent search (last 7 days) by default, the full-archive
search where the account's plan has it (``SourcesConfig.x_full_archive``). Errors inside a 200
(``errors[]``) are reported as partial errors. Auth: an app Bearer token or an OAuth 2.0 user token with
``tweet.read users.read``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.errors import SourceError
from schemas.refs import ThreadRef
from schemas.thread import Author, Gap, Item, Media, Platform, Revision
from sources.connectors.base import AccountRef, Capture, NotFoundError, PartialError, ThreadGoneError
from sources.connectors.build import segment
from sources.connectors.common import ConnectorBase, as_int, as_str, as_text, dig, parse_time
from sources.connectors.http import ApiClient, Response, Verdict, error_text, paginate

RENEW = "lag en ny Bearer-nøkkel i X Developer Portal (tweet.read, users.read)"
TWEET_FIELDS = ("attachments,author_id,conversation_id,created_at,entities,id,in_reply_to_user_id,lang,"
                "public_metrics,referenced_tweets,text,edit_controls,edit_history_tweet_ids,note_tweet")
EXPANSIONS = "author_id,attachments.media_keys,edit_history_tweet_ids,referenced_tweets.id"
MEDIA_FIELDS = "alt_text,duration_ms,height,media_key,preview_image_url,type,url,width,variants"
USER_FIELDS = "id,name,username"
SEARCH_WINDOW = timedelta(days=7)


class XConnector(ConnectorBase):
    platform = Platform.X

    def _classify(self, response: Response) -> Verdict | None:
        if response.status == 200:
            return Verdict("ok")
        if response.status in (401, 403):
            return Verdict("fail", error=self.credentials_error(
                f"X avviste nøkkelen (HTTP {response.status}: {error_text(response.data, 200)})"))
        if response.status == 404:
            return Verdict("fail", error=NotFoundError(f"X, konto {self.account.name}: finnes ikke "
                                                     f"({error_text(response.data, 200)})"))
        return None

    def _client(self) -> ApiClient:
        self.require_credential()
        return self.client(self._classify)

    def _fields(self) -> dict[str, str]:
        return {"tweet.fields": TWEET_FIELDS, "expansions": EXPANSIONS, "media.fields": MEDIA_FIELDS,
                "user.fields": USER_FIELDS}

    def fetch_thread(self, ref: ThreadRef, *, since: datetime | None = None) -> Capture:
        started = datetime.now(UTC)
        where = self.where(ref)
        errors: list[PartialError] = []
        users: dict[str, dict[str, Any]] = {}
        media: dict[str, dict[str, Any]] = {}
        versions: dict[str, dict[str, Any]] = {}
        with self._client() as client:
            page = self.get_post(client, f"/2/tweets/{segment(ref.post_id, where)}", self._fields(), ref)
            self._collect(page, users, media, versions, errors, where)
            root = page.get("data")
            if not isinstance(root, dict):
                raise ThreadGoneError(f"{where}: posten finnes ikke eller er ikke tilgjengelig "
                                  f"({error_text(page.get('errors'), 200)})")
            post = self._item(root, ref.post_id, users, media, versions, errors, where, is_post=True)
            if post is None:
                raise SourceError(f"{where}: posten mangler id eller tidspunkt")
            conversation = as_str(root.get("conversation_id")) or ref.post_id
            search = "/2/tweets/search/all" if self.config.x_full_archive else "/2/tweets/search/recent"
            nodes: list[dict[str, Any]] = []

            def fetch(token: str | None) -> tuple[list[Any], str | None]:
                query = {"query": f"conversation_id:{conversation}", "max_results": str(min(self.config.page_size,
                         500 if self.config.x_full_archive else 100)), **self._fields()}
                if token:
                    query["next_token"] = token
                result = client.get_json(search, query, what=f"{where}, svar")
                self._collect(result, users, media, versions, errors, where)
                data = result.get("data") or []
                return (data if isinstance(data, list) else []), as_str(dig(result, "meta", "next_token")) or None

            for data in paginate(fetch, max_pages=self.config.max_pages, what=f"{where}, svar"):
                nodes.extend(n for n in data if isinstance(n, dict))
            comments = [self._item(n, ref.post_id, users, media, versions, errors, where) for n in nodes]
            gaps: list[Gap] = []
            if not self.config.x_full_archive and started - post.created_at > SEARCH_WINDOW:
                gaps.append(Gap(reason="api_limit", note="X' søk dekker bare de siste 7 dagene; eldre svar mangler "
                                                         "uten fullarkivsøk"))
            url = ref.url or f"https://x.com/{dig(users.get(post.author.id), 'username') or 'i'}/status/{post.id}"
            return self.finish(ref, post=post, comments=[c for c in comments if c is not None], url=url,
                               started=started, exchanges=client.exchanges, errors=errors, reported=None, gaps=gaps)

    @staticmethod
    def _collect(page: dict[str, Any], users: dict[str, dict[str, Any]], media: dict[str, dict[str, Any]],
                 versions: dict[str, dict[str, Any]], errors: list[PartialError], where: str) -> None:
        for user in dig(page, "includes", "users") or []:
            if isinstance(user, dict) and as_str(user.get("id")):
                users[as_str(user["id"])] = user
        for item in dig(page, "includes", "media") or []:
            if isinstance(item, dict) and as_str(item.get("media_key")):
                media[as_str(item["media_key"])] = item
        for tweet in dig(page, "includes", "tweets") or []:
            if isinstance(tweet, dict) and as_str(tweet.get("id")):
                versions[as_str(tweet["id"])] = tweet
        for error in page.get("errors") or []:
            errors.append(PartialError(where, f"X rapporterte en feil i svaret: {error_text(error, 240)}"))

    def _item(self, node: dict[str, Any], root_id: str, users: dict[str, dict[str, Any]],
              media: dict[str, dict[str, Any]], versions: dict[str, dict[str, Any]], errors: list[PartialError],
              where: str, *, is_post: bool = False) -> Item | None:
        tweet_id = as_str(node.get("id"))
        if not tweet_id:
            errors.append(PartialError(where, f"post uten id hoppet over: {str(node)[:80]}"))
            return None
        try:
            created = parse_time(node.get("created_at"), f"{where}, {tweet_id}")
        except SourceError as exc:
            errors.append(PartialError(where, str(exc)))
            return None
        parent = None
        for reference in node.get("referenced_tweets") or []:
            if isinstance(reference, dict) and reference.get("type") == "replied_to":
                parent = as_str(reference.get("id")) or None
        if is_post or parent == root_id:
            parent = None
        author_id = as_str(node.get("author_id")) or "ukjent"
        user = users.get(author_id, {})
        name = user.get("name") if isinstance(user.get("name"), str) else ""
        handle = user.get("username") if isinstance(user.get("username"), str) else ""
        text = as_text(dig(node, "note_tweet", "text")) or as_text(node.get("text"))
        history = [as_str(i) for i in node.get("edit_history_tweet_ids") or [] if as_str(i)]
        revisions: list[Revision] = []
        edited_at = None
        if len(history) > 1:
            for index, old_id in enumerate(history[:-1]):
                old = versions.get(old_id)
                if old is None:
                    errors.append(PartialError(where, f"tidligere versjon {old_id} av {tweet_id} ble ikke levert"))
                    continue
                old_text = dig(old, "note_tweet", "text") or old.get("text") or ""
                nxt = versions.get(history[index + 1]) or node
                revisions.append(Revision(text=str(old_text),
                                          valid_from=parse_time(old.get("created_at"), where) if old.get("created_at")
                                          else None,
                                          valid_to=parse_time(nxt.get("created_at"), where) if nxt.get("created_at")
                                          else None))
            edited_at = created
        attached = []
        for key in dig(node, "attachments", "media_keys") or []:
            item = media.get(as_str(key))
            if item is None:
                continue
            variants = [v for v in item.get("variants") or [] if isinstance(v, dict) and v.get("url")]
            url = item.get("url") or (max(variants, key=lambda v: as_int(v.get("bit_rate")))["url"] if variants
                                      else item.get("preview_image_url"))
            attached.append(Media(id=f"x-{as_str(key)}", kind="image" if item.get("type") == "photo" else "video",
                                  url=url if isinstance(url, str) else None,
                                  alt_text=item.get("alt_text") if isinstance(item.get("alt_text"), str) else None))
        return Item(
            id=tweet_id,
            parent_id=parent,
            author=Author(id=author_id, display_name=f"{name} (@{handle})" if handle else name or author_id,
                          is_municipality=author_id == self.account.id or handle == self.account.id),
            created_at=created,
            edited_at=edited_at,
            text=text,
            media=attached,
            reactions=as_int(dig(node, "public_metrics", "like_count")),
            revisions=revisions,
            url=f"https://x.com/{handle or 'i'}/status/{tweet_id}",
        )

    def list_recent(self, account: AccountRef, since: datetime) -> list[ThreadRef]:
        where = f"X, konto {account.name} ({account.platform_id})"
        refs: list[ThreadRef] = []
        with self._client() as client:

            def fetch(token: str | None) -> tuple[list[Any], str | None]:
                query = {"start_time": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "max_results": "100",
                         "exclude": "retweets,replies", "tweet.fields": "id,created_at,conversation_id"}
                if token:
                    query["pagination_token"] = token
                page = client.get_json(f"/2/users/{segment(account.platform_id, where)}/tweets", query,
                                       what=f"{where}, poster")
                data = page.get("data") or []
                return (data if isinstance(data, list) else []), as_str(dig(page, "meta", "next_token")) or None

            for data in paginate(fetch, max_pages=self.config.max_pages, what=where):
                for node in data:
                    tweet_id = as_str(dig(node, "id"))
                    if tweet_id:
                        refs.append(ThreadRef(Platform.X, tweet_id, account.platform_id,
                                              f"https://x.com/i/status/{tweet_id}"))
        return refs
