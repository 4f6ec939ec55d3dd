"""A stand-in for the Fiks IO service on 127.0.0.1: the send endpoint and the public-key catalogue.

``POST /fiks-io/api/v1/send`` checks the bearer token and the integration's id/password, parses the
multipart body (``metadata`` JSON + ``data``), and publishes the payload to ``fiksio.konto.<mottaker>`` with
the Fiks IO headers (``melding-id``, ``type``, ``avsender-id``, ``svar-til``, ``egendefinert-header.*``),
then answers 202 with the accepted message. ``GET /fiks-io/katalog/api/v1/kontoer/<id>/offentligNokkel``
returns an account's certificate. Every accepted message is also kept in ``sent`` for the tests.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pika


def multipart_parts(content_type: str, raw: bytes) -> dict[str, bytes]:
    """The named parts of a multipart/form-data body, byte-exact (the payload is binary)."""
    header = Message()
    header["Content-Type"] = content_type
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not content_type.startswith("multipart/form-data"):
        return {}
    parts: dict[str, bytes] = {}
    for chunk in raw.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, body = chunk[2:].partition(b"\r\n\r\n")
        disposition = Message()
        for line in head.decode("latin-1").split("\r\n"):
            key, _, value = line.partition(":")
            disposition[key.strip()] = value.strip()
        name = disposition.get_param("name", header="content-disposition")
        if isinstance(name, str):
            parts[name] = body[:-2] if body.endswith(b"\r\n") else body
    return parts


@dataclass(frozen=True)
class Account:
    account_id: str
    integration_id: str
    integration_password: str
    certificate_pem: str


@dataclass
class FiksIOStandIn:
    amqp_url: str
    admin_user: str
    admin_password: str
    token: str
    accounts: dict[str, Account]
    sent: list[dict[str, Any]] = field(default_factory=list)
    max_body: int = 50 << 20

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: pika.BlockingConnection | None = None
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet
                return

            def _json(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parts = self.path.strip("/").split("/")
                if parts[:5] == ["fiks-io", "katalog", "api", "v1", "kontoer"] and parts[6:] == ["offentligNokkel"]:
                    account = stand_in.accounts.get(parts[5])
                    if account:
                        return self._json(200, {"nokkel": account.certificate_pem})
                return self._json(404, {"feil": "ikke funnet"})

            def do_POST(self) -> None:
                status, body = stand_in.handle_send(self.headers, self.rfile, self.path)
                self._json(status, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FiksIOStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        with self._lock:
            if self._connection is not None and self._connection.is_open:
                self._connection.close()

    # -- the send endpoint ----------------------------------------------------------------------------------

    def _account_of(self, headers: Any) -> Account | None:
        if headers.get("Authorization") != f"Bearer {self.token}":
            return None
        for account in self.accounts.values():
            if (
                headers.get("IntegrasjonId") == account.integration_id
                and headers.get("IntegrasjonPassord") == account.integration_password
            ):
                return account
        return None

    def handle_send(self, headers: Any, stream: Any, path: str) -> tuple[int, object]:
        if path != "/fiks-io/api/v1/send":
            return 404, {"feil": "ikke funnet"}
        length = int(headers.get("Content-Length") or 0)
        if length > self.max_body:
            return 413, {"feil": "for stor"}
        raw = stream.read(length)
        account = self._account_of(headers)
        if account is None:
            return 401, {"feil": "ikke autorisert"}
        parts = multipart_parts(headers.get("Content-Type") or "", raw)
        if "metadata" not in parts:
            return 400, {"feil": "mangler metadata"}
        try:
            metadata = json.loads(parts["metadata"])
        except ValueError:
            return 400, {"feil": "ugyldig metadata"}
        if metadata.get("avsenderKontoId") != account.account_id:
            return 403, {"feil": "integrasjonen har ikke tilgang til avsenderkontoen"}
        receiver = str(metadata.get("mottakerKontoId"))
        if receiver not in self.accounts:
            return 400, {"feil": "ukjent mottaker"}
        data = parts.get("data", b"")
        melding_id = str(uuid.uuid4())
        amqp_headers: dict[str, Any] = {
            "melding-id": melding_id,
            "type": metadata["meldingType"],
            "avsender-id": account.account_id,
            "avsender-navn": account.account_id,
        }
        if metadata.get("svarPaMelding"):
            amqp_headers["svar-til"] = str(metadata["svarPaMelding"])
        for key, value in (metadata.get("headere") or {}).items():
            amqp_headers[f"egendefinert-header.{key}"] = str(value)
        self.publish(f"fiksio.konto.{receiver}", amqp_headers, data or b"", ttl=str(int(metadata.get("ttl") or 0)))
        accepted = {
            "meldingId": melding_id,
            "meldingType": metadata["meldingType"],
            "avsenderKontoId": account.account_id,
            "mottakerKontoId": receiver,
            "ttl": metadata.get("ttl"),
            "svarPaMelding": metadata.get("svarPaMelding"),
            "headere": metadata.get("headere") or {},
        }
        self.sent.append({**accepted, "size": len(data or b"")})
        return 202, accepted

    def publish(self, queue: str, headers: dict[str, Any], body: bytes, ttl: str | None = None) -> None:
        """Publish to a queue as Fiks IO does (also used by hostile tests to inject raw messages)."""
        properties = pika.BasicProperties(
            headers=headers, delivery_mode=2, expiration=ttl if ttl and ttl != "0" else None
        )
        with self._lock:
            for attempt in range(3):
                try:
                    if self._connection is None or not self._connection.is_open:
                        params = pika.URLParameters(self.amqp_url)
                        params.credentials = pika.PlainCredentials(self.admin_user, self.admin_password)
                        self._connection = pika.BlockingConnection(params)
                    channel = self._connection.channel()
                    channel.confirm_delivery()
                    channel.basic_publish("", queue, body, properties, mandatory=True)
                    channel.close()
                    return
                except (pika.exceptions.AMQPError, OSError):
                    self._connection = None
                    if attempt == 2:
                        raise
