"""The archive bucket interface shared by every sink (local folder, S3).

Layout in a bucket: ``<prefix>/<package_id>/<path>`` for each file of a package, with
``<prefix>/<package_id>/manifest.json`` written last. A package without its manifest is incomplete and
invisible to readers (listing, fixity, review, uttrekk).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from schemas.package import Manifest


class SinkError(RuntimeError):
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

    def put_package(self, package_dir: Path, manifest: Manifest) -> PutResult:
        """Upload every manifest file from ``package_dir``, verify checksums, then ``manifest.json`` last.

        Idempotent: a package whose manifest is already in the bucket is skipped; an incomplete one
        (no manifest) is completed.
        """
        ...

    def list_packages(self) -> list[str]:
        """Ids of complete packages (those with a manifest), sorted."""
        ...

    def has_package(self, package_id: str) -> bool: ...

    def read_manifest(self, package_id: str) -> Manifest: ...

    def read_bytes(self, package_id: str, path: str) -> bytes: ...

    def iter_objects(self, package_id: str) -> Iterator[StoredObject]:
        """Every object stored under the package (manifest included), for fixity checks."""
        ...
