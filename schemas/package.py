"""The archive package contract: what a package folder holds and its ``manifest.json``.

A package is one folder (or S3 prefix) per exported thread version::

    <package_id>/
        DOKUMENT/<package_id>.pdf     hoveddokument: the thread as PDF/A
        DOKUMENT/vedlegg-*.{png,jpg}   vedlegg: screenshots of deleted items, original media
        capture/thread.json            the raw canonical capture, verbatim
        arkivstruktur.xml              Noark 5 v5.0 metadata for this package
        arkivmelding.xml               KS Fiks Arkiv v1 arkivmelding (when built)
        manifest.json                  every other file with size and SHA-256, written LAST

A reader ignores a package without ``manifest.json``: it is not complete.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.text import escape_unsafe
from schemas.thread import Flag, Platform, Thread

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = "1"

# "skjermet": the redacted variant of the hoveddokument (a second dokumentobjekt of the same dokumentbeskrivelse).
FileRole = Literal["hoveddokument", "skjermet", "vedlegg", "capture", "media", "metadata"]


class PackageFile(BaseModel):
    """One file of a package, as listed in the manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(description="POSIX path relative to the package root")
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    role: FileRole
    mime_type: str
    title: str | None = Field(default=None, description="Human title, e.g. for a vedlegg")


class Manifest(BaseModel):
    """``manifest.json``: the package's table of contents and the proof of its completeness."""

    model_config = ConfigDict(extra="forbid")

    manifest_version: Literal["1"] = MANIFEST_VERSION
    package_id: str
    platform: Platform
    thread_id: str
    thread_url: str
    thread_key: str = Field(description="Stable id of the thread across versions")
    capture_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    previous_package_id: str | None = None
    flag: Flag | None = None
    created_at: AwareDatetime
    generator: str = "somearkiv"
    files: list[PackageFile]

    @classmethod
    def for_thread(
        cls,
        thread: Thread,
        *,
        capture_sha256: str,
        flag: Flag | None,
        created_at: datetime,
        files: list[PackageFile],
        previous_package_id: str | None = None,
    ) -> Manifest:
        """The manifest of ``thread``'s package: ids and URL from the thread, the package id from the capture."""
        return cls(
            package_id=package_id_for(thread.platform, thread.thread_id, capture_sha256),
            platform=thread.platform,
            thread_id=thread.thread_id,
            thread_url=thread.url,
            thread_key=thread_key(thread.platform, thread.thread_id),
            capture_sha256=capture_sha256,
            previous_package_id=previous_package_id,
            flag=flag,
            created_at=created_at,
            files=files,
        )

    def file(self, path: str) -> PackageFile:
        for entry in self.files:
            if entry.path == path:
                return entry
        raise KeyError(f"package {self.package_id}: no file {path!r} in manifest")

    def to_bytes(self) -> bytes:
        """UTF-8 JSON; characters JSON parsers reject (lone surrogates) and controls become visible escapes."""
        return (json.dumps(_escaped(self.model_dump(mode="json")), ensure_ascii=False, indent=2) + "\n").encode()


def _escaped(node: object) -> object:
    if isinstance(node, str):
        return escape_unsafe(node)
    if isinstance(node, dict):
        return {key: _escaped(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_escaped(value) for value in node]
    return node


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_segment(value: str) -> str:
    """A path/key segment made of [A-Za-z0-9._-] only."""
    return _UNSAFE.sub("-", value).strip("-.") or "x"


def thread_key(platform: Platform | str, thread_id: str) -> str:
    """Stable key of a thread across capture versions, e.g. ``facebook-123_456``."""
    return f"{Platform(platform).value}-{safe_segment(thread_id)}"


def package_id_for(platform: Platform | str, thread_id: str, capture_sha256: str) -> str:
    """Package id: the thread key plus the first 16 hex digits of the capture hash (idempotent re-runs)."""
    return f"{thread_key(platform, thread_id)}-{capture_sha256[:16]}"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def manifest_json_schema() -> str:
    schema = Manifest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
