"""A Fiks IO client: send a message over HTTP, receive the account's messages over AMQP.

Sending is one multipart POST to ``<base>/fiks-io/api/v1/send``: part ``metadata`` (JSON: avsenderKontoId,
mottakerKontoId, meldingType, ttl, svarPaMelding, headere) and part ``data`` (the CMS-encrypted ASiC-E),
authorised with a Maskinporten bearer token and the integration's id and password. Fiks IO answers 202
with the message it accepted (``meldingId`` …).

Receiving consumes the account's queue ``fiksio.konto.<account id>`` with manual acknowledgement: a message
is acked only after the handler has stored what it means, so a crash or a lost connection redelivers it.
A lost connection is re-established until the deadline. Headers follow fiks-io-commons: ``melding-id``,
``type``, ``avsender-id``, ``svar-til``, ``dokumentlager-id`` and ``egendefinert-header.*``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import UUID

import httpx
import pika
import pika.exceptions
from cryptography import x509

from delivery.config import FiksConfig, queue_name
from schemas.errors import DeliveryError

log = logging.getLogger(__name__)

CUSTOM_PREFIX = "egendefinert-header."


class FiksIOError(DeliveryError):
    """Fiks IO refused or could not be reached."""


@dataclass(frozen=True)
class SentMessage:
    melding_id: str
    melding_type: str
    mottaker: str
    svar_paa: str | None = None


def auth_headers(config: FiksConfig) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {config.token.get_secret_value()}",
        "IntegrasjonId": str(config.integration_id),
        "IntegrasjonPassord": config.integration_password.get_secret_value(),
    }


class FiksIOSender:
    """Sends messages from the configured account (one HTTP client, reused)."""

    def __init__(self, config: FiksConfig, *, timeout: float = 60.0) -> None:
        self.config = config
        self._http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FiksIOSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def public_certificate(self, account: UUID) -> x509.Certificate:
        """The account's public certificate from the Fiks IO catalogue (what payloads are encrypted for)."""
        url = self.config.public_key_url(account)
        try:
            response = self._http.get(url, headers=auth_headers(self.config))
        except httpx.HTTPError as exc:
            raise FiksIOError(f"Fiks IO-katalogen ({url}) kan ikke nås: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise FiksIOError(f"Fiks IO-katalogen svarte {response.status_code} for kontoen {account}")
        try:
            body = response.json()
            pem = body.get("nokkel") or body.get("Nokkel")
            certificate = x509.load_pem_x509_certificate(str(pem).encode("ascii"))
        except (ValueError, AttributeError, UnicodeEncodeError) as exc:
            raise FiksIOError(f"Fiks IO-katalogen ga ikke et gyldig sertifikat for kontoen {account}") from exc
        now = datetime.now(UTC)
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise FiksIOError(
                f"sertifikatet til kontoen {account} er ikke gyldig nå "
                f"({certificate.not_valid_before_utc:%Y-%m-%d}–{certificate.not_valid_after_utc:%Y-%m-%d})"
            )
        return certificate

    def send(
        self,
        melding_type: str,
        payload: bytes | None,
        *,
        mottaker: UUID,
        svar_paa: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SentMessage:
        """Send one message (``payload`` already encrypted for the receiver); returns what Fiks IO accepted."""
        metadata: dict[str, Any] = {
            "avsenderKontoId": str(self.config.account_id),
            "mottakerKontoId": str(mottaker),
            "meldingType": melding_type,
            "ttl": int(self.config.message_ttl.total_seconds() * 1000),
            "headere": dict(headers or {}),
        }
        if svar_paa is not None:
            metadata["svarPaMelding"] = svar_paa
        files: dict[str, tuple[str | None, bytes, str]] = {
            "metadata": (None, json.dumps(metadata).encode("utf-8"), "application/json")
        }
        if payload is not None:
            files["data"] = (str(uuid.uuid4()), payload, "application/octet-stream")
        url = self.config.send_url
        try:
            response = self._http.post(url, files=files, headers=auth_headers(self.config))
        except httpx.HTTPError as exc:
            raise FiksIOError(f"Fiks IO ({url}) kan ikke nås: {type(exc).__name__}: {exc}") from exc
        if response.status_code in (401, 403):
            raise FiksIOError(
                f"Fiks IO avviste påloggingen ({response.status_code}): sjekk Maskinporten-tokenet og "
                "integrasjonens id/passord (SOMEARKIV_FIKS_TOKEN, SOMEARKIV_FIKS_INTEGRATION_*)"
            )
        if response.status_code not in (200, 202):
            raise FiksIOError(f"Fiks IO svarte {response.status_code} på sending: {response.text[:200]!r}")
        try:
            body = response.json()
            sent = SentMessage(
                melding_id=str(UUID(str(body["meldingId"]))),
                melding_type=str(body.get("meldingType", melding_type)),
                mottaker=str(body.get("mottakerKontoId", mottaker)),
                svar_paa=body.get("svarPaMelding"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise FiksIOError(f"Fiks IO svarte med et ugyldig kvitteringsobjekt: {response.text[:200]!r}") from exc
        log.info("Fiks IO: sendte %s %s til %s", sent.melding_type, sent.melding_id, sent.mottaker)
        return sent


# -- receiving ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingMessage:
    """One message from the account's queue; ``problem`` says why it can't be used (then other fields may be
    empty)."""

    melding_id: str
    melding_type: str
    avsender: str
    svar_til: str | None
    body: bytes
    redelivered: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    dokumentlager_id: str | None = None
    problem: str | None = None


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _uuid(headers: Mapping[str, object], name: str, *, required: bool) -> str | None:
    raw = _text(headers.get(name))
    if raw is None:
        if required:
            raise ValueError(f"mangler header {name}")
        return None
    try:
        return str(UUID(raw))
    except ValueError:
        raise ValueError(f"header {name} er ikke en UUID: {raw[:60]!r}") from None


def parse_incoming(
    properties: pika.BasicProperties, body: bytes, *, redelivered: bool, max_bytes: int
) -> IncomingMessage:
    """An :class:`IncomingMessage` from AMQP properties and body; never raises."""
    headers: Mapping[str, object] = properties.headers if isinstance(properties.headers, dict) else {}
    custom = {
        key[len(CUSTOM_PREFIX) :]: _text(value) or ""
        for key, value in headers.items()
        if isinstance(key, str) and key.startswith(CUSTOM_PREFIX)
    }
    try:
        melding_id = _uuid(headers, "melding-id", required=True) or ""
        avsender = _uuid(headers, "avsender-id", required=True) or ""
        svar_til = _uuid(headers, "svar-til", required=False)
        dokumentlager = _uuid(headers, "dokumentlager-id", required=False)
        melding_type = _text(headers.get("type"))
        if not melding_type:
            raise ValueError("mangler header type")
        if len(melding_type) > 200 or not melding_type.isprintable():
            raise ValueError(f"ugyldig meldingstype {melding_type[:60]!r}")
    except ValueError as exc:
        return IncomingMessage("", "", "", None, b"", redelivered, custom, None, problem=str(exc))
    problem = None
    if len(body) > max_bytes:
        problem = f"meldingen er {len(body)} byte, grensen er {max_bytes}"
        body = b""
    elif dokumentlager is not None:
        problem = "innholdet ligger i Fiks Dokumentlager, som somearkiv ikke henter fra"
    return IncomingMessage(
        melding_id, melding_type, avsender, svar_til, body, redelivered, custom, dokumentlager, problem
    )


@dataclass
class ListenStats:
    received: int = 0
    acked: int = 0
    reconnects: int = 0


Handler = Callable[[IncomingMessage], None]
"""Called once per message; returning acks it, raising leaves it on the queue (requeued) and stops."""


def amqp_parameters(config: FiksConfig) -> pika.URLParameters:
    """Connection parameters from the AMQP URL and the integration's credentials (never in the URL)."""
    parts = urlsplit(config.amqp_url)
    vhost = unquote(parts.path[1:]) if parts.path not in ("", "/") else "/"
    credentials = pika.PlainCredentials(
        str(config.integration_id),
        f"{config.integration_password.get_secret_value()} {config.token.get_secret_value()}",
    )
    kwargs: dict[str, Any] = {}
    if parts.scheme == "amqps":
        kwargs["ssl_options"] = pika.SSLOptions(ssl.create_default_context(), parts.hostname)
    return pika.ConnectionParameters(
        host=parts.hostname or "localhost",
        port=parts.port or (5671 if parts.scheme == "amqps" else 5672),
        virtual_host=vhost,
        credentials=credentials,
        heartbeat=30,
        blocked_connection_timeout=30,
        connection_attempts=1,
        socket_timeout=5,
        client_properties={"connection_name": f"somearkiv {config.account_id}"},
        **kwargs,
    )


_CONNECTION_ERRORS = (
    pika.exceptions.AMQPConnectionError,
    pika.exceptions.ConnectionClosed,
    pika.exceptions.StreamLostError,
    pika.exceptions.ChannelWrongStateError,
    pika.exceptions.ConnectionWrongStateError,
)


class Listener:
    """Consumes the configured account's queue until ``done()`` or the deadline, reconnecting as needed."""

    def __init__(self, config: FiksConfig, *, prefetch: int = 20, poll: float = 0.2, reconnect_delay: float = 0.5):
        self.config = config
        self.prefetch = prefetch
        self.poll = poll
        self.reconnect_delay = reconnect_delay

    def run(self, handle: Handler, *, done: Callable[[], bool], timeout: float) -> ListenStats:
        """Deliver messages to ``handle``; stop once ``done()`` is true and the queue is idle (nothing for one
        poll interval), or after ``timeout`` seconds. Connection losses are retried until then."""
        stats = ListenStats()
        deadline = time.monotonic() + timeout
        first = True
        while time.monotonic() < deadline:
            if not first:
                stats.reconnects += 1
            first = False
            try:
                self._consume(handle, done, deadline, stats)
                return stats
            except _CONNECTION_ERRORS as exc:
                log.warning("Fiks IO: AMQP-forbindelsen brøt (%s); kobler til igjen", type(exc).__name__)
                time.sleep(self.reconnect_delay)
            except pika.exceptions.ChannelClosedByBroker as exc:
                if exc.reply_code == 404:
                    raise FiksIOError(f"Fiks IO-køen {self.config.queue} finnes ikke (kontoen er feil?)") from exc
                if exc.reply_code in (403,):
                    raise FiksIOError(f"Fiks IO nektet tilgang til køen {self.config.queue}") from exc
                log.warning("Fiks IO: kanalen ble lukket (%s); kobler til igjen", exc.reply_code)
                time.sleep(self.reconnect_delay)
        return stats

    def _consume(self, handle: Handler, done: Callable[[], bool], deadline: float, stats: ListenStats) -> None:
        try:
            connection = pika.BlockingConnection(amqp_parameters(self.config))
        except (
            pika.exceptions.AuthenticationError,
            pika.exceptions.ProbableAuthenticationError,
            pika.exceptions.ProbableAccessDeniedError,
        ) as exc:
            raise FiksIOError("Fiks IO avviste AMQP-påloggingen: sjekk integrasjonen og tokenet") from exc
        try:
            channel = connection.channel()
            channel.basic_qos(prefetch_count=self.prefetch)
            channel.queue_declare(queue_name(self.config.account_id), passive=True)
            for method, properties, body in channel.consume(self.config.queue, inactivity_timeout=self.poll):
                if method is None:
                    if done() or time.monotonic() >= deadline:
                        break
                    continue
                stats.received += 1
                message = parse_incoming(
                    properties,
                    body or b"",
                    redelivered=bool(method.redelivered),
                    max_bytes=self.config.max_message_bytes,
                )
                try:
                    handle(message)
                except BaseException:
                    channel.basic_nack(method.delivery_tag, requeue=True)
                    raise
                channel.basic_ack(method.delivery_tag)
                stats.acked += 1
                if time.monotonic() >= deadline:
                    break
            channel.cancel()
        finally:
            if connection.is_open:
                with contextlib.suppress(*_CONNECTION_ERRORS):
                    connection.close()
