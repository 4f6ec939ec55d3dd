"""The archive bucket interface shared by every sink (local folder, S3).

Layout in a bucket: ``<prefix>/<package_id>/<path>`` for each file of a package, with
``<prefix>/<package_id>/manifest.json`` written last (and its RFC 3161 token ``manifest.json.tsr`` beside it
when a time-stamping authority is configured). A package without its manifest is incomplete and invisible
to readers (listing, fixity, review, uttrekk). Outside the packages live the audit log (``_audit/``, see
:mod:`storage.audit`) and convenience copies of review records (``_reviews/<package_id>.json``).

Every read can name an object *version* (S3 version id; a local folder has one version, ``None``), so an
approval can pin exactly what it locked and later readers read exactly that.
"""

from __future__ import annotations

import hashlib
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.errors import StorageError
from schemas.package import MANIFEST_NAME, Manifest, PackageFile, safe_segment

log = logging.getLogger(__name__)

REVIEWS_DIR = "_reviews"
AUDIT_DIR = "_audit"
META_DIRS = (REVIEWS_DIR, AUDIT_DIR)
MANIFEST_TSR = "manifest.json.tsr"  # RFC 3161 token over manifest.json's bytes
SIDECARS = (MANIFEST_TSR,)  # package objects that are not in the manifest by design
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
MAX_PATH_BYTES = 700  # <prefix>/<package_id>/<path> stays under S3's 1024-byte keys
MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # a manifest lists files; 64 MiB is hundreds of thousands of them
MAX_META_BYTES = 4 * 1024 * 1024  # an audit event, token or review copy
MAX_TOKEN_BYTES = 64 * 1024
MAX_PACKAGE_ID = 255  # one file name in a folder; far below S3's 1024-byte keys
HASH_CHUNK = 1 << 20  # bytes read at a time when hashing or copying: memory stays bounded

LockMode = Literal["COMPLIANCE", "GOVERNANCE"]
FileCallback = Callable[[PackageFile], None]
"""Called after each package file is stored and verified (progress reporting)."""
ProgressCallback = Callable[[str, int], None]
"""Called with (path, bytes transferred so far) while a file is being stored."""


class Stamper(Protocol):
    """What a sink needs of :class:`storage.timestamp.Timestamper`."""

    def stamp(self, data: bytes) -> bytes: ...


class SinkError(StorageError):
    """A bucket operation failed; the message names the package and file."""


class ObjectExistsError(SinkError):
    """An exclusive (create-only) write found the object already there."""


@dataclass(frozen=True)
class StoredObject:
    """A file as it is in the bucket (what fixity compares against the manifest)."""

    path: str  # relative to the package root (or the meta folder)
    size: int


@dataclass(frozen=True)
class ObjectVersion:
    """One version of a key, newest first in listings; a local folder has exactly one (``version_id`` None)."""

    version_id: str | None
    size: int
    is_latest: bool
    deleted: bool = False  # an S3 delete marker
    last_modified: datetime | None = None


class LockedObject(BaseModel):
    """One object an approval locked: exactly this version, with this content."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(description="Path in the package (manifest.json and its .tsr included)")
    version_id: str | None = Field(description="S3 version id; None in a local folder (no versions)")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


@dataclass
class PutResult:
    package_id: str
    url: str  # where the package is, e.g. file:///.../pkg or s3://bucket/prefix/pkg
    written: list[str] = field(default_factory=list)  # paths uploaded in this call
    skipped: bool = False  # the complete package was already there


@runtime_checkable
class Sink(Protocol):
    """An archive bucket."""

    url: str
    worm: bool
    """Whether locking is enforced by the store (S3 Object Lock) rather than by file modes."""
    timestamper: Stamper | None
    """When set, every manifest stored gets an RFC 3161 token beside it (``manifest.json.tsr``)."""

    def put_package(
        self,
        package_dir: Path,
        manifest: Manifest,
        *,
        on_file: FileCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> PutResult:
        """Upload every manifest file from ``package_dir``, verify checksums, then ``manifest.json`` last.

        Idempotent: a package whose manifest is already in the bucket is skipped; an incomplete one
        (no manifest) is completed, re-using files already stored with the right checksum.
        """
        ...

    def check_location(self) -> None:
        """SinkError if the bucket location does not exist or holds nothing at all (a mistyped prefix)."""
        ...

    def list_packages(self) -> list[str]:
        """Ids of complete packages (those with a manifest), sorted."""
        ...

    def has_package(self, package_id: str) -> bool: ...

    def read_manifest(self, package_id: str, *, version: str | None = None) -> Manifest: ...

    def read_bytes(
        self, package_id: str, path: str, *, version: str | None = None, max_bytes: int | None = None
    ) -> bytes:
        """One stored file in memory; SinkError if it is larger than ``max_bytes``."""
        ...

    def open_file(self, package_id: str, path: str, *, version: str | None = None) -> AbstractContextManager[BinaryIO]:
        """A binary stream of one stored file (the given version, else the current one), bounded memory;
        read errors (a truncated object, a dropped connection) raise SinkError."""
        ...

    def iter_objects(self, package_id: str) -> Iterator[StoredObject]:
        """Every object stored under the package (manifest included), for fixity checks."""
        ...

    def versions(self, package_id: str, path: str) -> list[ObjectVersion]:
        """Every version of one package object, newest first (empty if it never existed)."""
        ...

    def package_history(self, package_id: str) -> dict[str, list[ObjectVersion]]:
        """Every object that ever existed under the package (deleted ones too) with its versions, in one
        listing; paths relative to the package."""
        ...

    def latest_package_for(self, thread_key: str) -> Manifest | None:
        """The newest complete package of a thread (by ``manifest.created_at``), or None."""
        ...

    def package_url(self, package_id: str) -> str: ...

    def put_sidecar(self, package_id: str, name: str, data: bytes) -> None:
        """Store a package sidecar (``manifest.json.tsr``) if absent; ObjectExistsError if it is there."""
        ...

    def read_meta(self, name: str, *, version: str | None = None) -> bytes | None:
        """An object outside the packages (``_audit/…``, ``_reviews/…``), or None if absent."""
        ...

    def write_meta(
        self, name: str, data: bytes, *, exclusive: bool = False, lock: tuple[LockMode, datetime] | None = None
    ) -> str | None:
        """Store a meta object (create-only if ``exclusive``: ObjectExistsError if present), locked if ``lock``;
        returns the version id written (None in a folder)."""
        ...

    def list_meta(self, folder: str) -> list[StoredObject]:
        """The objects in a meta folder (``_audit``, ``_reviews``), names relative to it, sorted."""
        ...

    def meta_versions(self, name: str) -> list[ObjectVersion]: ...

    def meta_history(self, folder: str) -> dict[str, list[ObjectVersion]]:
        """Every key that ever existed in a meta folder (deleted ones too), with its versions, newest first."""
        ...

    def meta_url(self, name: str) -> str: ...

    def read_review(self, package_id: str) -> bytes | None:
        """The convenience copy ``_reviews/<package_id>.json`` (never trusted alone), or None."""
        ...

    def write_review(self, package_id: str, data: bytes) -> str:
        """Store the convenience copy of a review record; returns its URL."""
        ...

    def meta_lock_info(self, name: str, version: str | None) -> tuple[str, datetime | None] | None: ...

    def require_lock_support(self) -> None:
        """SinkError unless locking can be applied here (S3: the bucket has Object Lock enabled)."""
        ...

    def lock_objects(
        self, package_id: str, objects: Sequence[LockedObject], *, mode: LockMode, retain_until: datetime
    ) -> None:
        """Lock exactly these versions (S3 Object Lock retention; read-only files in a folder)."""
        ...

    def lock_info(self, package_id: str, path: str, version: str | None) -> tuple[str, datetime | None] | None:
        """The retention (mode, until) on one version, or None if it is not locked."""
        ...

    def read_record(self, folder: str, name: str) -> bytes | None:
        """A side record outside the packages (``<prefix>/<folder>/<name>``, e.g. ``_deliveries/<id>.json``),
        or None. Side records are mutable and never part of a package's fixity or lock."""
        ...

    def write_record(self, folder: str, name: str, data: bytes) -> str:
        """Store (replace) a side record; returns its URL."""
        ...


def sha256_stream(stream: BinaryIO, chunk: int = HASH_CHUNK) -> tuple[int, str]:
    """Size and hex SHA-256 of a stream, read in bounded memory."""
    digest = hashlib.sha256()
    size = 0
    while block := stream.read(chunk):
        digest.update(block)
        size += len(block)
    return size, digest.hexdigest()


def check_package_path(package_id: str, path: str) -> None:
    """Refuse manifest paths that could escape the package folder or shadow the manifest."""
    pure = PurePosixPath(path)
    if (
        not path
        or "\\" in path
        or _CONTROL.search(path)
        or len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES
        or pure.is_absolute()
        or any(part in ("", ".", "..") or len(part.encode("utf-8", "surrogatepass")) > 255 for part in path.split("/"))
        or path == MANIFEST_NAME
        or path in SIDECARS
    ):
        raise SinkError(f"pakke {package_id}: usikker filsti {path!r} i manifestet")


def check_package_id(package_id: str) -> None:
    """A package id is one safe key segment that can't collide with ``_reviews``."""
    if len(package_id) > MAX_PACKAGE_ID or safe_segment(package_id) != package_id or package_id.startswith("_"):
        raise SinkError(f"pakke {package_id!r}: usikker pakke-id")


def check_record_key(folder: str, name: str) -> None:
    """A side record lives in a ``_``-prefixed folder of its own (not ``_reviews``) under one safe name."""
    if (
        not folder.startswith("_")
        or folder == REVIEWS_DIR
        or safe_segment(folder) != folder
        or safe_segment(name) != name
        or name.startswith(("_", "."))
    ):
        raise SinkError(f"usikker plassering for en sidepost: {folder!r}/{name!r}")


def check_manifest(manifest: Manifest) -> None:
    """Validate what the key layout relies on: a safe package id and safe, unique file paths."""
    package_id = manifest.package_id
    check_package_id(package_id)
    seen: set[str] = set()
    for entry in manifest.files:
        check_package_path(package_id, entry.path)
        if entry.path in seen:
            raise SinkError(f"pakke {package_id}: fil {entry.path!r} står to ganger i manifestet")
        seen.add(entry.path)


def check_sources(package_dir: Path, manifest: Manifest) -> None:
    """Every manifest file must be in ``package_dir`` with its manifest size before anything is uploaded."""
    root = package_dir.resolve()
    for entry in manifest.files:
        source = package_dir / entry.path
        if source.is_symlink() or not source.resolve().is_relative_to(root):
            raise SinkError(
                f"pakke {manifest.package_id}: fil {entry.path} er en symbolsk lenke eller peker ut av pakkemappen"
            )
        if not source.is_file():
            raise SinkError(f"pakke {manifest.package_id}: fil {entry.path} finnes ikke i {package_dir}")
        size = source.stat().st_size
        if size != entry.size:
            raise SinkError(
                f"pakke {manifest.package_id}: fil {entry.path} er {size} byte, manifestet sier {entry.size}"
            )


def is_package_id_of(package_id: str, thread_key: str) -> bool:
    """Whether ``package_id`` is ``<thread_key>-<16 hex digits>`` (see ``schemas.package.package_id_for``)."""
    head, sep, tail = package_id.rpartition("-")
    return bool(sep) and head == thread_key and len(tail) == 16 and all(c in "0123456789abcdef" for c in tail)


def check_meta_name(name: str) -> None:
    """A meta object is ``<_audit|_reviews>/<one safe segment>``."""
    folder, _, file = name.partition("/")
    if folder not in META_DIRS or not file or safe_segment(file) != file:
        raise SinkError(f"usikkert navn på metadataobjekt: {name!r}")


class BaseSink(ABC):
    """What every sink shares: the one ``put_package`` algorithm, manifest parsing, thread lookups, reads.

    A backend supplies the primitives: ``_manifest_stored``, ``_prepare_package``, ``_stored_matches``,
    ``_store_file`` and ``_create_manifest``.
    """

    url: str
    worm: bool = False
    timestamper: Stamper | None = None
    """Set by ``storage.factory.open_sink`` when a TSA is configured: manifests get a token when stored."""

    # -- the put algorithm -----------------------------------------------------------------------

    def put_package(
        self,
        package_dir: Path,
        manifest: Manifest,
        *,
        on_file: FileCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> PutResult:
        """All files first (each verified), ``manifest.json`` last and only if absent; see :class:`Sink`."""
        package_id = manifest.package_id
        check_manifest(manifest)
        result = PutResult(package_id=package_id, url=self.package_url(package_id))
        if self._manifest_stored(package_id):
            log.info("package %s already complete in %s; nothing written", package_id, self.url)
            result.skipped = True
            return result
        check_sources(package_dir, manifest)
        self._prepare_package(package_id)
        for entry in manifest.files:
            source = package_dir / entry.path
            if self._stored_matches(package_id, source, entry):
                log.debug("package %s: %s already stored, kept", package_id, entry.path)
            else:
                self._store_file(source, package_id, entry, on_progress)
                result.written.append(entry.path)
            if on_file is not None:
                on_file(entry)
        if not self._create_manifest(manifest):
            log.info("package %s was completed concurrently in %s", package_id, self.url)
            result.skipped = True
            return result
        result.written.append(MANIFEST_NAME)
        if self.timestamper is not None:
            self._stamp_manifest(manifest)
        log.info("package %s stored in %s (%d objects written)", package_id, self.url, len(result.written))
        return result

    def _stamp_manifest(self, manifest: Manifest) -> None:
        """The manifest's RFC 3161 token beside it; an outage is logged (approval obtains it later)."""
        stamper = self.timestamper
        if stamper is None:
            return
        try:
            token = stamper.stamp(manifest.to_bytes())
            self.put_sidecar(manifest.package_id, MANIFEST_TSR, token)
        except StorageError as exc:
            log.warning("package %s: manifest not timestamped: %s", manifest.package_id, exc)

    @abstractmethod
    def _manifest_stored(self, package_id: str) -> bool:
        """Whether the package's ``manifest.json`` is in the bucket (the package is complete)."""

    @abstractmethod
    def _prepare_package(self, package_id: str) -> None:
        """Clear leftovers of an interrupted earlier put (temp files, stale multipart uploads)."""

    @abstractmethod
    def _stored_matches(self, package_id: str, source: Path, entry: PackageFile) -> bool:
        """Whether ``entry`` is already stored with the right content (checked without trusting an echo)."""

    @abstractmethod
    def _store_file(
        self, source: Path, package_id: str, entry: PackageFile, on_progress: ProgressCallback | None
    ) -> None:
        """Store one file and verify what was stored; SinkError naming package and file on any mismatch."""

    @abstractmethod
    def _create_manifest(self, manifest: Manifest) -> bool:
        """Write ``manifest.json`` only if absent; False if another writer completed the package first."""

    # -- backend primitives on root-relative keys (``<package_id>/<path>``, ``_audit/<name>``) --------

    @abstractmethod
    def _open(self, rel: str, version: str | None) -> AbstractContextManager[BinaryIO]:
        """Open one object (FileNotFoundError if absent); reads raise SinkError on a broken transfer."""

    @abstractmethod
    def _versions(self, rel: str) -> list[ObjectVersion]: ...

    @abstractmethod
    def _list(self, folder: str) -> list[StoredObject]: ...

    @abstractmethod
    def _history(self, folder: str) -> dict[str, list[ObjectVersion]]: ...

    @abstractmethod
    def _put_bytes(
        self, rel: str, data: bytes, *, exclusive: bool, lock: tuple[LockMode, datetime] | None
    ) -> str | None:
        """Store a small object (verified against its local digest); ObjectExistsError if ``exclusive`` and present."""

    @abstractmethod
    def _lock(self, rel: str, version: str | None, mode: LockMode, retain_until: datetime) -> None: ...

    @abstractmethod
    def _lock_info(self, rel: str, version: str | None) -> tuple[str, datetime | None] | None: ...

    @abstractmethod
    def _url_of(self, rel: str) -> str: ...

    @abstractmethod
    def check_location(self) -> None: ...

    @abstractmethod
    def require_lock_support(self) -> None: ...

    @abstractmethod
    def list_packages(self) -> list[str]: ...

    # -- the shared public API -------------------------------------------------------------------

    def _rel(self, package_id: str, path: str) -> str:
        check_package_id(package_id)
        if path != MANIFEST_NAME and path not in SIDECARS:
            check_package_path(package_id, path)
        return f"{package_id}/{path}"

    def package_url(self, package_id: str) -> str:
        check_package_id(package_id)
        return self._url_of(package_id)

    def meta_url(self, name: str) -> str:
        check_meta_name(name)
        return self._url_of(name)

    def has_package(self, package_id: str) -> bool:
        return self._manifest_stored(package_id)

    def open_file(self, package_id: str, path: str, *, version: str | None = None) -> AbstractContextManager[BinaryIO]:
        rel = self._rel(package_id, path)
        what = f"pakke {package_id}: fil {path}" + (f" (versjon {version})" if version else "")
        try:
            return self._open(rel, version)
        except FileNotFoundError as exc:
            raise SinkError(f"{what} kan ikke leses: finnes ikke") from exc
        except SinkError as exc:
            raise SinkError(f"{what} kan ikke leses: {exc}") from exc
        except OSError as exc:
            raise SinkError(f"{what} kan ikke leses: {exc.strerror or exc}") from exc

    def read_bytes(
        self, package_id: str, path: str, *, version: str | None = None, max_bytes: int | None = None
    ) -> bytes:
        with self.open_file(package_id, path, version=version) as stream:
            return read_bounded(stream, max_bytes, f"pakke {package_id}: fil {path}")

    def read_manifest(self, package_id: str, *, version: str | None = None) -> Manifest:
        data = self.read_bytes(package_id, MANIFEST_NAME, version=version, max_bytes=MAX_MANIFEST_BYTES)
        return parse_manifest(package_id, data)

    def iter_objects(self, package_id: str) -> Iterator[StoredObject]:
        check_package_id(package_id)
        yield from self._list(package_id)

    def versions(self, package_id: str, path: str) -> list[ObjectVersion]:
        return self._versions(self._rel(package_id, path))

    def package_history(self, package_id: str) -> dict[str, list[ObjectVersion]]:
        check_package_id(package_id)
        return self._history(package_id)

    def put_sidecar(self, package_id: str, name: str, data: bytes) -> None:
        if name not in SIDECARS:
            raise SinkError(f"pakke {package_id}: ukjent sidefil {name!r}")
        self._put_bytes(self._rel(package_id, name), data, exclusive=True, lock=None)

    def read_meta(self, name: str, *, version: str | None = None) -> bytes | None:
        check_meta_name(name)
        try:
            with self._open(name, version) as stream:
                return read_bounded(stream, MAX_META_BYTES, name)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SinkError(f"{name} kan ikke leses: {exc.strerror or exc}") from exc

    def write_meta(
        self, name: str, data: bytes, *, exclusive: bool = False, lock: tuple[LockMode, datetime] | None = None
    ) -> str | None:
        check_meta_name(name)
        return self._put_bytes(name, data, exclusive=exclusive, lock=lock)

    def list_meta(self, folder: str) -> list[StoredObject]:
        if folder not in META_DIRS:
            raise SinkError(f"ukjent metadatamappe {folder!r}")
        return self._list(folder)

    def meta_versions(self, name: str) -> list[ObjectVersion]:
        check_meta_name(name)
        return self._versions(name)

    def meta_history(self, folder: str) -> dict[str, list[ObjectVersion]]:
        if folder not in META_DIRS:
            raise SinkError(f"ukjent metadatamappe {folder!r}")
        return self._history(folder)

    def read_review(self, package_id: str) -> bytes | None:
        """The convenience copy of the package's review record, or None (not trusted alone: see the audit log)."""
        check_package_id(package_id)
        return self.read_meta(f"{REVIEWS_DIR}/{package_id}.json")

    def write_review(self, package_id: str, data: bytes) -> str:
        check_package_id(package_id)
        name = f"{REVIEWS_DIR}/{package_id}.json"
        self.write_meta(name, data)
        return self.meta_url(name)

    def read_record(self, folder: str, name: str) -> bytes | None:
        """A side record (``<folder>/<name>``, e.g. ``_deliveries/<id>.json``), or None; see :class:`Sink`."""
        check_record_key(folder, name)
        rel = f"{folder}/{name}"
        try:
            with self._open(rel, None) as stream:
                return read_bounded(stream, MAX_META_BYTES, rel)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SinkError(f"sidepost {rel} kan ikke leses: {exc.strerror or exc}") from exc

    def write_record(self, folder: str, name: str, data: bytes) -> str:
        """Store (replace) a side record; it is never part of a package's fixity or lock."""
        check_record_key(folder, name)
        rel = f"{folder}/{name}"
        self._put_bytes(rel, data, exclusive=False, lock=None)
        return self._url_of(rel)

    def lock_objects(
        self, package_id: str, objects: Sequence[LockedObject], *, mode: LockMode, retain_until: datetime
    ) -> None:
        for obj in objects:
            self._lock(self._rel(package_id, obj.path), obj.version_id, mode, retain_until)
        log.info("package %s: %d objects locked (%s until %s)", package_id, len(objects), mode, retain_until)

    def lock_info(self, package_id: str, path: str, version: str | None) -> tuple[str, datetime | None] | None:
        return self._lock_info(self._rel(package_id, path), version)

    def meta_lock_info(self, name: str, version: str | None) -> tuple[str, datetime | None] | None:
        check_meta_name(name)
        return self._lock_info(name, version)

    def latest_package_for(self, thread_key: str) -> Manifest | None:
        manifests = [
            manifest
            for package_id in self.list_packages()
            if is_package_id_of(package_id, thread_key)
            and (manifest := self.read_manifest(package_id)).thread_key == thread_key
        ]
        return max(manifests, key=lambda m: (m.created_at, m.package_id), default=None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r})"


def read_bounded(stream: BinaryIO, max_bytes: int | None, what: str) -> bytes:
    """All of ``stream``, refusing more than ``max_bytes`` (a hostile object must not exhaust memory)."""
    if max_bytes is None:
        return stream.read()
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SinkError(f"{what} er større enn {max_bytes} byte og leses ikke")
    return data


def parse_manifest(package_id: str, data: bytes) -> Manifest:
    """The package's manifest from its bytes; SinkError naming the package and the first problem."""
    try:
        manifest = Manifest.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise SinkError(
            f"pakke {package_id}: ugyldig {MANIFEST_NAME}: {where + ': ' if where else ''}{first['msg']}"
        ) from exc
    except ValueError as exc:
        raise SinkError(f"pakke {package_id}: ugyldig {MANIFEST_NAME}: {exc}") from exc
    if manifest.package_id != package_id:
        raise SinkError(f"pakke {package_id}: {MANIFEST_NAME} oppgir pakke {manifest.package_id}")
    check_manifest(manifest)  # a tampered manifest must not lead a reader out of its package, nor list a file twice
    return manifest
