"""RFC 3161 trusted timestamps from a configured time-stamping authority (TSA).

A token (the DER ``TimeStampResp``, stored as ``.tsr``) proves that a SHA-256 digest existed no later than
the TSA's time. Tokens are requested over HTTP (``application/timestamp-query``) with a random nonce and
the TSA's certificate requested, and are checked with ``rfc3161-client`` (Trail of Bits, used by sigstore):
status granted, the CMS signature chains to the configured root(s), the signer is exactly the configured
TSA certificate with the critical ``timeStamping`` key usage, and the message imprint equals the digest of
the data. Any failure is an :class:`IntegrityError` (a token that does not prove what it should) or a
:class:`StorageError` (the TSA can't be reached); messages never contain ``user:password@`` of the URL.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from pathlib import Path

import httpx
from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    Verifier,
    VerifierBuilder,
    decode_timestamp_response,
)

from schemas.errors import ConfigError, IntegrityError, StorageError
from storage.base import MAX_TOKEN_BYTES
from storage.config import TimestampConfig, scrub_userinfo


class TimestampError(StorageError):
    """The time-stamping authority could not be reached or gave no usable answer."""


class Timestamper:
    """Requests and checks RFC 3161 tokens for one configured TSA."""

    def __init__(self, config: TimestampConfig) -> None:
        if not config.url:
            raise ConfigError("ingen tidsstemplingstjeneste (SOMEARKIV_TSA_URL) er satt opp")
        self.config = config
        self._roots, self._tsa_cert  # noqa: B018  (load and check the certificates now, at the edge)

    def __repr__(self) -> str:
        return f"Timestamper(url={self.config.redacted_url!r})"

    @cached_property
    def _roots(self) -> list[x509.Certificate]:
        return _load_certs(self.config.ca_file, "SOMEARKIV_TSA_CA_FILE")

    @cached_property
    def _tsa_cert(self) -> x509.Certificate:
        return _load_certs(self.config.tsa_cert_file, "SOMEARKIV_TSA_CERT_FILE")[0]

    def _verifier(self, nonce: int | None = None) -> Verifier:
        builder = VerifierBuilder(tsa_certificate=self._tsa_cert, nonce=nonce)
        for root in self._roots:
            builder = builder.add_root_certificate(root)
        return builder.build()

    def stamp(self, data: bytes) -> bytes:
        """A verified token (DER ``TimeStampResp``) over ``data``'s SHA-256."""
        request = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256).nonce(nonce=True)
        built = request.cert_request(cert_request=True).build()
        where = self.config.redacted_url
        try:
            with (
                httpx.Client(timeout=self.config.timeout_s, follow_redirects=False) as client,
                client.stream(
                    "POST",
                    str(self.config.url),
                    content=built.as_bytes(),
                    headers={"Content-Type": "application/timestamp-query"},
                ) as answer,
            ):
                if answer.status_code != 200:
                    raise TimestampError(f"tidsstemplingstjenesten {where} svarte HTTP {answer.status_code}")
                token = b""
                for block in answer.iter_bytes():
                    token += block
                    if len(token) > MAX_TOKEN_BYTES:
                        raise TimestampError(f"tidsstemplingstjenesten {where} sendte mer enn {MAX_TOKEN_BYTES} byte")
        except httpx.HTTPError as exc:
            raise TimestampError(f"tidsstemplingstjenesten {where} svarte ikke: {scrub_userinfo(str(exc))}") from exc
        try:
            self._check(token, data, nonce=built.nonce)
        except IntegrityError as exc:
            raise TimestampError(f"tidsstemplingstjenesten {where} ga et ugyldig svar: {exc}") from exc
        return token

    def check(self, token: bytes, data: bytes) -> datetime:
        """The token's time if it is a valid token of the configured TSA over ``data``, else IntegrityError."""
        return self._check(token, data, nonce=None)

    def _check(self, token: bytes, data: bytes, *, nonce: int | None) -> datetime:
        if not token or len(token) > MAX_TOKEN_BYTES:
            raise IntegrityError(f"tidsstempelet er ikke et RFC 3161-svar ({len(token)} byte)")
        try:
            response: TimeStampResponse = decode_timestamp_response(token)
        except Exception as exc:  # the Rust parser raises ValueError and its own types
            raise IntegrityError(f"tidsstempelet kan ikke leses: {type(exc).__name__}") from exc
        try:
            self._verifier(nonce).verify_message(response, data)
        except (VerificationError, ValueError) as exc:
            raise IntegrityError(f"tidsstempelet holder ikke: {exc}") from exc
        return response.tst_info.gen_time


def _load_certs(path: Path | None, setting: str) -> list[x509.Certificate]:
    if not isinstance(path, Path) or not path.is_file():
        raise ConfigError(f"{setting} ({path or 'ikke satt'}) er ikke en fil")
    try:
        certs = x509.load_pem_x509_certificates(path.read_bytes())
    except ValueError as exc:
        raise ConfigError(f"{setting} ({path}) inneholder ikke PEM-sertifikater: {exc}") from exc
    if not certs:
        raise ConfigError(f"{setting} ({path}) inneholder ingen sertifikater")
    return certs


def timestamper_for(config: TimestampConfig) -> Timestamper | None:
    """A Timestamper when a TSA is configured, else None (no timestamps)."""
    return Timestamper(config) if config.enabled else None
