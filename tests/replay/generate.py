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
        node: dict[str, object] = {"id": f"179{n:014d}", "text": f"Kommentar {n}", "timestamp": created,
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
