"""YouTube (Data API v3): a video, its comment threads and every reply (``comments.list`` by ``parentId``).

The replies embedded in a comment thread are not necessarily all of them, so ``comments.list`` is called
whenever ``totalReplyCount`` is larger. ``quotaExceeded`` (HTTP 403) means the day's quota is spent until
midnight Pacific time: the capture stops with a clear error instead of waiting. Auth: an API key (public
threads) or an OAuth token of the channel owner (scope ``youtube.force-ssl``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from schemas.errors import SourceError
from schemas.refs import ThreadRef
from schemas.thread import Author, Gap, Item, Media, Platform, Removal, RemovalReason
from sources.connectors.base import AccountRef, Capture, NotFoundError, PartialError, ThreadGoneError
from sources.connectors.common import ConnectorBase, as_int, as_str, dig, parse_time
from sources.connectors.http import ApiClient, Response, Verdict, error_text, paginate

PACIFIC = ZoneInfo("America/Los_Angeles")
RENEW = "lag en ny API-nøkkel eller OAuth-nøkkel for kanalen (youtube.force-ssl) i Google Cloud Console"


def seconds_to_pacific_midnight(now: datetime) -> float:
    local = now.astimezone(PACIFIC)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - local).total_seconds()


def _reasons(data: Any) -> set[str]:
    return {str(e.get("reason")) for e in dig(data, "error", "errors") or [] if isinstance(e, dict)}


class YouTubeConnector(ConnectorBase):
    platform = Platform.YOUTUBE

    def _classify(self, response: Response) -> Verdict | None:
        if response.status == 200:
            return Verdict("ok")
        reasons = _reasons(response.data)
        if "quotaExceeded" in reasons or "dailyLimitExceeded" in reasons:
            return Verdict("retry", seconds_to_pacific_midnight(datetime.now(UTC)),
                           "YouTube-kvoten for i dag er brukt opp (quotaExceeded); den nullstilles ved midnatt "
                           "Stillehavstid")
        if "rateLimitExceeded" in reasons or "userRateLimitExceeded" in reasons:
            return Verdict("retry", None, "YouTube struper (rateLimitExceeded)")
        if "commentsDisabled" in reasons:
            return Verdict("fail", error=CommentsDisabledError(f"YouTube, konto {self.account.name}: kommentarer er "
                                                               "slått av for videoen"))
        if response.status == 401 or reasons & {"forbidden", "insufficientPermissions", "authError", "keyInvalid"}:
            return Verdict("fail", error=self.credentials_error(
                f"YouTube avviste nøkkelen (HTTP {response.status}: {', '.join(sorted(reasons)) or 'ukjent'})"))
        if response.status == 404:
            return Verdict("fail", error=NotFoundError(f"YouTube, konto {self.account.name}: finnes ikke "
                                                     f"({error_text(response.data, 200)})"))
        return None

    def _client(self) -> ApiClient:
        credential = self.require_credential()
        if credential.kind == "api_key":
            return self.client(self._classify, token_param="key", token_header=None)
        return self.client(self._classify)

    def _pages(self, client: ApiClient, path: str, params: dict[str, str], what: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []

        def fetch(token: str | None) -> tuple[list[Any], str | None]:
            query = dict(params)
            if token:
                query["pageToken"] = token
            page = client.get_json(path, query, what=what)
            items = page.get("items") or []
            return (items if isinstance(items, list) else []), as_str(page.get("nextPageToken")) or None

        for items in paginate(fetch, max_pages=self.config.max_pages, what=what):
            found.extend(i for i in items if isinstance(i, dict))
        return found

    def _comment(self, node: Any, parent: str | None, errors: list[PartialError], where: str) -> Item | None:
        snippet = dig(node, "snippet")
        comment_id = as_str(dig(node, "id"))
        if not comment_id or not isinstance(snippet, dict):
            errors.append(PartialError(where, f"kommentar uten id hoppet over: {str(node)[:80]}"))
            return None
        try:
            created = parse_time(snippet.get("publishedAt"), f"{where}, {comment_id}")
            updated = parse_time(snippet["updatedAt"], where) if snippet.get("updatedAt") else created
        except SourceError as exc:
            errors.append(PartialError(where, str(exc)))
            return None
        author_id = as_str(dig(snippet, "authorChannelId", "value"))
        text = snippet.get("textOriginal") if isinstance(snippet.get("textOriginal"), str) else snippet.get(
            "textDisplay")
        image = snippet.get("imageUrl")
        return Item(
            id=comment_id,
            parent_id=parent,
            author=Author(id=author_id or "ukjent", display_name=str(snippet.get("authorDisplayName") or "(ukjent)"),
                          is_municipality=bool(author_id) and author_id == self.account.id),
            created_at=created,
            edited_at=updated if updated > created else None,
            text=text if isinstance(text, str) else "",
            media=[Media(id=f"yt-{comment_id}-bilde", url=image)] if isinstance(image, str) and image else [],
            reactions=as_int(snippet.get("likeCount")),
        )

    def fetch_thread(self, ref: ThreadRef, *, since: datetime | None = None) -> Capture:
        started = datetime.now(UTC)
        where = self.where(ref)
        errors: list[PartialError] = []
        with self._client() as client:
            videos = self.get_post(client, "/youtube/v3/videos", {"part": "snippet,statistics", "id": ref.post_id},
                                   ref)
            items = videos.get("items") or []
            video = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else None
            if video is None:
                raise ThreadGoneError(f"{where}: videoen finnes ikke, er privat eller slettet")
            raw_snippet = video.get("snippet")
            snippet: dict[str, Any] = raw_snippet if isinstance(raw_snippet, dict) else {}
            thumb = dig(snippet, "thumbnails", "high", "url") or dig(snippet, "thumbnails", "default", "url")
            title = snippet.get("title") if isinstance(snippet.get("title"), str) else ""
            description = snippet.get("description") if isinstance(snippet.get("description"), str) else ""
            post = Item(
                id=ref.post_id,
                author=Author(id=as_str(snippet.get("channelId")) or self.account.id,
                              display_name=str(snippet.get("channelTitle") or self.account.name),
                              is_municipality=True),
                created_at=parse_time(snippet.get("publishedAt"), where),
                text=f"{title}\n\n{description}".strip(),
                media=[Media(id=f"yt-{ref.post_id}-miniatyr", url=thumb)] if isinstance(thumb, str) else [],
                reactions=as_int(dig(video, "statistics", "likeCount")),
                url=f"https://www.youtube.com/watch?v={ref.post_id}",
            )
            comments: list[Item] = []
            gaps: list[Gap] = []
            try:
                threads = self._pages(client, "/youtube/v3/commentThreads",
                                      {"part": "snippet,replies", "videoId": ref.post_id, "textFormat": "plainText",
                                       "maxResults": str(min(self.config.page_size, 100)), "order": "time"},
                                      f"{where}, kommentartråder")
            except CommentsDisabledError:
                threads = []
                gaps.append(Gap(reason="unknown", count=0, note="kommentarer er slått av for videoen"))
            held: set[str] = set()
            if self.config.youtube_moderation and threads:
                for status in ("heldForReview", "likelySpam"):  # owner-only listings; rejected ones can't be listed
                    for node in self._pages(client, "/youtube/v3/commentThreads",
                                            {"part": "snippet,replies", "videoId": ref.post_id,
                                             "textFormat": "plainText", "moderationStatus": status,
                                             "maxResults": str(min(self.config.page_size, 100))},
                                            f"{where}, kommentarer ({status})"):
                        held.add(as_str(dig(node, "snippet", "topLevelComment", "id")))
                        threads.append(node)
            for node in threads:
                top = self._comment(dig(node, "snippet", "topLevelComment"), None, errors, where)
                if top is None:
                    continue
                if top.id in held:
                    top = top.model_copy(update={"removal": Removal(
                        state="hidden", reason=RemovalReason.UNKNOWN,
                        note="holdt tilbake på YouTube (heldForReview/likelySpam), ikke publisert")})
                comments.append(top)
                embedded = [r for r in dig(node, "replies", "comments") or [] if isinstance(r, dict)]
                if as_int(dig(node, "snippet", "totalReplyCount")) > len(embedded):
                    embedded = self._pages(client, "/youtube/v3/comments",
                                           {"part": "snippet", "parentId": top.id, "textFormat": "plainText",
                                            "maxResults": "100"}, f"{where}, svar på {top.id}")
                for reply in embedded:
                    item = self._comment(reply, top.id, errors, where)
                    if item is not None:
                        comments.append(item)
            reported = dig(video, "statistics", "commentCount")
            return self.finish(ref, post=post, comments=comments, url=ref.url or post.url or "", started=started,
                               exchanges=client.exchanges, errors=errors,
                               reported=as_int(reported) if reported is not None else None, gaps=gaps)

    def list_recent(self, account: AccountRef, since: datetime) -> list[ThreadRef]:
        where = f"YouTube, kanal {account.name} ({account.platform_id})"
        with self._client() as client:
            channels = client.get_json("/youtube/v3/channels", {"part": "contentDetails", "id": account.platform_id},
                                       what=where)
            uploads = dig((channels.get("items") or [{}])[0], "contentDetails", "relatedPlaylists", "uploads")
            if not isinstance(uploads, str):
                raise SourceError(f"{where}: fant ikke kanalens opplastinger")
            refs: list[ThreadRef] = []
            for item in self._pages(client, "/youtube/v3/playlistItems",
                                    {"part": "contentDetails", "playlistId": uploads, "maxResults": "50"}, where):
                video_id = as_str(dig(item, "contentDetails", "videoId"))
                published = dig(item, "contentDetails", "videoPublishedAt")
                if video_id and published and parse_time(published, where) >= since:
                    refs.append(ThreadRef(Platform.YOUTUBE, video_id, account.platform_id,
                                          f"https://www.youtube.com/watch?v={video_id}"))
            return refs


class CommentsDisabledError(SourceError):
    """``commentsDisabled``: the video has no comments to fetch."""
