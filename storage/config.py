"""Typed configuration of the archive bucket, built once at the edge (``pipeline.settings``) and passed down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

LockMode = Literal["COMPLIANCE", "GOVERNANCE"]
MIB = 1024 * 1024


@dataclass(frozen=True)
class S3Config:
    """How to reach an S3 endpoint; unset values fall back to boto3's standard chain."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    multipart_threshold_mb: int = 16

    @property
    def multipart_threshold_bytes(self) -> int:
        return self.multipart_threshold_mb * MIB


@dataclass(frozen=True)
class RetentionPolicy:
    """The Object Lock retention an approval sets."""

    mode: LockMode = "COMPLIANCE"
    days: int = 3650
