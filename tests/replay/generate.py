"""Huge threads generated on the fly, page by page, in each platform's own shape and paging style."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from tests.replay.server import Reply, Request

T0 = datetime(2026, 10, 2, 6, 30, tzinfo=UTC)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    padded = cursor + "=" * (-len(cursor) % 4)
    return int(base64.urlsafe_b64decode(padded).decode().split(":")[1])


def graph_comment(post_id: str, n: int, *, instagram: bool = False) -> dict[str, object]:
    """Comment number ``n``: every fifth one replies to the top-level comment before it."""
    parent = n - (n % 5) if n % 5 else None
    created = (T0 + timedelta(seconds=30 * n)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    if instagram:
        node: dict[str, object] = {"id": f"180{n:014d}", "text": f"Kommentar {n}", "timestamp": created,
                                   "username": f"bruker{n}", "from": {"id": f"178{n:014d}", "username": f"bruker{n}"},
                                   "like_count": n % 7, "hidden": False}
        return node
    node = {"id": f"{post_id.split('_')[-1]}_{n:015d}", "created_time": created,
            "from": {"name": f"Innbygger {n}", "id": f"61{n:013d}"}, "message": f"Kommentar nummer {n} æøå",
            "like_count": n % 7, "comment_count": 0, "is_hidden": False}
    if parent is not None:
        node["parent"] = {"id": f"{post_id.split('_')[-1]}_{parent:015d}"}
    return node


def graph_comments(post_id: str, total: int, *, cursor_limit: int | None = None, duplicate_at: int | None = None):
    """A Graph ``/comments?filter=stream`` edge of ``total`` comments; ``cursor_limit`` plays the #100 limit."""

    def handle(request: Request) -> Reply:
        limit = int(request.query.get("limit", "25"))
        start = _offset(request.query.get("after"))
        reverse = request.query.get("order") == "reverse_chronological"
        if cursor_limit is not None and start > cursor_limit:
            return Reply.json({"error": {"message": "(#100) The After Cursor specified exceeds the max limit "
                                         "supported by this endpoint", "type": "OAuthException", "code": 100,
                                         "fbtrace_id": "AxYz987"}}, 400)
        numbers = list(range(start, min(start + limit, total)))
        if reverse:
            numbers = [total - 1 - n for n in numbers]
        data = [graph_comment(post_id, n) for n in numbers]
        if duplicate_at is not None and start <= duplicate_at < start + limit and data:
            data.append(data[0])  # the same comment twice on one page
        body: dict[str, object] = {"data": data, "summary": {"order": "chronological", "total_count": total}}
        end = start + limit
        paging: dict[str, object] = {"cursors": {"before": _cursor(start), "after": _cursor(end)}}
        if end < total:
            paging["next"] = (f"https://graph.facebook.com/v25.0/{post_id}/comments?access_token=EAAGleak&"
                              f"filter=stream&limit={limit}&order={request.query.get('order', 'chronological')}"
                              f"&fields={request.query.get('fields', '')}&after={_cursor(end)}")
        body["paging"] = paging
        return Reply.json(body)

    return handle


def _iso(n: int) -> str:
    return (T0 + timedelta(seconds=30 * n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def instagram_comments(total: int):
    """``/{media-id}/comments``: top-level comments only, at most 50 per page, ``paging.next`` with a cursor."""

    def handle(request: Request) -> Reply:
        limit = min(int(request.query.get("limit", "50")), 50)
        start = _offset(request.query.get("after"))
        data = [graph_comment("m", n, instagram=True) for n in range(start, min(start + limit, total))]
        paging: dict[str, object] = {"cursors": {"after": _cursor(start + limit)}}
        if start + limit < total:
            paging["next"] = f"https://graph.facebook.com/v25.0/m/comments?limit={limit}&after={_cursor(start + limit)}"
        return Reply.json({"data": data, "paging": paging})

    return handle


def x_search(conversation: str, total: int):
    """Recent search by ``conversation_id``: ``meta.next_token`` pages of ``max_results``, users in ``includes``."""

    def handle(request: Request) -> Reply:
        limit = int(request.query.get("max_results", "100"))
        start = _offset(request.query.get("next_token"))
        data = []
        for n in range(start, min(start + limit, total)):
            parent = conversation if n % 5 == 0 else f"19{n - (n % 5):017d}"
            data.append({"id": f"19{n:017d}", "text": f"Svar {n}", "author_id": f"12{n % 50:017d}",
                         "conversation_id": conversation, "created_at": _iso(n).replace("Z", ".000Z"),
                         "referenced_tweets": [{"type": "replied_to", "id": parent}],
                         "edit_history_tweet_ids": [f"19{n:017d}"], "public_metrics": {"like_count": n % 3}})
        users = [{"id": f"12{i:017d}", "name": f"Bruker {i}", "username": f"bruker{i}"} for i in range(50)]
        meta: dict[str, object] = {"result_count": len(data)}
        if start + limit < total:
            meta["next_token"] = _cursor(start + limit)
        return Reply.json({"data": data, "includes": {"users": users}, "meta": meta})

    return handle


def youtube_threads(video: str, total: int):
    """``commentThreads`` with ``nextPageToken``: every thread one top-level comment (no replies)."""

    def handle(request: Request) -> Reply:
        limit = int(request.query.get("maxResults", "20"))
        start = _offset(request.query.get("pageToken"))
        items = []
        for n in range(start, min(start + limit, total)):
            items.append({"kind": "youtube#commentThread", "id": f"Ugz{n:010d}", "snippet": {
                "videoId": video, "totalReplyCount": 0, "topLevelComment": {"kind": "youtube#comment",
                "id": f"Ugz{n:010d}", "snippet": {"textOriginal": f"Kommentar {n}", "textDisplay": f"Kommentar {n}",
                "authorDisplayName": f"@b{n}", "authorChannelId": {"value": f"UC{n:022d}"}, "likeCount": 0,
                "publishedAt": _iso(n), "updatedAt": _iso(n)}}}})
        body: dict[str, object] = {"kind": "youtube#commentThreadListResponse", "items": items,
                                   "pageInfo": {"totalResults": len(items), "resultsPerPage": limit}}
        if start + limit < total:
            body["nextPageToken"] = _cursor(start + limit)
        return Reply.json(body)

    return handle


def linkedin_comments(activity: str, total: int):
    """``socialActions/{urn}/comments`` with ``start``/``count``; the last page is shorter than ``count``."""

    def handle(request: Request) -> Reply:
        count = int(request.query.get("count", "10"))
        start = int(request.query.get("start", "0"))
        elements = []
        for n in range(start, min(start + count, total)):
            urn = f"urn:li:comment:({activity},{n})"
            elements.append({"$URN": urn, "commentUrn": urn, "id": str(n), "actor": f"urn:li:person:p{n}",
                             "message": {"text": f"Kommentar {n}", "attributes": []},
                             "created": {"time": 1762160000000 + n * 1000},
                             "lastModified": {"time": 1762160000000 + n * 1000}})
        return Reply.json({"paging": {"start": start, "count": count, "total": total}, "elements": elements})

    return handle


def tiktok_comments(video: str, total: int, *, short_pages: bool = True):
    """``comment/list``: ``cursor`` + ``has_more``; pages may be short (trust and safety) while more remain."""

    def handle(request: Request) -> Reply:
        count = int(request.query.get("max_count", "20"))
        start = int(request.query.get("cursor", "0"))
        served = count - 3 if short_pages and count > 3 else count
        comments = [{"comment_id": f"74{n:017d}", "video_id": video, "unique_identifier": f"u{n}",
                     "create_time": 1762160000 + n, "text": f"Kommentar {n}", "likes": 0, "replies": 0,
                     "owner": False, "status": "PUBLIC", "username": f"b{n}", "display_name": f"B {n}"}
                    for n in range(start, min(start + served, total))]
        end = start + served
        return Reply.json({"code": 0, "message": "OK", "request_id": f"r{start}",
                           "data": {"comments": comments, "cursor": end, "has_more": end < total}})

    return handle
