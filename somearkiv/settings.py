"""Settings: embedded defaults, overridable by ``SOMEARKIV_*`` environment variables (or a .env file).

Defaults run everything on one machine: a local folder bucket (``./archive-bucket``), ephemeral Prefect
with SQLite, the bundled sample data, and Arkivverket's XSDs from ``../shared/noark5/xsd``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """All runtime configuration in one place."""

    model_config = SettingsConfigDict(env_prefix="SOMEARKIV_", env_file=".env", extra="ignore")

    # Where packages go: file:///abs/path, a plain path, or s3://bucket/prefix.
    bucket: str = "./archive-bucket"
    samples_dir: Path = REPO_ROOT / "samples"
    xsd_dir: Path = REPO_ROOT.parent / "shared" / "noark5" / "xsd"
    work_dir: Path = Field(default=REPO_ROOT / "build", description="Staging area for packages being built")

    # The archive document.
    pdfa_part: Literal["1", "2"] = "2"

    # S3 (any endpoint: AWS, MinIO, Ceph, ...). Unset values fall back to boto3's credential chain.
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    s3_multipart_threshold_mb: int = 16
    object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] = "COMPLIANCE"
    object_lock_days: int = 3650

    # Noark 5 identity of this archive.
    municipality: str = "Fjordvik kommune"
    arkiv_title: str = "Fjordvik kommune – sosiale medier"
    arkivdel_title: str = "Dialog i sosiale medier"
    system_name: str = "somearkiv"
    archivist: str = "somearkiv"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment)."""
    return Settings()
