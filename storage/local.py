"""The archive bucket as a local folder (the default): ``<root>/<package_id>/<path>``.

Each file is copied to a temporary name in its target folder, fsynced, checked against the manifest's
SHA-256 and renamed into place (``os.replace``); ``manifest.json`` is created last with ``os.link``, which
fails if it already exists, so two writers can't both complete a package. Locking marks the files and
folders read-only (0o444 / 0o555); a local folder can't enforce a retention date.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import AbstractContextManager, suppress
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from schemas.package import MANIFEST_NAME, Manifest, PackageFile, sha256_file
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

log = logging.getLogger(__name__)

TEMP_SUFFIX = ".part"
TEMP_MARK = ".somearkiv-"  # temp files are ``.<name>.somearkiv-<random>.part``
READ_ONLY_FILE = 0o444
READ_ONLY_DIR = 0o555


def _temp_path(target: Path) -> Path:
    return target.with_name(f".{target.name}{TEMP_MARK}{secrets.token_hex(6)}{TEMP_SUFFIX}")


def _is_temp(path: Path) -> bool:
    return path.name.startswith(".") and TEMP_MARK in path.name and path.name.endswith(TEMP_SUFFIX)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temp(target: Path, data: bytes) -> Path:
    temp = _temp_path(target)
    with temp.open("xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return temp


class LocalSink(BaseSink):
    """A folder on a local or mounted file system."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().absolute()
        self.url = self.root.as_uri()

    # -- writing ---------------------------------------------------------------------------------

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
        target = self.root / package_id
        result = PutResult(package_id=package_id, url=self.package_url(package_id))
        if (target / MANIFEST_NAME).is_file():
            log.info("package %s already complete in %s; nothing written", package_id, self.url)
            result.skipped = True
            return result
        check_sources(package_dir, manifest)
        target.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temps(target)
        for entry in manifest.files:
            dest = target / entry.path
            if self._already_stored(dest, entry):
                log.debug("package %s: %s already stored, kept", package_id, entry.path)
            else:
                self._copy_verified(package_dir / entry.path, dest, package_id, entry, on_progress)
                result.written.append(entry.path)
            if on_file is not None:
                on_file(entry)
        if not self._create_manifest(target, manifest):
            log.info("package %s was completed concurrently in %s", package_id, self.url)
            result.skipped = True
            return result
        result.written.append(MANIFEST_NAME)
        log.info("package %s stored in %s (%d files written)", package_id, self.url, len(result.written))
        return result

    def _remove_stale_temps(self, target: Path) -> None:
        """Temp files left by an interrupted run would otherwise show up as extra files in fixity."""
        for path in target.rglob(f"*{TEMP_SUFFIX}"):
            if _is_temp(path):
                path.unlink(missing_ok=True)

    @staticmethod
    def _already_stored(dest: Path, entry: PackageFile) -> bool:
        return dest.is_file() and dest.stat().st_size == entry.size and sha256_file(dest) == entry.sha256

    @staticmethod
    def _copy_verified(
        source: Path, dest: Path, package_id: str, entry: PackageFile, on_progress: ProgressCallback | None
    ) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        temp = _temp_path(dest)
        digest = hashlib.sha256()
        copied = 0
        try:
            with source.open("rb") as reader, temp.open("xb") as writer:
                while block := reader.read(HASH_CHUNK):
                    writer.write(block)
                    digest.update(block)
                    copied += len(block)
                    if on_progress is not None:
                        on_progress(entry.path, copied)
                writer.flush()
                os.fsync(writer.fileno())
            if digest.hexdigest() != entry.sha256:
                raise SinkError(
                    f"pakke {package_id}: fil {entry.path} har SHA-256 {digest.hexdigest()}, "
                    f"manifestet sier {entry.sha256}"
                )
            os.replace(temp, dest)
        except FileNotFoundError as exc:
            raise SinkError(f"pakke {package_id}: fil {entry.path} forsvant under opplastingen") from exc
        except OSError as exc:
            raise SinkError(f"pakke {package_id}: fil {entry.path} kunne ikke lagres: {exc}") from exc
        finally:
            temp.unlink(missing_ok=True)

    @staticmethod
    def _create_manifest(target: Path, manifest: Manifest) -> bool:
        """Create ``manifest.json`` atomically and only if absent; False if another writer was first."""
        final = target / MANIFEST_NAME
        temp = _write_temp(final, manifest.to_bytes())
        try:
            os.link(temp, final)  # atomic, and unlike os.replace never overwrites
        except FileExistsError:
            return False
        finally:
            temp.unlink(missing_ok=True)
        _fsync_dir(target)
        return True

    def write_review(self, package_id: str, data: bytes) -> str:
        reviews = self.root / REVIEWS_DIR
        reviews.mkdir(parents=True, exist_ok=True)
        final = reviews / f"{package_id}.json"
        temp = _write_temp(final, data)
        try:
            os.replace(temp, final)
        finally:
            temp.unlink(missing_ok=True)
        _fsync_dir(reviews)
        return final.as_uri()

    def write_record(self, folder: str, name: str, data: bytes) -> str:
        check_record_key(folder, name)
        where = self.root / folder
        where.mkdir(parents=True, exist_ok=True)
        final = where / name
        temp = _write_temp(final, data)
        try:
            os.replace(temp, final)
        finally:
            temp.unlink(missing_ok=True)
        _fsync_dir(where)
        return final.as_uri()

    def read_record(self, folder: str, name: str) -> bytes | None:
        check_record_key(folder, name)
        with suppress(FileNotFoundError):
            return (self.root / folder / name).read_bytes()
        return None

    def lock_package(self, package_id: str, *, mode: LockMode, retain_until: datetime) -> list[str]:
        """Mark files, folders and the review record read-only (``mode`` and ``retain_until`` can't be enforced
        locally); the review record is listed as ``../_reviews/<package_id>.json``."""
        target = self._package_dir(package_id)
        manifest = self.read_manifest(package_id)
        locked: list[str] = []
        for path in [entry.path for entry in manifest.files] + [MANIFEST_NAME]:
            (target / path).chmod(READ_ONLY_FILE)
            locked.append(path)
        for folder in sorted((p for p in target.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            folder.chmod(READ_ONLY_DIR)
        target.chmod(READ_ONLY_DIR)
        review = self.root / REVIEWS_DIR / f"{package_id}.json"
        if review.is_file():
            review.chmod(READ_ONLY_FILE)
            locked.append(f"../{REVIEWS_DIR}/{package_id}.json")
        log.info("package %s locked read-only in %s (%d files)", package_id, self.url, len(locked))
        return locked

    # -- reading ---------------------------------------------------------------------------------

    def package_url(self, package_id: str) -> str:
        return (self.root / package_id).as_uri()

    def _package_dir(self, package_id: str) -> Path:
        check_package_id(package_id)
        return self.root / package_id

    def list_packages(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            child.name
            for child in self.root.iterdir()
            if not child.name.startswith(("_", ".")) and (child / MANIFEST_NAME).is_file()
        )

    def has_package(self, package_id: str) -> bool:
        return (self._package_dir(package_id) / MANIFEST_NAME).is_file()

    def open_file(self, package_id: str, path: str) -> AbstractContextManager[BinaryIO]:
        if path != MANIFEST_NAME:
            check_package_path(package_id, path)
        try:
            return (self._package_dir(package_id) / path).open("rb")
        except OSError as exc:
            raise SinkError(f"pakke {package_id}: fil {path} kan ikke leses: {exc}") from exc

    def iter_objects(self, package_id: str) -> Iterator[StoredObject]:
        target = self._package_dir(package_id)
        for path in sorted(target.rglob("*")):
            if path.is_file():
                yield StoredObject(path=path.relative_to(target).as_posix(), size=path.stat().st_size)

    def read_review(self, package_id: str) -> bytes | None:
        with suppress(FileNotFoundError):
            return (self.root / REVIEWS_DIR / f"{package_id}.json").read_bytes()
        return None
