"""Settings: embedded defaults, overridable by ``SOMEARKIV_*`` environment variables (or a ``.env`` file).

Built once at an edge (a CLI command, a flow entry, the web app's start) and passed down as typed pieces
(:meth:`Settings.s3`, :meth:`Settings.noark`, :meth:`Settings.export`, :meth:`Settings.retention`); no layer
below reads the environment. Defaults run everything on one machine and never point outside the repository:
a local folder bucket, the bundled sample data, staging under ``build/``. The official XSDs are not part of
the repository: ``SOMEARKIV_XSD_DIR`` names them (``./dev`` sets it to ``../shared/noark5/xsd`` when that
folder exists); :meth:`Settings.require_xsd_dir` says plainly when they are missing.

The README's configuration table is generated from this model (``python -m pipeline.settings``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from noark.model import NoarkContext
from schemas.errors import ConfigError
from storage.config import RetentionPolicy, S3Config

REPO_ROOT = Path(__file__).resolve().parent.parent
XSD_MARKER = "N5-v5.0/arkivstruktur.xsd"


class Settings(BaseSettings):
    """All runtime configuration in one place."""

    model_config = SettingsConfigDict(env_prefix="SOMEARKIV_", env_file=".env", extra="ignore")

    bucket: str = Field(
        "./archive-bucket",
        min_length=1,
        description="Archive bucket: a folder, `file:///path` or `s3://bucket/prefix`",
    )
    samples_dir: Path = Field(REPO_ROOT / "samples", description="Capture folder the demo and the nightly export read")
    xsd_dir: Path | None = Field(
        None,
        description="Folder with Arkivverket's and KS's official XSDs (`N5-v5.0/`, `ADDML-v8.3/`, `fiks-arkiv-v1/`)",
    )
    work_dir: Path = Field(REPO_ROOT / "build", description="Staging area for packages being built")
    pdfa_part: Literal["1", "2"] = Field("2", description="`2` = PDF/A-2b, `1` = PDF/A-1b")
    run_deadline_minutes: float = Field(
        360, gt=0, le=10080,
        description="Overall deadline of one export run; threads not done by then are reported as not exported",
    )

    s3_endpoint_url: str | None = Field(None, description="S3 endpoint, e.g. `http://127.0.0.1:9000`; unset: AWS")
    s3_region: str | None = Field(None, description="S3 region, e.g. `eu-north-1`; unset: boto3's chain")
    s3_access_key_id: str | None = Field(None, description="S3 access key; unset: boto3's credential chain")
    s3_secret_access_key: SecretStr | None = Field(None, description="S3 secret key; never logged")
    s3_addressing_style: Literal["auto", "path", "virtual"] = Field(
        "auto", description="`path` for most self-hosted endpoints"
    )
    s3_multipart_threshold_mb: int = Field(
        16, ge=5, le=5120, description="Files from this size (MB) up are uploaded multipart, in parts of this size"
    )
    object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] = Field(
        "COMPLIANCE", description="Object Lock retention mode set on approval"
    )
    object_lock_days: int = Field(3650, ge=1, le=36500, description="Retention period from the approval, in days")

    municipality: str = Field("Fjordvik kommune", min_length=1, description="Arkivskaper (the municipality)")
    arkiv_title: str = Field("Fjordvik kommune – sosiale medier", min_length=1, description="Noark arkiv title")
    arkivdel_title: str = Field("Dialog i sosiale medier", min_length=1, description="Noark arkivdel title")
    system_name: str = Field("somearkiv", min_length=1, description="Noark opprettetAv for system-made records")
    archivist: str = Field("somearkiv", min_length=1, description="Noark arkivertAv")

    def s3(self) -> S3Config:
        return S3Config(
            endpoint_url=self.s3_endpoint_url,
            region=self.s3_region,
            access_key_id=self.s3_access_key_id,
            secret_access_key=self.s3_secret_access_key,
            addressing_style=self.s3_addressing_style,
            multipart_threshold_mb=self.s3_multipart_threshold_mb,
        )

    def retention(self) -> RetentionPolicy:
        return RetentionPolicy(mode=self.object_lock_mode, days=self.object_lock_days)

    def noark(self) -> NoarkContext:
        return NoarkContext(
            arkiv_title=self.arkiv_title,
            arkivdel_title=self.arkivdel_title,
            municipality=self.municipality,
            system_name=self.system_name,
            archivist=self.archivist,
            pdfa_part=self.pdfa_part,
        )

    def require_xsd_dir(self) -> Path:
        """The XSD folder, or a ConfigError that says how to get the schemas."""
        if self.xsd_dir is None:
            raise ConfigError(
                "de offisielle XSD-ene er ikke satt opp: sett SOMEARKIV_XSD_DIR til mappen med Arkivverkets "
                "og KS' skjemaer (N5-v5.0/, ADDML-v8.3/, fiks-arkiv-v1/); ./dev bruker ../shared/noark5/xsd"
            )
        if not (self.xsd_dir / XSD_MARKER).is_file():
            raise ConfigError(
                f"fant ikke de offisielle XSD-ene i {self.xsd_dir} (mangler {XSD_MARKER}); "
                "sett SOMEARKIV_XSD_DIR til mappen med Arkivverkets og KS' skjemaer"
            )
        return self.xsd_dir


def configuration_table() -> str:
    """The README's configuration table, generated from the model."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, Path):
            default = default.relative_to(REPO_ROOT).as_posix() + "/" if default.is_relative_to(REPO_ROOT) else default
        shown = "unset" if default is None else f"`{default}`"
        rows.append(f"| `SOMEARKIV_{name.upper()}` | {shown} | {field.description or ''} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.stdout.write(configuration_table())
