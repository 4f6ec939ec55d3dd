"""The archive bucket on S3 or any S3-compatible endpoint (MinIO, Ceph, moto): ``s3://bucket/prefix``.

Keys are ``<prefix>/<package_id>/<path>``. Every object is uploaded with ``ChecksumAlgorithm="SHA256"``
through boto3's transfer manager (multipart above ``s3_multipart_threshold_mb``, bounded memory) and then
checked: the SHA-256 that S3 reports must match the manifest. For a single PUT that is the base64 of the
file's digest; for a multipart upload S3 keeps a COMPOSITE checksum (SHA-256 of the parts' SHA-256s,
``<base64>-<parts>`` on AWS), which is recomputed here from the local file with the transfer manager's
part size, together with the full digest compared to the manifest. ``manifest.json`` goes last, written
with ``IfNoneMatch="*"`` so that a package is completed exactly once (412 means another writer was first).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit, urlunsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from s3transfer.utils import ChunksizeAdjuster

from schemas.package import MANIFEST_NAME, Manifest, PackageFile
from storage.base import (
    HASH_CHUNK,
    REVIEWS_DIR,
    BaseSink,
    FileCallback,
    LockMode,
    ProgressCallback,
    PutResult,
    SinkError,
    StoredObject,
    check_manifest,
    check_package_id,
    check_package_path,
    check_record_key,
    check_sources,
)

if TYPE_CHECKING:
    from storage.config import S3Config

log = logging.getLogger(__name__)

MIB = 1024 * 1024
MAX_CONCURRENCY = 2  # parts in flight per file; with ``upload_file`` each part is read lazily from disk
_NOT_FOUND = {"404", "NoSuchKey", "NotFound", "NoSuchVersion"}
_PRECONDITION_FAILED = {"412", "PreconditionFailed"}
_CONDITIONAL_UNSUPPORTED = {"501", "NotImplemented"}


# -- configuration ---------------------------------------------------------------------------------


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → ``("bucket", "some/prefix")``."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise SinkError(f"ikke en S3-bøtte-URL (s3://bøtte/prefiks): {redact_url(url)!r}")
    if "@" in parts.netloc or parts.query or parts.fragment:
        raise SinkError(
            "en S3-bøtte-URL inneholder bare s3://bøtte/prefiks; påloggingsopplysninger hører hjemme i "
            "SOMEARKIV_S3_*-innstillingene"
        )
    return parts.netloc, parts.path.strip("/")


def redact_url(url: str) -> str:
    """The URL without any ``user:password@`` part, for logs and reprs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def make_s3_client(config: S3Config) -> Any:
    """A boto3 S3 client; unset values fall back to boto3's standard chain."""
    secret = config.secret_access_key.get_secret_value() if config.secret_access_key else None
    session = boto3.session.Session(
        aws_access_key_id=config.access_key_id or None,
        aws_secret_access_key=secret or None,
        region_name=config.region or None,
    )
    client_config = Config(
        s3={"addressing_style": config.addressing_style},
        retries={"mode": "standard", "max_attempts": 5},
        signature_version="s3v4",
    )
    return session.client("s3", endpoint_url=config.endpoint_url or None, config=client_config)


def transfer_config(multipart_threshold_bytes: int) -> TransferConfig:
    """Multipart above the threshold, parts of the same size, a few parts in flight."""
    return TransferConfig(
        multipart_threshold=multipart_threshold_bytes,
        multipart_chunksize=max(multipart_threshold_bytes, 5 * MIB),
        max_concurrency=MAX_CONCURRENCY,
        preferred_transfer_client="classic",
    )


def create_lock_bucket(
    bucket: str,
    config: S3Config | None = None,
    *,
    client: Any = None,
    default_retention_days: int | None = None,
    default_retention_mode: str = "COMPLIANCE",
) -> None:
    """Create ``bucket`` with Object Lock enabled (which also turns versioning on).

    Without ``default_retention_days`` new objects are not locked until approval locks them explicitly;
    with it, every new object gets the settings' lock mode for that many days. An existing bucket of
    yours is accepted if it has Object Lock enabled.
    """
    if client is None:
        if config is None:
            raise ValueError("create_lock_bucket needs an S3Config or a client")
        client = make_s3_client(config)
    region = client.meta.region_name
    kwargs: dict[str, Any] = {"Bucket": bucket, "ObjectLockEnabledForBucket": True}
    if region and region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        client.create_bucket(**kwargs)
        log.info("created bucket %s with Object Lock", bucket)
    except ClientError as exc:
        if _error_code(exc) != "BucketAlreadyOwnedByYou":
            raise SinkError(f"bøtte {bucket} kunne ikke opprettes: {_describe(exc)}") from exc
        if not bucket_has_object_lock(client, bucket):
            raise SinkError(
                f"bøtte {bucket} finnes allerede uten Object Lock og kan ikke brukes som låsbar bøtte"
            ) from exc
    if default_retention_days:
        client.put_object_lock_configuration(
            Bucket=bucket,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": default_retention_mode, "Days": default_retention_days}},
            },
        )


def bucket_has_object_lock(client: Any, bucket: str) -> bool:
    try:
        config = client.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    except ClientError as exc:
        if _error_code(exc) == "ObjectLockConfigurationNotFoundError":
            return False
        raise SinkError(f"bøtte {bucket}: Object Lock-oppsettet kan ikke leses: {_describe(exc)}") from exc
    return config.get("ObjectLockEnabled") == "Enabled"


# -- checksums -------------------------------------------------------------------------------------


def b64_of_hex(hex_digest: str) -> str:
    """S3's checksum notation: base64 of the raw digest."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


def composite_sha256(path: Path, part_size: int) -> tuple[str, str, int]:
    """Full hex SHA-256, S3 COMPOSITE SHA-256 (base64, without ``-N``) and part count, in one pass."""
    full = hashlib.sha256()
    part_digests: list[bytes] = []
    with path.open("rb") as handle:
        while True:
            part = hashlib.sha256()
            remaining = part_size
            while remaining and (block := handle.read(min(HASH_CHUNK, remaining))):
                part.update(block)
                full.update(block)
                remaining -= len(block)
            if remaining == part_size:
                break
            part_digests.append(part.digest())
    composite = base64.b64encode(hashlib.sha256(b"".join(part_digests)).digest()).decode("ascii")
    return full.hexdigest(), composite, len(part_digests)


# -- errors ----------------------------------------------------------------------------------------


def _error_code(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return f"{_error_code(exc)}: {exc.response.get('Error', {}).get('Message', '')}".rstrip(": ")
    if isinstance(exc, NoCredentialsError):
        return (
            "ingen S3-påloggingsopplysninger (sett SOMEARKIV_S3_ACCESS_KEY_ID/SOMEARKIV_S3_SECRET_ACCESS_KEY "
            "eller bruk en AWS-profil)"
        )
    return str(exc)


@contextmanager
def _s3_errors(what: str) -> Iterator[None]:
    """Turn boto errors into a SinkError that says what was being done (never with credentials)."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise SinkError(f"{what}: {_describe(exc)}") from exc


# -- the sink --------------------------------------------------------------------------------------


class S3Sink(BaseSink):
    """An S3 bucket, optionally under a key prefix."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: Any,
        multipart_threshold_bytes: int = 16 * MIB,
        endpoint_url: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.endpoint_url = redact_url(endpoint_url) if endpoint_url else None
        self.transfer_config = transfer_config(multipart_threshold_bytes)
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self._root = f"{self.prefix}/" if self.prefix else ""

    @classmethod
    def from_config(cls, url: str, config: S3Config) -> S3Sink:
        bucket, prefix = parse_s3_url(url)
        return cls(
            bucket,
            prefix,
            client=make_s3_client(config),
            multipart_threshold_bytes=config.multipart_threshold_bytes,
            endpoint_url=config.endpoint_url,
        )

    def __repr__(self) -> str:
        endpoint = f", endpoint={self.endpoint_url!r}" if self.endpoint_url else ""
        return f"S3Sink(url={self.url!r}{endpoint})"

    # -- keys --------------------------------------------------------------------------------------

    def _key(self, package_id: str, path: str) -> str:
        check_package_id(package_id)
        if path != MANIFEST_NAME:
            check_package_path(package_id, path)
        return f"{self._root}{package_id}/{path}"

    def _review_key(self, package_id: str) -> str:
        check_package_id(package_id)
        return f"{self._root}{REVIEWS_DIR}/{package_id}.json"

    def package_url(self, package_id: str) -> str:
        return f"s3://{self.bucket}/{self._root}{package_id}"

    def _head(self, key: str, *, checksum: bool = False) -> dict[str, Any] | None:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if checksum:
            kwargs["ChecksumMode"] = "ENABLED"
        try:
            return self.client.head_object(**kwargs)
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND:
                return None
            raise

    # -- writing -----------------------------------------------------------------------------------

    def put_package(
        self,
        package_dir: Path,
        manifest: Manifest,
        *,
        on_file: FileCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> PutResult:
        package_id = manifest.package_id
        check_manifest(manifest)
        result = PutResult(package_id=package_id, url=self.package_url(package_id))
        manifest_key = self._key(package_id, MANIFEST_NAME)
        with _s3_errors(f"pakke {package_id}: kontroll av {self.url}"):
            if self._head(manifest_key) is not None:
                log.info("package %s already complete in %s; nothing written", package_id, self.url)
                result.skipped = True
                return result
            self._abort_stale_uploads(package_id)
        check_sources(package_dir, manifest)
        for entry in manifest.files:
            source = package_dir / entry.path
            key = self._key(package_id, entry.path)
            with _s3_errors(f"pakke {package_id}: fil {entry.path}"):
                if self._mismatch(key, source, entry) is None:
                    log.debug("package %s: %s already stored, kept", package_id, entry.path)
                else:
                    self._upload(source, key, package_id, entry, on_progress)
                    problem = self._mismatch(key, source, entry)
                    if problem is not None:
                        raise SinkError(f"pakke {package_id}: fil {entry.path}: {problem}")
                    result.written.append(entry.path)
            if on_file is not None:
                on_file(entry)
        if not self._put_manifest(manifest_key, manifest):
            log.info("package %s was completed concurrently in %s", package_id, self.url)
            result.skipped = True
            return result
        result.written.append(MANIFEST_NAME)
        log.info("package %s stored in %s (%d objects written)", package_id, self.url, len(result.written))
        return result

    def _abort_stale_uploads(self, package_id: str) -> None:
        """Multipart uploads left by a killed run are invisible but cost storage: abort them."""
        prefix = f"{self._root}{package_id}/"
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for upload in page.get("Uploads", []):
                log.info("package %s: aborting stale multipart upload of %s", package_id, upload["Key"])
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])

    def _upload(
        self, source: Path, key: str, package_id: str, entry: PackageFile, on_progress: ProgressCallback | None
    ) -> None:
        callback = None
        if on_progress is not None:
            lock = threading.Lock()
            done = 0

            def callback(amount: int) -> None:  # called from the transfer threads
                nonlocal done
                with lock:
                    done += amount
                    on_progress(entry.path, done)

        try:
            self.client.upload_file(
                str(source),
                self.bucket,
                key,
                ExtraArgs={
                    "ChecksumAlgorithm": "SHA256",
                    "ContentType": entry.mime_type,
                    "Metadata": {"sha256": entry.sha256},
                },
                Config=self.transfer_config,
                Callback=callback,
            )
        except FileNotFoundError as exc:
            raise SinkError(f"pakke {package_id}: fil {entry.path} forsvant under opplastingen") from exc
        except OSError as exc:
            raise SinkError(f"pakke {package_id}: fil {entry.path} kunne ikke leses: {exc}") from exc

    def _mismatch(self, key: str, source: Path, entry: PackageFile) -> str | None:
        """None if the stored object is ``entry`` (checked by S3's SHA-256), else what is wrong."""
        head = self._head(key, checksum=True)
        if head is None:
            return "ikke lagret"
        if head["ContentLength"] != entry.size:
            return f"lagret størrelse {head['ContentLength']}, manifestet sier {entry.size}"
        reported = head.get("ChecksumSHA256")
        if not reported:
            return "endepunktet oppga ingen SHA-256-sjekksum"
        value, _, parts = reported.partition("-")
        expected = b64_of_hex(entry.sha256)
        if value == expected:  # a single PUT, or a FULL_OBJECT multipart checksum
            return None
        if head.get("ChecksumType") == "FULL_OBJECT" or (entry.size < self.transfer_config.multipart_threshold):
            return f"S3 oppgir SHA-256 {reported}, manifestet sier {entry.sha256} ({expected})"
        part_size = ChunksizeAdjuster().adjust_chunksize(self.transfer_config.multipart_chunksize, entry.size)
        full_hex, composite, count = composite_sha256(source, part_size)
        if full_hex != entry.sha256:
            return f"den lokale filen har SHA-256 {full_hex}, manifestet sier {entry.sha256}"
        if value != composite or (parts and int(parts) != count):
            return f"S3 oppgir sammensatt SHA-256 {reported}, forventet {composite}-{count}"
        return None

    def _put_manifest(self, key: str, manifest: Manifest) -> bool:
        """Write ``manifest.json`` only if absent; False if another writer completed the package first."""
        body = manifest.to_bytes()
        put = {"Bucket": self.bucket, "Key": key, "Body": body, "ChecksumAlgorithm": "SHA256"}
        put["ContentType"] = "application/json"
        what = f"pakke {manifest.package_id}: fil {MANIFEST_NAME}"
        try:
            response = self.client.put_object(**put, IfNoneMatch="*")
        except ClientError as exc:
            code = _error_code(exc)
            if code in _PRECONDITION_FAILED:
                return False
            if code == "ConditionalRequestConflict":  # a concurrent conditional write of the same key
                with _s3_errors(what):
                    if self._head(key) is not None:
                        return False
                raise SinkError(f"{what}: en annen skriving pågår samtidig, prøv igjen senere") from exc
            if code not in _CONDITIONAL_UNSUPPORTED:
                raise SinkError(f"{what}: {_describe(exc)}") from exc
            log.warning("endpoint does not support conditional writes; writing %s unconditionally", key)
            with _s3_errors(what):
                response = self.client.put_object(**put)
        except BotoCoreError as exc:
            raise SinkError(f"{what}: {_describe(exc)}") from exc
        expected = b64_of_hex(hashlib.sha256(body).hexdigest())
        if response.get("ChecksumSHA256") != expected:
            raise SinkError(f"{what}: S3 oppgir SHA-256 {response.get('ChecksumSHA256')}, forventet {expected}")
        return True

    def write_review(self, package_id: str, data: bytes) -> str:
        key = self._review_key(package_id)
        with _s3_errors(f"pakke {package_id}: vurderingsposten"):
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ChecksumAlgorithm="SHA256", ContentType="application/json"
            )
        return f"s3://{self.bucket}/{key}"

    def write_record(self, folder: str, name: str, data: bytes) -> str:
        check_record_key(folder, name)
        key = f"{self._root}{folder}/{name}"
        with _s3_errors(f"sidepost {folder}/{name}"):
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ChecksumAlgorithm="SHA256")
        return f"s3://{self.bucket}/{key}"

    def read_record(self, folder: str, name: str) -> bytes | None:
        check_record_key(folder, name)
        key = f"{self._root}{folder}/{name}"
        try:
            return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND:
                return None
            raise SinkError(f"sidepost {folder}/{name} kan ikke leses: {_describe(exc)}") from exc

    def lock_package(self, package_id: str, *, mode: LockMode, retain_until: datetime) -> list[str]:
        """Put Object Lock retention on the current version of every package object and the review record."""
        manifest = self.read_manifest(package_id)
        targets = [(entry.path, self._key(package_id, entry.path)) for entry in manifest.files]
        targets.append((MANIFEST_NAME, self._key(package_id, MANIFEST_NAME)))
        review_key = self._review_key(package_id)
        with _s3_errors(f"pakke {package_id}: vurderingsposten"):
            if self._head(review_key) is not None:
                targets.append((f"../{REVIEWS_DIR}/{package_id}.json", review_key))
        locked: list[str] = []
        for path, key in targets:
            with _s3_errors(f"pakke {package_id}: låsing av fil {path}"):
                head = self._head(key)
                if head is None:
                    raise SinkError(f"pakke {package_id}: fil {path} mangler og kan ikke låses")
                version = head.get("VersionId")
                if not version or version == "null":
                    raise SinkError(f"bøtte {self.bucket} har ikke versjonering: Object Lock er ikke slått på")
                try:
                    self.client.put_object_retention(
                        Bucket=self.bucket,
                        Key=key,
                        VersionId=version,
                        Retention={"Mode": mode, "RetainUntilDate": retain_until},
                    )
                except ClientError as exc:
                    if _error_code(exc) == "InvalidRequest" and "ObjectLock" in str(exc):
                        raise SinkError(
                            f"bøtte {self.bucket} har ikke Object Lock; opprett den med Object Lock slått på "
                            "(storage.s3.create_lock_bucket)"
                        ) from exc
                    raise
            locked.append(path)
        log.info("package %s locked (%s until %s) in %s", package_id, mode, retain_until.isoformat(), self.url)
        return locked

    # -- reading -----------------------------------------------------------------------------------

    def list_packages(self) -> list[str]:
        ids: set[str] = set()
        with _s3_errors(f"opplisting av {self.url}"):
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._root):
                for item in page.get("Contents", []):
                    package_id, _, rest = item["Key"][len(self._root) :].partition("/")
                    if rest == MANIFEST_NAME and not package_id.startswith(("_", ".")):
                        ids.add(package_id)
        return sorted(ids)

    def has_package(self, package_id: str) -> bool:
        with _s3_errors(f"pakke {package_id}: kontroll av {self.url}"):
            return self._head(self._key(package_id, MANIFEST_NAME)) is not None

    def open_file(self, package_id: str, path: str) -> AbstractContextManager[BinaryIO]:
        key = self._key(package_id, path)
        with _s3_errors(f"pakke {package_id}: fil {path} kan ikke leses"):
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        return closing(body)

    def iter_objects(self, package_id: str) -> Iterator[StoredObject]:
        prefix = f"{self._root}{package_id}/"
        check_package_id(package_id)
        with _s3_errors(f"pakke {package_id}: opplisting av {self.url}"):
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield StoredObject(path=item["Key"][len(prefix) :], size=item["Size"])

    def read_review(self, package_id: str) -> bytes | None:
        key = self._review_key(package_id)
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND:
                return None
            raise SinkError(f"pakke {package_id}: vurderingsposten kan ikke leses: {_describe(exc)}") from exc
