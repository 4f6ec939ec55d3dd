"""Typed configuration of the archive bucket, built once at the edge (``pipeline.settings``) and passed down."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

LockMode = Literal["COMPLIANCE", "GOVERNANCE"]
MIB = 1024 * 1024


@dataclass(frozen=True)
class S3Config:
    """How to reach an S3 endpoint; unset values fall back to boto3's standard chain."""

    endpoint_url: str | None = field(default=None, repr=False)  # may hold user:password@; see redacted_endpoint
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    multipart_threshold_mb: int = 16
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    max_attempts: int = 3
    upload_check: Literal["etag", "read-back"] = "etag"

    @property
    def multipart_threshold_bytes(self) -> int:
        return self.multipart_threshold_mb * MIB

    @property
    def redacted_endpoint(self) -> str | None:
        """The endpoint URL for messages, reprs and logs: any ``user:password@`` replaced by ``***@``."""
        return redact_url(self.endpoint_url) if self.endpoint_url else None

    def __repr__(self) -> str:
        return (
            f"S3Config(endpoint_url={self.redacted_endpoint!r}, region={self.region!r}, "
            f"addressing_style={self.addressing_style!r}, multipart_threshold_mb={self.multipart_threshold_mb}, "
            f"connect_timeout_s={self.connect_timeout_s}, read_timeout_s={self.read_timeout_s}, "
            f"max_attempts={self.max_attempts}, upload_check={self.upload_check!r})"
        )


def redact_url(url: str) -> str:
    """The URL without any ``user:password@`` part, for messages, logs and reprs."""
    try:
        parts = urlsplit(url)
        has_userinfo = "@" in parts.netloc
    except ValueError:
        return "<ugyldig URL>"
    if not has_userinfo:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")


def scrub_userinfo(text: str) -> str:
    """Any ``scheme://user:password@`` inside free text (an exception message) with the user info replaced."""
    return _USERINFO.sub(r"\1***@", text)


def strip_userinfo(url: str) -> str:
    """The URL without ``user:password@`` (what is handed to a client that must not see or log it)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])) if "@" in parts.netloc else url


@dataclass(frozen=True)
class RetentionPolicy:
    """The Object Lock retention an approval sets."""

    mode: LockMode = "COMPLIANCE"
    days: int = 3650


@dataclass(frozen=True)
class TimestampConfig:
    """RFC 3161 trusted timestamps: where to ask (``url``; None = no timestamps) and whom to trust.

    ``ca_file`` holds the PEM root certificate(s) the TSA's certificate chains to; ``tsa_cert_file`` the TSA's
    own certificate (PEM), pinned: a token signed by any other certificate is refused.
    """

    url: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    tsa_cert_file: Path | None = None
    timeout_s: float = 10.0

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @property
    def redacted_url(self) -> str | None:
        return redact_url(self.url) if self.url else None

    def __repr__(self) -> str:
        return (
            f"TimestampConfig(url={self.redacted_url!r}, ca_file={self.ca_file!r}, "
            f"tsa_cert_file={self.tsa_cert_file!r}, timeout_s={self.timeout_s})"
        )
