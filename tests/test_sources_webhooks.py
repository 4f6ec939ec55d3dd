"""Meta webhooks over real HTTP (uvicorn on 127.0.0.1): signature check, events, journal."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from sources.observe import WebhookEvent
from sources.webhooks import WebhookJournal, parse_events, signature_valid, webhook_router

SECRET = SecretStr("app-secret-123")
PAGE_EVENT = {"object": "page", "entry": [{"id": "100064123456789", "time": 1762160000, "changes": [
    {"field": "feed", "value": {"item": "comment", "verb": "edited", "comment_id": "1234567890123456_9",
                                "post_id": "100064123456789_1234567890123456",
                                "parent_id": "100064123456789_1234567890123456",
                                "from": {"id": "61", "name": "Kari"}, "message": "Ny tekst",
                                "created_time": 1762160000}},
    {"field": "feed", "value": {"item": "comment", "verb": "remove", "comment_id": "1234567890123456_8",
                                "post_id": "100064123456789_1234567890123456", "parent_id": "1234567890123456_7"}},
    {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": "x"}},
    {"field": "feed", "value": {"item": "comment", "verb": "explode", "comment_id": "1", "post_id": "2"}},
]}]}
IG_EVENT = {"object": "instagram", "entry": [{"id": "17841400000000999", "time": 1762160000, "changes": [
    {"field": "comments", "value": {"from": {"id": "178", "username": "ola"}, "media": {"id": "17900000000000001",
     "media_product_type": "FEED"}, "id": "17912345678909999", "text": "Hei 👋"}}]}]}


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.get_secret_value().encode(), body, hashlib.sha256).hexdigest()


@contextmanager
def webhook_app(sink: WebhookJournal) -> Iterator[str]:
    app = FastAPI()
    app.include_router(webhook_router(SECRET, SecretStr("verify-me"), sink))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/webhooks/meta"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


def test_signed_deliveries_become_journal_events_and_bad_ones_are_refused(tmp_path: Path) -> None:
    journal = WebhookJournal(tmp_path / "webhooks")
    body = json.dumps(PAGE_EVENT).encode()
    with webhook_app(journal) as url, httpx.Client() as client:
        ok = client.post(url, content=body, headers={"X-Hub-Signature-256": sign(body)})
        tampered = client.post(url, content=body + b" ", headers={"X-Hub-Signature-256": sign(body)})
        unsigned = client.post(url, content=body)
        garbage = client.post(url, content=b"{nope", headers={"X-Hub-Signature-256": sign(b"{nope")})
        ig = json.dumps(IG_EVENT).encode()
        client.post(url, content=ig, headers={"X-Hub-Signature-256": sign(ig)})
        challenge = client.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "verify-me",
                                            "hub.challenge": "1158201444"})
        wrong = client.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"})
    assert (ok.status_code, ok.json()) == (200, {"events": 2})
    assert [tampered.status_code, unsigned.status_code, garbage.status_code] == [403, 403, 400]
    assert (challenge.status_code, challenge.text, wrong.status_code) == (200, "1158201444", 403)
    events = list(journal.events())
    assert [(e.platform, e.verb) for e in events] == [("facebook", "edited"), ("facebook", "remove"),
                                                      ("instagram", "add")]
    assert events[0].parent_id is None and events[1].parent_id == "1234567890123456_7"
    assert next(iter(journal.events("instagram", "17900000000000001"))).text == "Hei 👋"


def test_signature_and_parsing_edge_cases(tmp_path: Path) -> None:
    assert signature_valid(SECRET, b"x", sign(b"x"))
    assert signature_valid(SECRET, b"x", sign(b"x").upper().replace("SHA256=", "sha256="))
    assert not signature_valid(SECRET, b"x", None) and not signature_valid(SECRET, b"x", "sha1=abc")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_events({"object": "page", "entry": [None, {"changes": [None, {"value": []}]}]}, now) == []
    journal = WebhookJournal(tmp_path)
    journal([WebhookEvent("facebook", "1", "2", "3", "remove", now)])
    with next(tmp_path.glob("*.jsonl")).open("a") as handle:
        handle.write('{"torn": ')
    assert len(list(journal.events())) == 1


def test_oversized_delivery_is_refused_before_parsing(tmp_path: Path) -> None:
    journal = WebhookJournal(tmp_path)
    body = b'{"object": "page", "entry": [' + b" " * (1 << 20) + b"]}"
    with webhook_app(journal) as url, httpx.Client() as client:
        response = client.post(url, content=body, headers={"X-Hub-Signature-256": sign(body)})
    assert response.status_code == 413 and list(journal.events()) == []
