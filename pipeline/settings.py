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
from datetime import timedelta
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from delivery.config import FiksConfig
from noark.model import DEFAULT_SAKSANSVARLIG, NoarkContext
from pipeline.batch_config import BatchConfig, default_workers
from privacy.screen import ScreeningConfig
from schemas.errors import ConfigError
from schemas.thread import Platform
from sources.connectors.config import DEFAULT_BASE_URLS, RetryPolicy, SourcesConfig
from sources.connectors.store import MediaPolicy
from storage.config import RetentionPolicy, S3Config, TimestampConfig
from workflow.config import WorkflowConfig

_T = TypeVar("_T")
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
    export_workers: int | None = Field(
        None, ge=0, le=256,
        description="Processes that build packages in parallel; unset: one per core (`os.cpu_count()`); "
        "`0`: in the run's own process",
    )
    export_batch_size: int = Field(
        100, ge=1, le=100_000, description="Threads per orchestrated export task (one Prefect task per batch)"
    )
    export_upload_threads: int = Field(
        4, ge=1, le=64, description="Threads that upload finished packages while the next ones are built"
    )

    s3_endpoint_url: str | None = Field(
        None,
        repr=False,
        description="S3 endpoint, e.g. `http://127.0.0.1:9000`; unset: AWS. A `user:password@` in it is never "
        "sent to S3 and is redacted in every message",
    )
    s3_region: str | None = Field(None, description="S3 region, e.g. `eu-north-1`; unset: boto3's chain")
    s3_access_key_id: str | None = Field(None, description="S3 access key; unset: boto3's credential chain")
    s3_secret_access_key: SecretStr | None = Field(None, description="S3 secret key; never logged")
    s3_addressing_style: Literal["auto", "path", "virtual"] = Field(
        "auto", description="`path` for most self-hosted endpoints"
    )
    s3_multipart_threshold_mb: int = Field(
        16, ge=5, le=5120, description="Files from this size (MB) up are uploaded multipart, in parts of this size"
    )
    s3_connect_timeout_s: float = Field(
        5.0, ge=0.5, le=300, description="Seconds to wait for a TCP connection to the S3 endpoint"
    )
    s3_read_timeout_s: float = Field(
        30.0, ge=1, le=3600, description="Seconds to wait for any S3 answer before retrying or failing"
    )
    s3_max_attempts: int = Field(
        3, ge=1, le=10, description="Attempts per S3 call, the first included (retries of errors and timeouts)"
    )
    s3_upload_check: Literal["etag", "read-back"] = Field(
        "etag",
        description="How an upload is checked against the locally computed digest: `etag` (the MD5 the server "
        "computed from what it received; right for plain and SSE-S3 buckets) or `read-back` (download and re-hash; "
        "needed with SSE-KMS/SSE-C, whose ETags are not MD5s)",
    )
    tsa_url: str | None = Field(
        None,
        repr=False,
        description="RFC 3161 time-stamping authority for manifests and audit heads; unset: no trusted timestamps",
    )
    tsa_ca_file: Path | None = Field(None, description="PEM root certificate(s) the TSA certificate chains to")
    tsa_cert_file: Path | None = Field(None, description="PEM certificate of the TSA; tokens signed otherwise fail")
    tsa_timeout_s: float = Field(10.0, ge=0.5, le=120, description="Seconds to wait for the TSA")
    object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] = Field(
        "COMPLIANCE", description="Object Lock retention mode set on approval"
    )
    object_lock_days: int = Field(3650, ge=1, le=36500, description="Retention period from the approval, in days")

    municipality: str = Field("Fjordvik kommune", min_length=1, description="Arkivskaper (the municipality)")
    arkiv_title: str = Field("Fjordvik kommune – sosiale medier", min_length=1, description="Noark arkiv title")
    arkivdel_title: str = Field("Dialog i sosiale medier", min_length=1, description="Noark arkivdel title")
    system_name: str = Field("somearkiv", min_length=1, description="Noark opprettetAv for system-made records")
    archivist: str = Field("somearkiv", min_length=1, description="Noark arkivertAv")
    saksansvarlig_fallback: str = Field(
        DEFAULT_SAKSANSVARLIG,
        min_length=1,
        max_length=200,
        description="Noark saksansvarlig (M306, a name) when the flagging editor is known only by e-mail or user id",
    )

    database_url: str = Field(
        f"sqlite:///{REPO_ROOT / 'var' / 'workflow.sqlite3'}",
        min_length=1,
        max_length=2000,
        description="Workflow database (flags, cases, journal numbers, audit log): `sqlite:///path` or "
        "`postgresql+psycopg://user:password@host/db`; create or migrate it with `somearkiv db upgrade`",
    )

    web_host: str = Field("127.0.0.1", min_length=1, description="Address `somearkiv web` listens on")
    web_port: int = Field(8040, ge=1, le=65535, description="Port `somearkiv web` listens on")
    web_secret_key: SecretStr | None = Field(
        None, description="Signs session cookies (at least 32 characters); unset: a random key per start"
    )
    web_session_minutes: int = Field(480, ge=5, le=1440, description="How long a sign-in lasts")
    web_auth: Literal["password", "proxy"] = Field(
        "password", description="`password` (Argon2 hashes in the database) or `proxy` (single sign-on header)"
    )
    web_proxy_user_header: str = Field(
        "X-Remote-User", min_length=1, description="Proxy mode: the header the SSO proxy puts the username in"
    )
    web_trusted_proxies: str = Field(
        "127.0.0.1", min_length=1, description="Proxy mode: comma-separated peer addresses allowed to set that header"
    )
    web_secure_cookies: bool = Field(False, description="Send the session cookie over HTTPS only (behind TLS)")

    def workflow(self) -> WorkflowConfig:
        return WorkflowConfig(database_url=self.database_url)

    skjerming_tilgangsrestriksjon: str = Field(
        "13", min_length=1, max_length=40, description="Noark tilgangsrestriksjon of threads with personal data"
    )
    skjermingshjemmel: str = Field(
        "Offl. § 13, jf. fvl. § 13 første ledd nr. 1",
        min_length=1,
        max_length=200,
        description="Noark skjermingshjemmel of threads with personal data",
    )
    screening_wordlist: Path | None = Field(
        None, description="Word list of special categories (TOML); unset: the bundled `privacy/data/wordlist.toml`"
    )

    fiks_base_url: str = Field(
        "https://api.fiks.ks.no", min_length=1, max_length=500,
        description="Fiks IO API base URL (send: `/fiks-io/api/v1/send`); test: `https://api.fiks.test.ks.no`",
    )
    fiks_amqp_url: str = Field(
        "amqps://io.fiks.ks.no:5671/", min_length=1, max_length=500,
        description="Fiks IO AMQP URL, no credentials; test: `amqps://io.fiks.test.ks.no:5671/`",
    )
    fiks_account_id: UUID | None = Field(None, description="Our Fiks IO account (konto) id; unset: no delivery")
    fiks_integration_id: UUID | None = Field(None, description="Fiks integration id (Fiks forvaltning)")
    fiks_integration_password: SecretStr | None = Field(None, description="Fiks integration password; never logged")
    fiks_token: SecretStr | None = Field(
        None, description="Maskinporten access token (scope `ks:fiks`), or a Prefect Secret block; never logged"
    )
    fiks_receiver_account: UUID | None = Field(None, description="The archive system's Fiks IO account id")
    fiks_receiver_certificate: Path | None = Field(
        None,
        description="PEM certificate of the archive's account (payloads are encrypted for it); unset: from the "
        "Fiks IO catalogue",
    )
    fiks_private_key: Path | None = Field(
        None, description="PEM private key of our account (answers are encrypted for its certificate)"
    )
    fiks_signing_certificate: Path | None = Field(
        None, description="Enterprise certificate (PEM) that signs the ASiC-E; with `SOMEARKIV_FIKS_SIGNING_KEY`"
    )
    fiks_signing_key: Path | None = Field(None, description="PEM private key of the signing certificate")
    fiks_receipt_timeout_s: int = Field(
        900, ge=1, le=7 * 86400, description="Seconds to wait for a kvittering before the delivery counts as failed"
    )
    fiks_message_ttl_h: int = Field(48, ge=1, le=24 * 30, description="Fiks IO message lifetime (hours)")
    fiks_max_message_mb: int = Field(
        200, ge=1, le=5000, description="Largest message sent or received (MB); bigger ones are refused"
    )
    fiks_require_approval: bool = Field(
        False, description="Deliver only packages the archivist approved (`somearkiv approve`)"
    )

    capture_dir: Path = Field(REPO_ROOT / "captures", description="Capture folder the capture flow writes")
    facebook_base_url: str = Field(DEFAULT_BASE_URLS[Platform.FACEBOOK], description="Graph API host (Facebook)")
    instagram_base_url: str = Field(
        DEFAULT_BASE_URLS[Platform.INSTAGRAM], description="Instagram API host (`https://graph.instagram.com` for "
        "Instagram Login)"
    )
    x_base_url: str = Field(DEFAULT_BASE_URLS[Platform.X], description="X API v2 host")
    youtube_base_url: str = Field(DEFAULT_BASE_URLS[Platform.YOUTUBE], description="YouTube Data API host")
    linkedin_base_url: str = Field(DEFAULT_BASE_URLS[Platform.LINKEDIN], description="LinkedIn REST API host")
    tiktok_base_url: str = Field(DEFAULT_BASE_URLS[Platform.TIKTOK], description="TikTok API for Business host")
    replay_base_url: str | None = Field(
        None, description="Send every connector to this host instead (the replay server in tests/replay)"
    )
    graph_api_version: str = Field("v25.0", pattern=r"^v\d{1,3}\.\d$", description="Graph API version in the path")
    linkedin_version: str = Field("202611", pattern=r"^\d{6}(\.\d{2})?$", description="`LinkedIn-Version` header")
    x_full_archive: bool = Field(False, description="Use X full-archive search (pay-per-use/Enterprise plans)")
    youtube_moderation: bool = Field(
        False, description="Also capture YouTube comments held for review / likely spam (channel owner's OAuth token)"
    )
    sources_timeout_s: float = Field(30.0, ge=1, le=600, description="HTTP timeout per platform request, seconds")
    sources_max_attempts: int = Field(6, ge=1, le=20, description="Attempts per request (throttling, 5xx)")
    sources_max_wait_s: float = Field(900.0, ge=0, le=86400, description="Longest single wait on a rate limit")
    sources_concurrency: int = Field(2, ge=1, le=32, description="Parallel fetches per platform in the capture flow")
    media_max_mb: int = Field(200, ge=1, le=10240, description="Largest media file fetched at capture time, MB")
    meta_app_secret: SecretStr | None = Field(
        None, description="Meta app secret: verifies webhook deliveries (`X-Hub-Signature-256`); never logged"
    )
    meta_webhook_verify_token: SecretStr | None = Field(
        None, description="Token Meta sends when subscribing the webhook (`hub.verify_token`)"
    )
    webhook_dir: Path = Field(REPO_ROOT / "captures" / "webhooks", description="Where webhook events are journaled")

    def s3(self) -> S3Config:
        return S3Config(
            endpoint_url=self.s3_endpoint_url,
            region=self.s3_region,
            access_key_id=self.s3_access_key_id,
            secret_access_key=self.s3_secret_access_key,
            addressing_style=self.s3_addressing_style,
            multipart_threshold_mb=self.s3_multipart_threshold_mb,
            connect_timeout_s=self.s3_connect_timeout_s,
            read_timeout_s=self.s3_read_timeout_s,
            max_attempts=self.s3_max_attempts,
            upload_check=self.s3_upload_check,
        )

    def timestamps(self) -> TimestampConfig:
        """The RFC 3161 configuration; a TSA URL needs its CA and TSA certificates to verify tokens."""
        if not self.tsa_url:
            return TimestampConfig()
        required = (("SOMEARKIV_TSA_CA_FILE", self.tsa_ca_file), ("SOMEARKIV_TSA_CERT_FILE", self.tsa_cert_file))
        for name, path in required:
            if path is None or not path.is_file():
                raise ConfigError(f"SOMEARKIV_TSA_URL er satt, men {name} ({path or 'ikke satt'}) er ikke en fil")
        return TimestampConfig(
            url=self.tsa_url, ca_file=self.tsa_ca_file, tsa_cert_file=self.tsa_cert_file, timeout_s=self.tsa_timeout_s
        )

    def batch(self) -> BatchConfig:
        """How an export run spreads its work over processes, batches and upload threads."""
        workers = default_workers() if self.export_workers is None else self.export_workers
        return BatchConfig(workers=workers, batch_size=self.export_batch_size,
                           upload_threads=self.export_upload_threads)

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
            saksansvarlig_fallback=self.saksansvarlig_fallback,
            tilgangsrestriksjon=self.skjerming_tilgangsrestriksjon,
            skjermingshjemmel=self.skjermingshjemmel,
        )

    def screening(self) -> ScreeningConfig:
        """The privacy screening's configuration (a missing word list is a ConfigError when it is loaded)."""
        if self.screening_wordlist is None:
            return ScreeningConfig()
        return ScreeningConfig(wordlist=self.screening_wordlist)
    def fiks(self) -> FiksConfig:
        """The Fiks IO delivery piece; a ConfigError naming every missing setting."""
        required = {
            "SOMEARKIV_FIKS_ACCOUNT_ID": self.fiks_account_id,
            "SOMEARKIV_FIKS_INTEGRATION_ID": self.fiks_integration_id,
            "SOMEARKIV_FIKS_INTEGRATION_PASSWORD": self.fiks_integration_password,
            "SOMEARKIV_FIKS_TOKEN": self.fiks_token,
            "SOMEARKIV_FIKS_RECEIVER_ACCOUNT": self.fiks_receiver_account,
            "SOMEARKIV_FIKS_PRIVATE_KEY": self.fiks_private_key,
        }
        missing = [name for name, value in required.items() if value is None]
        if missing:
            raise ConfigError(f"leveranse over Fiks IO er ikke satt opp: mangler {', '.join(missing)}")
        return FiksConfig(
            base_url=self.fiks_base_url,
            account_id=_need(self.fiks_account_id),
            integration_id=_need(self.fiks_integration_id),
            integration_password=_need(self.fiks_integration_password),
            token=_need(self.fiks_token),
            amqp_url=self.fiks_amqp_url,
            receiver_account=_need(self.fiks_receiver_account),
            receiver_certificate=self.fiks_receiver_certificate,
            private_key=_need(self.fiks_private_key),
            receipt_timeout=timedelta(seconds=self.fiks_receipt_timeout_s),
            message_ttl=timedelta(hours=self.fiks_message_ttl_h),
            signing_certificate=self.fiks_signing_certificate,
            signing_key=self.fiks_signing_key,
            max_message_bytes=self.fiks_max_message_mb << 20,
            require_approval=self.fiks_require_approval,
        )

    def sources(self) -> SourcesConfig:
        """Connector endpoints, versions and retry policy (the replay URL, when set, replaces every host)."""
        urls = {
            Platform.FACEBOOK: self.facebook_base_url,
            Platform.INSTAGRAM: self.instagram_base_url,
            Platform.X: self.x_base_url,
            Platform.YOUTUBE: self.youtube_base_url,
            Platform.LINKEDIN: self.linkedin_base_url,
            Platform.TIKTOK: self.tiktok_base_url,
        }
        if self.replay_base_url:
            urls = dict.fromkeys(urls, self.replay_base_url)
        return SourcesConfig(
            base_urls=urls,
            graph_version=self.graph_api_version,
            linkedin_version=self.linkedin_version,
            x_full_archive=self.x_full_archive,
            youtube_moderation=self.youtube_moderation,
            timeout_s=self.sources_timeout_s,
            retry=RetryPolicy(max_attempts=self.sources_max_attempts, max_delay=self.sources_max_wait_s),
        )

    def media_policy(self) -> MediaPolicy:
        """Media fetched at capture time; against the replay server only from its own host, never a real CDN."""
        hosts = frozenset({urlsplit(self.replay_base_url).hostname or ""}) if self.replay_base_url else None
        return MediaPolicy(max_bytes=self.media_max_mb << 20, timeout_s=self.sources_timeout_s, allowed_hosts=hosts)

    def webhooks(self) -> tuple[SecretStr, SecretStr, Path]:
        """App secret, verify token and journal folder for ``sources.webhooks.webhook_router``."""
        if self.meta_app_secret is None or self.meta_webhook_verify_token is None:
            raise ConfigError(
                "webhooks er ikke satt opp: sett SOMEARKIV_META_APP_SECRET og SOMEARKIV_META_WEBHOOK_VERIFY_TOKEN"
            )
        return self.meta_app_secret, self.meta_webhook_verify_token, self.webhook_dir

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


def _need(value: _T | None) -> _T:
    if value is None:
        raise ConfigError("en påkrevd innstilling mangler")
    return value


def configuration_table() -> str:
    """The README's configuration table, generated from the model."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, Path):
            default = default.relative_to(REPO_ROOT).as_posix() + "/" if default.is_relative_to(REPO_ROOT) else default
        elif isinstance(default, str):
            default = default.replace(str(REPO_ROOT), "<repo>")
        shown = "unset" if default is None else f"`{default}`"
        rows.append(f"| `SOMEARKIV_{name.upper()}` | {shown} | {field.description or ''} |")
    return "\n".join(rows) + "\n"


TABLE_START = "<!-- configuration table: generated by `python -m pipeline.settings --readme README.md` -->"
TABLE_END = "<!-- end of configuration table -->"


def with_configuration_table(readme: str) -> str:
    """``readme`` with the text between the table markers replaced by the current table."""
    head, start, rest = readme.partition(TABLE_START)
    _, end, tail = rest.partition(TABLE_END)
    if not start or not end:
        raise ConfigError(f"README mangler markørene for konfigurasjonstabellen ({TABLE_START!r})")
    return f"{head}{TABLE_START}\n{configuration_table()}{TABLE_END}{tail}"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--readme"]:
        target = Path(sys.argv[2])
        target.write_text(with_configuration_table(target.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        sys.stdout.write(configuration_table())
