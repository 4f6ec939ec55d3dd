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
MANIFEST_VERSION: Literal["1"] = "1"

# "skjermet": the redacted variant of the hoveddokument (a second dokumentobjekt of the same dokumentbeskrivelse).
# "evidence": the raw API exchanges behind the capture (gzip JSON lines, ``capture/evidence/``).
FileRole = Literal["hoveddokument", "skjermet", "vedlegg", "capture", "media", "metadata", "evidence"]


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


_UNSAFE = re.compile(r"[^A-Za-z0-9._~-]+")
_ID_SAFE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?")  # kept as it is in a key
ESCAPE = "~"  # escapes one UTF-8 byte as ~XX; "~~" marks a shortened key (neither occurs in a safe id)
MAX_KEY_BYTES = 160  # a thread key; a package id adds 17, a package file name is at most MAX_NAME_BYTES
MAX_NAME_BYTES = 200  # leaves room for the sinks' temporary names within the 255-byte file name limit
_HASH_HEX = 16


def safe_segment(value: str) -> str:
    """A path/key segment made of [A-Za-z0-9._~-] only (lossy: use :func:`escape_id` where it must be unique)."""
    return _UNSAFE.sub("-", value).strip("-.") or "x"


def _shorten(text: str, limit: int, original: str) -> str:
    """``text`` cut to ``limit`` bytes (ASCII) with ``~~`` and a hash of ``original``; unchanged when it fits."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(original.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_HEX]
    head = text[: limit - len(ESCAPE * 2) - _HASH_HEX]
    head = head[: len(head) - 2] if ESCAPE in head[-2:] else head  # never cut inside a ~XX escape
    return f"{head}{ESCAPE * 2}{digest}"


def escape_id(value: str, limit: int = MAX_KEY_BYTES) -> str:
    """An injective, bounded, path- and URL-safe form of a platform id.

    An id of [A-Za-z0-9._-] that neither starts nor ends with "." or "-" is kept as it is (so today's keys
    stay valid); any other id has every other UTF-8 byte (lone surrogates included) written as ``~XX``, so
    ``kollisjon/1`` becomes ``kollisjon~2F1`` and can't meet ``kollisjon-1``. A result longer than ``limit``
    bytes is cut and ends in ``~~`` plus 16 hex digits of the id's SHA-256.
    """
    if _ID_SAFE.fullmatch(value):
        return _shorten(value, limit, value)
    data = value.encode("utf-8", "surrogatepass")
    last = len(data) - 1
    parts = []
    for i, byte in enumerate(data):
        ch = chr(byte)
        keep = byte < 128 and (ch.isalnum() or ch == "_" or (ch in ".-" and 0 < i < last))
        parts.append(ch if keep else f"{ESCAPE}{byte:02X}")
    escaped = "".join(parts)
    return _shorten(escaped, limit, value)


def safe_file_name(name: str, taken: set[str], limit: int = MAX_NAME_BYTES) -> str:
    """A package file name from a captured one: safe characters, at most ``limit`` bytes, not in ``taken``.

    Unsafe characters become "-"; a long name is cut (keeping its extension) and gets a hash of the original;
    a name already in ``taken`` gets ``-2``, ``-3``, … before the extension. The result is added to ``taken``.
    """
    base = safe_segment(name)
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem or len(ext) > 16:
        stem, ext = base, ""
    suffix = f".{ext}" if ext else ""
    stem = _shorten(stem, limit - len(suffix), name)
    candidate, number = stem + suffix, 1
    while candidate in taken:
        number += 1
        tail = f"-{number}"
        candidate = _shorten(stem, limit - len(suffix) - len(tail), name) + tail + suffix
    taken.add(candidate)
    return candidate


def thread_key(platform: Platform | str, thread_id: str) -> str:
    """Stable key of a thread across capture versions, e.g. ``facebook-123_456``; distinct ids give distinct keys."""
    return f"{Platform(platform).value}-{escape_id(thread_id)}"


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
