"""Facebook Page and Instagram webhooks: verified comment change events become observations.

``X-Hub-Signature-256`` is ``sha256=`` + HMAC-SHA256(app secret, raw body), compared in constant time; an
unsigned or wrongly signed delivery is refused (403) before its JSON is read. The web app mounts
:func:`webhook_router`; the events go to a sink (by default a :class:`WebhookJournal`, JSON lines per day)
and :func:`sources.observe.apply_events` applies them to the thread at its next capture.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import SecretStr

from schemas.errors import InputError
from sources.connectors.common import as_str, dig
from sources.observe import WebhookEvent

MAX_BODY = 1 << 20
FB_VERBS = frozenset({"add", "edited", "edit", "remove", "hide", "unhide"})


def signature_valid(app_secret: SecretStr, body: bytes, header: str | None) -> bool:
    """True when ``header`` is ``sha256=<hex>`` of HMAC-SHA256(app secret, body) (constant-time compare)."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.get_secret_value().encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header[len("sha256="):].strip().lower().encode())


def _time(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 10**13:
        return datetime.fromtimestamp(value / 1000 if value > 10**11 else value, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("+0000", "+00:00"))
            return parsed if parsed.tzinfo else fallback
        except ValueError:
            return fallback
    return fallback


def parse_events(payload: Any, received_at: datetime) -> list[WebhookEvent]:
    """Comment change events of a Meta webhook delivery (``object`` ``page`` or ``instagram``); others dropped."""
    if not isinstance(payload, dict):
        raise InputError("webhook: innholdet er ikke et JSON-objekt")
    events: list[WebhookEvent] = []
    kind = payload.get("object")
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        account = as_str(entry.get("id"))
        entry_time = _time(entry.get("time"), received_at)
        for change in entry.get("changes") or []:
            value = dig(change, "value")
            if not isinstance(value, dict):
                continue
            if kind == "page" and dig(change, "field") == "feed" and value.get("item") in ("comment", "reply"):
                verb = str(value.get("verb", ""))
                comment = as_str(value.get("comment_id"))
                post = as_str(value.get("post_id"))
                if verb not in FB_VERBS or not comment or not post:
                    continue
                parent = as_str(value.get("parent_id")) or None
                events.append(WebhookEvent(
                    platform="facebook", account_id=account, post_id=post, comment_id=comment,
                    verb="edited" if verb == "edit" else verb, at=_time(value.get("created_time"), entry_time),
                    parent_id=None if parent == post else parent,
                    text=value.get("message") if isinstance(value.get("message"), str) else None,
                    author_id=as_str(dig(value, "from", "id")) or None,
                    author_name=dig(value, "from", "name") if isinstance(dig(value, "from", "name"), str) else None))
            elif kind == "instagram" and dig(change, "field") in ("comments", "live_comments"):
                comment = as_str(value.get("id"))
                media = as_str(dig(value, "media", "id"))
                if not comment or not media:
                    continue
                events.append(WebhookEvent(
                    platform="instagram", account_id=account, post_id=media, comment_id=comment, verb="add",
                    at=entry_time, parent_id=as_str(value.get("parent_id")) or None,
                    text=value.get("text") if isinstance(value.get("text"), str) else None,
                    author_id=as_str(dig(value, "from", "id")) or None,
                    author_name=dig(value, "from", "username") if isinstance(dig(value, "from", "username"), str)
                    else None))
    return events


class WebhookJournal:
    """Events appended as JSON lines to ``<folder>/webhooks-<YYYY-MM-DD>.jsonl`` (one writer per process)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    def __call__(self, events: list[WebhookEvent]) -> None:
        if not events:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        lines = "".join(json.dumps({**asdict(e), "at": e.at.isoformat()}, ensure_ascii=False) + "\n" for e in events)
        path = self.folder / f"webhooks-{datetime.now(UTC):%Y-%m-%d}.jsonl"
        with self._lock, path.open("a", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(lines)
            handle.flush()
            os.fsync(handle.fileno())

    def events(self, platform: str | None = None, post_id: str | None = None) -> Iterator[WebhookEvent]:
        for path in sorted(self.folder.glob("webhooks-*.jsonl")):
            with path.open(encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    try:
                        data = json.loads(line)
                        event = WebhookEvent(**{**data, "at": datetime.fromisoformat(data["at"])})
                    except (ValueError, TypeError, KeyError):
                        continue  # a torn last line after a crash: the rest stays readable
                    if (platform is None or event.platform == platform) and (post_id is None or
                                                                               event.post_id == post_id):
                        yield event


def webhook_router(app_secret: SecretStr, verify_token: SecretStr,
                   sink: Callable[[list[WebhookEvent]], None], *, prefix: str = "/webhooks/meta") -> APIRouter:
    """A FastAPI router: ``GET`` answers Meta's subscription check, ``POST`` receives signed deliveries."""
    router = APIRouter(prefix=prefix)

    @router.get("")
    def verify(request: Request) -> Response:
        params = request.query_params
        token = params.get("hub.verify_token", "")
        if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(
                token.encode(), verify_token.get_secret_value().encode()):
            raise HTTPException(status_code=403, detail="ugyldig verifiseringsnøkkel")
        return Response(content=params.get("hub.challenge", ""), media_type="text/plain")

    @router.post("")
    async def receive(request: Request) -> dict[str, int]:
        body = await request.body()
        if len(body) > MAX_BODY:
            raise HTTPException(status_code=413, detail="for stort innhold")
        if not signature_valid(app_secret, body, request.headers.get("x-hub-signature-256")):
            raise HTTPException(status_code=403, detail="ugyldig signatur (X-Hub-Signature-256)")
        try:
            events = parse_events(json.loads(body), datetime.now(UTC))
        except (ValueError, RecursionError, InputError) as exc:
            raise HTTPException(status_code=400, detail="ugyldig JSON") from exc
        sink(events)
        return {"events": len(events)}

    return router
