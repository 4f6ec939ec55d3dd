"""The archive bucket interface shared by every sink (local folder, S3).

Layout in a bucket: ``<prefix>/<package_id>/<path>`` for each file of a package, with
``<prefix>/<package_id>/manifest.json`` written last. A package without its manifest is incomplete and
invisible to readers (listing, fixity, review, uttrekk). Review records live outside the packages, in
``<prefix>/_reviews/<package_id>.json``, so they never disturb a package's fixity.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal, Protocol, runtime_checkable

from schemas.errors import StorageError
from schemas.package import MANIFEST_NAME, Manifest, PackageFile, safe_segment

REVIEWS_DIR = "_reviews"
HASH_CHUNK = 1 << 20  # bytes read at a time when hashing or copying: memory stays bounded

LockMode = Literal["COMPLIANCE", "GOVERNANCE"]
FileCallback = Callable[[PackageFile], None]
"""Called after each package file is stored and verified (progress reporting)."""
ProgressCallback = Callable[[str, int], None]
"""Called with (path, bytes transferred so far) while a file is being stored."""


class SinkError(StorageError):
    """A bucket operation failed; the message names the package and file."""


@dataclass(frozen=True)
class StoredObject:
    """A file as it is in the bucket (what fixity compares against the manifest)."""

    path: str  # relative to the package root
    size: int


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

    def list_packages(self) -> list[str]:
        """Ids of complete packages (those with a manifest), sorted."""
        ...

    def has_package(self, package_id: str) -> bool: ...

    def read_manifest(self, package_id: str) -> Manifest: ...

    def read_bytes(self, package_id: str, path: str) -> bytes: ...

    def open_file(self, package_id: str, path: str) -> AbstractContextManager[BinaryIO]:
        """A binary stream of one stored file, for reading in bounded memory."""
        ...

    def iter_objects(self, package_id: str) -> Iterator[StoredObject]:
        """Every object stored under the package (manifest included), for fixity checks."""
        ...

    def latest_package_for(self, thread_key: str) -> Manifest | None:
        """The newest complete package of a thread (by ``manifest.created_at``), or None."""
        ...

    def package_url(self, package_id: str) -> str: ...

    def read_review(self, package_id: str) -> bytes | None:
        """The package's review record (``_reviews/<package_id>.json``), or None."""
        ...

    def write_review(self, package_id: str, data: bytes) -> str:
        """Store the review record; returns its URL."""
        ...

    def lock_package(self, package_id: str, *, mode: LockMode, retain_until: datetime) -> list[str]:
        """Make the package's files, manifest and review record immutable; returns the locked paths
        (the review record as ``../_reviews/<package_id>.json``)."""
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
        or pure.is_absolute()
        or any(part in ("", ".", "..") for part in path.split("/"))
        or path == MANIFEST_NAME
    ):
        raise SinkError(f"pakke {package_id}: usikker filsti {path!r} i manifestet")


def check_package_id(package_id: str) -> None:
    """A package id is one safe key segment that can't collide with ``_reviews``."""
    if safe_segment(package_id) != package_id or package_id.startswith("_"):
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
    for entry in manifest.files:
        source = package_dir / entry.path
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


class BaseSink(ABC):
    """What every sink shares: manifest parsing, thread lookups and whole-file reads."""

    url: str

    @abstractmethod
    def list_packages(self) -> list[str]: ...

    @abstractmethod
    def open_file(self, package_id: str, path: str) -> AbstractContextManager[BinaryIO]: ...

    def read_bytes(self, package_id: str, path: str) -> bytes:
        with self.open_file(package_id, path) as stream:
            return stream.read()

    def read_manifest(self, package_id: str) -> Manifest:
        data = self.read_bytes(package_id, MANIFEST_NAME)
        try:
            manifest = Manifest.model_validate_json(data)
        except ValueError as exc:
            raise SinkError(f"pakke {package_id}: ugyldig {MANIFEST_NAME}: {exc}") from exc
        if manifest.package_id != package_id:
            raise SinkError(f"pakke {package_id}: {MANIFEST_NAME} oppgir pakke {manifest.package_id}")
        return manifest

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
