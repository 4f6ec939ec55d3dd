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
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast
from urllib.parse import urlsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from s3transfer.utils import ChunksizeAdjuster

from schemas.package import MANIFEST_NAME, Manifest, PackageFile
from storage.base import (
    HASH_CHUNK,
    BaseSink,
    LockMode,
    ObjectExistsError,
    ObjectVersion,
    ProgressCallback,
    SinkError,
    StoredObject,
    is_package_id_of,
    sha256_stream,
)
from storage.config import redact_url, scrub_userinfo, strip_userinfo

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
        retries={"mode": "standard", "total_max_attempts": config.max_attempts},
        connect_timeout=config.connect_timeout_s,
        read_timeout=config.read_timeout_s,
        signature_version="s3v4",
    )
    endpoint = strip_userinfo(config.endpoint_url) if config.endpoint_url else None
    if endpoint != config.endpoint_url:
        log.warning("S3 endpoint %s: user:password in the URL is ignored", config.redacted_endpoint)
    return session.client("s3", endpoint_url=endpoint, config=client_config)


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
    except (BotoCoreError, ValueError) as exc:  # unreachable endpoint, invalid bucket name
        raise SinkError(f"bøtte {bucket} kunne ikke opprettes: {_describe(exc)}") from exc
    if default_retention_days:
        _put_default_retention(client, bucket, default_retention_mode, default_retention_days)


def _put_default_retention(client: Any, bucket: str, mode: str, days: int) -> None:
    with _s3_errors(f"bøtte {bucket}: standard låseperiode"):
        client.put_object_lock_configuration(
            Bucket=bucket,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}},
            },
        )


def bucket_has_object_lock(client: Any, bucket: str) -> bool:
    try:
        config = client.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    except ClientError as exc:
        if _error_code(exc) == "ObjectLockConfigurationNotFoundError":
            return False
        raise SinkError(f"bøtte {bucket}: Object Lock-oppsettet kan ikke leses: {_describe(exc)}") from exc
    except BotoCoreError as exc:
        raise SinkError(f"bøtte {bucket}: Object Lock-oppsettet kan ikke leses: {_describe(exc)}") from exc
    return bool(config.get("ObjectLockEnabled") == "Enabled")


# -- checksums -------------------------------------------------------------------------------------


def b64_of_hex(hex_digest: str) -> str:
    """S3's checksum notation: base64 of the raw digest."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


@dataclass(frozen=True)
class LocalDigests:
    """What the stored object must show, computed from the local file before it is sent."""

    sha256: str  # hex, of the whole file
    etag: str  # the MD5 ETag S3 computes from the bytes it received: md5 hex, or md5-of-part-md5s + "-N"
    composite: str | None  # COMPOSITE SHA-256 (base64, without "-N") of a multipart upload, else None
    parts: int  # 0 for a single PUT


def local_digests(path: Path, part_size: int | None) -> LocalDigests:
    """One pass over ``path``: SHA-256, the expected ETag and (with ``part_size``) the composite SHA-256."""
    full = hashlib.sha256()
    whole_md5 = hashlib.md5(usedforsecurity=False)
    part_sha: list[bytes] = []
    part_md5: list[bytes] = []
    chunk = part_size or (1 << 62)
    with path.open("rb") as handle:
        while True:
            sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
            remaining = chunk
            while remaining and (block := handle.read(min(HASH_CHUNK, remaining))):
                for digest in (sha, md5, full, whole_md5):
                    digest.update(block)
                remaining -= len(block)
            if remaining == chunk:
                break
            part_sha.append(sha.digest())
            part_md5.append(md5.digest())
    if part_size is None:
        return LocalDigests(full.hexdigest(), whole_md5.hexdigest(), None, 0)
    composite = base64.b64encode(hashlib.sha256(b"".join(part_sha)).digest()).decode("ascii")
    etag = f"{hashlib.md5(b''.join(part_md5), usedforsecurity=False).hexdigest()}-{len(part_md5)}"
    return LocalDigests(full.hexdigest(), etag, composite, len(part_sha))


def composite_sha256(path: Path, part_size: int) -> tuple[str, str, int]:
    """Full hex SHA-256, S3 COMPOSITE SHA-256 (base64, without ``-N``) and part count, in one pass."""
    digests = local_digests(path, part_size)
    return digests.sha256, digests.composite or "", digests.parts


# -- errors ----------------------------------------------------------------------------------------


def _error_code(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        message = f"{_error_code(exc)}: {exc.response.get('Error', {}).get('Message', '')}".rstrip(": ")
        return scrub_userinfo(message)
    if isinstance(exc, NoCredentialsError):
        return (
            "ingen S3-påloggingsopplysninger (sett SOMEARKIV_S3_ACCESS_KEY_ID/SOMEARKIV_S3_SECRET_ACCESS_KEY "
            "eller bruk en AWS-profil)"
        )
    return scrub_userinfo(str(exc))


@contextmanager
def _s3_errors(what: str) -> Iterator[None]:
    """Turn boto errors into a SinkError that says what was being done (never with credentials)."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise SinkError(f"{what}: {_describe(exc)}") from exc


# -- streams --------------------------------------------------------------------------------------


class _GuardedBody:
    """An S3 response body whose read errors (truncated object, dropped connection) raise SinkError."""

    def __init__(self, body: Any, what: str) -> None:
        self._body = body
        self._what = what

    def read(self, size: int | None = -1) -> bytes:
        try:
            return bytes(self._body.read(None if size is None or size < 0 else size))
        except (BotoCoreError, ClientError, OSError, ValueError) as exc:
            raise SinkError(f"{self._what}: lesingen brøt av: {_describe(exc)}") from exc
        except Exception as exc:  # urllib3's ProtocolError and friends are not OSErrors
            raise SinkError(f"{self._what}: lesingen brøt av: {type(exc).__name__}: {_describe(exc)}") from exc

    def close(self) -> None:
        with suppress(Exception):
            self._body.close()

    def __enter__(self) -> _GuardedBody:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _ProgressFile:
    """A file handle that reports how far it has been read (progress of a single PUT)."""

    def __init__(self, handle: BinaryIO, report: Callable[[int], None]) -> None:
        self._handle = handle
        self._report = report

    def read(self, size: int = -1) -> bytes:
        block = self._handle.read(size)
        self._report(self._handle.tell())
        return block

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()


def _content_type(rel: str) -> str:
    if rel.endswith(".tsr"):
        return "application/timestamp-reply"
    return "application/json" if rel.endswith(".json") else "application/octet-stream"


# -- the sink --------------------------------------------------------------------------------------


class S3Sink(BaseSink):
    """An S3 bucket, optionally under a key prefix."""

    worm = True

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        client: Any,
        multipart_threshold_bytes: int = 16 * MIB,
        endpoint_url: str | None = None,
        upload_check: str = "etag",
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.endpoint_url = redact_url(endpoint_url) if endpoint_url else None
        self.transfer_config = transfer_config(multipart_threshold_bytes)
        self.upload_check = upload_check
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
            upload_check=config.upload_check,
        )

    def __repr__(self) -> str:
        endpoint = f", endpoint={self.endpoint_url!r}" if self.endpoint_url else ""
        return f"S3Sink(url={self.url!r}{endpoint})"

    # -- keys --------------------------------------------------------------------------------------

    def _key(self, rel: str) -> str:
        return f"{self._root}{rel}"

    def _url_of(self, rel: str) -> str:
        return f"s3://{self.bucket}/{self._key(rel)}"

    def _head(self, key: str, *, version: str | None = None, checksum: bool = False) -> dict[str, Any] | None:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version:
            kwargs["VersionId"] = version
        if checksum:
            kwargs["ChecksumMode"] = "ENABLED"
        try:
            return cast(dict[str, Any], self.client.head_object(**kwargs))
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND or _error_code(exc) == "405":  # 405: a delete marker
                return None
            raise

    def _discard(self, key: str, version: str | None) -> None:
        """Remove a version that failed its check, so no corrupt object is left behind (best effort)."""
        if version and version != "null":
            with suppress(ClientError, BotoCoreError):
                self.client.delete_object(Bucket=self.bucket, Key=key, VersionId=version)

    # -- put primitives ----------------------------------------------------------------------------

    def _manifest_stored(self, package_id: str) -> bool:
        with _s3_errors(f"pakke {package_id}: kontroll av {self.url}"):
            return self._head(self._key(self._rel(package_id, MANIFEST_NAME))) is not None

    def _prepare_package(self, package_id: str) -> None:
        with _s3_errors(f"pakke {package_id}: kontroll av {self.url}"):
            self._abort_stale_uploads(package_id)

    def _part_size(self, size: int) -> int | None:
        if size < self.transfer_config.multipart_threshold:
            return None
        return int(ChunksizeAdjuster().adjust_chunksize(self.transfer_config.multipart_chunksize, size))

    def _digests(self, source: Path, package_id: str, entry: PackageFile) -> LocalDigests:
        try:
            return local_digests(source, self._part_size(entry.size))
        except OSError as exc:
            raise SinkError(f"pakke {package_id}: fil {entry.path} kunne ikke leses: {exc.strerror or exc}") from exc

    def _stored_matches(self, package_id: str, source: Path, entry: PackageFile) -> bool:
        key = self._key(self._rel(package_id, entry.path))
        with _s3_errors(f"pakke {package_id}: fil {entry.path}"):
            head = self._head(key, checksum=True)
            if head is None:
                return False
            digests = self._digests(source, package_id, entry)
            return digests.sha256 == entry.sha256 and self._mismatch(key, head, digests, entry) is None

    def _store_file(
        self, source: Path, package_id: str, entry: PackageFile, on_progress: ProgressCallback | None
    ) -> None:
        """Hash the local file, send it with that SHA-256 (and MD5), then check what S3 received."""
        key = self._key(self._rel(package_id, entry.path))
        what = f"pakke {package_id}: fil {entry.path}"
        digests = self._digests(source, package_id, entry)
        if digests.sha256 != entry.sha256:
            raise SinkError(f"{what}: den lokale filen har SHA-256 {digests.sha256}, manifestet sier {entry.sha256}")
        with _s3_errors(what):
            self._upload(source, key, what, entry, digests, on_progress)
            head = self._head(key, checksum=True)
            problem = self._mismatch(key, head, digests, entry)
        if problem is not None:
            self._discard(key, head.get("VersionId") if head else None)
            raise SinkError(f"{what}: {problem}")

    def _abort_stale_uploads(self, package_id: str) -> None:
        """Multipart uploads left by a killed run are invisible but cost storage: abort them."""
        prefix = self._key(f"{package_id}/")
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for upload in page.get("Uploads", []):
                log.info("package %s: aborting stale multipart upload of %s", package_id, upload["Key"])
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])

    def _upload(
        self,
        source: Path,
        key: str,
        what: str,
        entry: PackageFile,
        digests: LocalDigests,
        on_progress: ProgressCallback | None,
    ) -> None:
        try:
            if digests.parts == 0:
                self._put_single(source, key, entry, digests, on_progress)
            else:
                self._put_multipart(source, key, entry, on_progress)
        except FileNotFoundError as exc:
            raise SinkError(f"{what} forsvant under opplastingen") from exc
        except OSError as exc:
            raise SinkError(f"{what} kunne ikke leses: {exc.strerror or exc}") from exc

    def _put_single(
        self, source: Path, key: str, entry: PackageFile, digests: LocalDigests, on_progress: ProgressCallback | None
    ) -> None:
        """One PUT carrying the locally computed SHA-256 and MD5: a conforming server refuses altered bytes."""
        md5_b64 = base64.b64encode(bytes.fromhex(digests.etag)).decode("ascii")
        with source.open("rb") as handle:
            body: Any = handle
            if on_progress is not None:
                body = _ProgressFile(handle, lambda done: on_progress(entry.path, done))
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentLength=entry.size,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=b64_of_hex(digests.sha256),
                ContentMD5=md5_b64,
                ContentType=entry.mime_type,
                Metadata={"sha256": entry.sha256},
            )

    def _put_multipart(self, source: Path, key: str, entry: PackageFile, on_progress: ProgressCallback | None) -> None:
        callback = None
        if on_progress is not None:
            lock = threading.Lock()
            done = 0

            def callback(amount: int) -> None:  # called from the transfer threads
                nonlocal done
                with lock:
                    done += amount
                    on_progress(entry.path, done)

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

    def _mismatch(self, key: str, head: dict[str, Any] | None, digests: LocalDigests, entry: PackageFile) -> str | None:
        """None if the stored object is exactly the local file, else what is wrong.

        Never trusts only a checksum the server echoes back: the ETag (an MD5 the server computes from the
        bytes it received) must equal the one computed locally before sending, or with ``read-back`` the
        stored object is downloaded and re-hashed.
        """
        if head is None:
            return "ikke lagret"
        if head["ContentLength"] != entry.size:
            return f"lagret størrelse {head['ContentLength']}, manifestet sier {entry.size}"
        if self.upload_check == "read-back":
            try:
                size, digest = _hash_version(self.client, self.bucket, key, head.get("VersionId"))
            except SinkError as exc:  # botocore's own response check may already refuse the stored bytes
                return f"S3 lagret andre byte enn de som ble sendt ({exc})"
            if (size, digest) != (entry.size, entry.sha256):
                return f"S3 lagret andre byte enn de som ble sendt (SHA-256 {digest}, sendt {entry.sha256})"
        else:
            etag = str(head.get("ETag", "")).strip('"')
            if etag != digests.etag:
                return f"S3 mottok andre byte enn de som ble sendt (ETag {etag}, lokalt beregnet {digests.etag})"
        reported = head.get("ChecksumSHA256")
        if not reported:
            return "endepunktet oppga ingen SHA-256-sjekksum"
        value, _, parts = reported.partition("-")
        if digests.parts == 0 or head.get("ChecksumType") == "FULL_OBJECT":
            expected = b64_of_hex(entry.sha256)
            return None if value == expected else f"S3 oppgir SHA-256 {reported}, manifestet sier {entry.sha256}"
        if value != digests.composite or (parts and int(parts) != digests.parts):
            return f"S3 oppgir sammensatt SHA-256 {reported}, forventet {digests.composite}-{digests.parts}"
        return None

    def _create_manifest(self, manifest: Manifest) -> bool:
        """Write ``manifest.json`` with ``IfNoneMatch="*"``; False if another writer completed the package first."""
        try:
            self._put_bytes(
                self._rel(manifest.package_id, MANIFEST_NAME), manifest.to_bytes(), exclusive=True, lock=None
            )
        except ObjectExistsError:
            return False
        return True

    # -- key primitives ----------------------------------------------------------------------------

    def _put_bytes(
        self, rel: str, data: bytes, *, exclusive: bool, lock: tuple[LockMode, datetime] | None
    ) -> str | None:
        key = self._key(rel)
        what = self._url_of(rel)
        md5 = hashlib.md5(data, usedforsecurity=False)
        put: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "Body": data,
            "ChecksumAlgorithm": "SHA256",
            "ChecksumSHA256": b64_of_hex(hashlib.sha256(data).hexdigest()),
            "ContentMD5": base64.b64encode(md5.digest()).decode("ascii"),
            "ContentType": _content_type(rel),
        }
        if lock is not None:
            put["ObjectLockMode"], put["ObjectLockRetainUntilDate"] = lock
        try:
            response = self.client.put_object(**put, IfNoneMatch="*") if exclusive else self.client.put_object(**put)
        except ClientError as exc:
            code = _error_code(exc)
            if code in _PRECONDITION_FAILED:
                raise ObjectExistsError(f"{what} finnes allerede") from exc
            if code == "ConditionalRequestConflict":  # a concurrent conditional write of the same key
                with _s3_errors(what):
                    if self._head(key) is not None:
                        raise ObjectExistsError(f"{what} finnes allerede") from exc
                raise SinkError(f"{what}: en annen skriving pågår samtidig, prøv igjen senere") from exc
            if not exclusive or code not in _CONDITIONAL_UNSUPPORTED:
                raise SinkError(f"{what}: {_describe(exc)}") from exc
            log.warning("endpoint does not support conditional writes; writing %s unconditionally", key)
            with _s3_errors(what):
                response = self.client.put_object(**put)
        except BotoCoreError as exc:
            raise SinkError(f"{what}: {_describe(exc)}") from exc
        etag = str(response.get("ETag", "")).strip('"')
        version = response.get("VersionId")
        if etag != md5.hexdigest():
            self._discard(key, version)
            raise SinkError(
                f"{what}: S3 mottok andre byte enn de som ble sendt (ETag {etag}, lokalt {md5.hexdigest()})"
            )
        return str(version) if version and version != "null" else None

    def _open(self, rel: str, version: str | None) -> AbstractContextManager[BinaryIO]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(rel)}
        if version:
            kwargs["VersionId"] = version
        try:
            body = self.client.get_object(**kwargs)["Body"]
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND or _error_code(exc) == "405":
                raise FileNotFoundError(rel) from exc
            raise SinkError(_describe(exc)) from exc
        except BotoCoreError as exc:
            raise SinkError(_describe(exc)) from exc
        return cast(AbstractContextManager[BinaryIO], _GuardedBody(body, self._url_of(rel)))

    def _versions(self, rel: str) -> list[ObjectVersion]:
        return self._version_listing(self._key(rel)).get(self._key(rel), [])

    def _history(self, folder: str) -> dict[str, list[ObjectVersion]]:
        prefix = self._key(f"{folder}/")
        return {key[len(prefix) :]: versions for key, versions in self._version_listing(prefix).items()}

    def _version_listing(self, prefix: str) -> dict[str, list[ObjectVersion]]:
        """Every key under ``prefix`` with its versions and delete markers, newest first."""
        found: dict[str, list[ObjectVersion]] = {}
        with _s3_errors(f"versjoner under s3://{self.bucket}/{prefix}"):
            paginator = self.client.get_paginator("list_object_versions")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Versions", []):
                    version = ObjectVersion(
                        item["VersionId"], item["Size"], item["IsLatest"], False, item["LastModified"]
                    )
                    found.setdefault(item["Key"], []).append(version)
                for item in page.get("DeleteMarkers", []):
                    version = ObjectVersion(item["VersionId"], 0, item["IsLatest"], True, item["LastModified"])
                    found.setdefault(item["Key"], []).append(version)
        return {key: _newest_first(versions) for key, versions in found.items()}

    def _list(self, folder: str) -> list[StoredObject]:
        prefix = self._key(f"{folder}/")
        found: list[StoredObject] = []
        with _s3_errors(f"opplisting av {self._url_of(folder)}"):
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                found += [StoredObject(item["Key"][len(prefix) :], item["Size"]) for item in page.get("Contents", [])]
        return sorted(found, key=lambda obj: obj.path)

    def _lock(self, rel: str, version: str | None, mode: LockMode, retain_until: datetime) -> None:
        what = f"låsing av {self._url_of(rel)}"
        if not version:
            raise SinkError(f"{what}: ingen objektversjon (bøtta har ikke versjonering og Object Lock)")
        try:
            self.client.put_object_retention(
                Bucket=self.bucket,
                Key=self._key(rel),
                VersionId=version,
                Retention={"Mode": mode, "RetainUntilDate": retain_until},
            )
        except ClientError as exc:
            if _error_code(exc) == "InvalidRequest" and "ObjectLock" in str(exc):
                raise SinkError(
                    f"bøtte {self.bucket} har ikke Object Lock; opprett den med Object Lock slått på "
                    "(somearkiv create-bucket)"
                ) from exc
            raise SinkError(f"{what}: {_describe(exc)}") from exc
        except BotoCoreError as exc:
            raise SinkError(f"{what}: {_describe(exc)}") from exc

    def _lock_info(self, rel: str, version: str | None) -> tuple[str, datetime | None] | None:
        with _s3_errors(f"låsestatus for {self._url_of(rel)}"):
            head = self._head(self._key(rel), version=version)
        if head is None or not head.get("ObjectLockMode"):
            return None
        return str(head["ObjectLockMode"]), head.get("ObjectLockRetainUntilDate")

    # -- location ----------------------------------------------------------------------------------

    def check_location(self) -> None:
        with _s3_errors(f"arkivbøtta {self.url}"):
            listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self._root, MaxKeys=1)
        if not listed.get("KeyCount") and not listed.get("Contents"):
            raise SinkError(f"arkivbøtta {self.url} er tom: ingen objekter under dette prefikset (feilskrevet?)")

    def require_lock_support(self) -> None:
        if not bucket_has_object_lock(self.client, self.bucket):
            raise SinkError(
                f"bøtte {self.bucket} har ikke Object Lock; godkjenning krever en låsbar bøtte "
                "(opprett den med somearkiv create-bucket)"
            )

    def latest_package_for(self, thread_key: str) -> Manifest | None:
        """As :meth:`BaseSink.latest_package_for`, listing only ``<prefix>/<thread_key>-`` (a package id is
        ``<thread_key>-<hash>``): one thread's packages, not the whole bucket once per exported thread."""
        ids: set[str] = set()
        with _s3_errors(f"opplisting av {self.url}"):
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self._root}{thread_key}-"):
                for item in page.get("Contents", []):
                    package_id, _, rest = item["Key"][len(self._root) :].partition("/")
                    if rest == MANIFEST_NAME and is_package_id_of(package_id, thread_key):
                        ids.add(package_id)
        manifests = [m for package_id in sorted(ids) if (m := self.read_manifest(package_id)).thread_key == thread_key]
        return max(manifests, key=lambda m: (m.created_at, m.package_id), default=None)

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


def _hash_version(client: Any, bucket: str, key: str, version: str | None) -> tuple[int, str]:
    """Download one object version and hash it (``read-back`` upload check)."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version and version != "null":
        kwargs["VersionId"] = version
    body = _GuardedBody(client.get_object(**kwargs)["Body"], f"s3://{bucket}/{key}")
    with body:
        return sha256_stream(cast(BinaryIO, body))


def _newest_first(found: list[ObjectVersion]) -> list[ObjectVersion]:
    return sorted(found, key=lambda v: (v.is_latest, v.last_modified or datetime.min.replace(tzinfo=UTC)), reverse=True)
