"""The archive bucket as a local folder (the default): ``<root>/<package_id>/<path>``.

Each file is copied to a temporary name in its target folder, fsynced, checked against the manifest's
SHA-256 and renamed into place (``os.replace``); ``manifest.json`` is created last with ``os.link``, which
fails if it already exists, so two writers can't both complete a package.

**No WORM guarantee.** "Locking" here marks files and folders read-only (0o444 / 0o555): it stops
accidents, not anyone who can ``chmod``. A folder has no object versions (every version id is ``None``);
tampering is detected by the SHA-256s recorded at approval and in the audit chain, not prevented.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import secrets
import stat
from contextlib import AbstractContextManager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from schemas.package import MANIFEST_NAME, Manifest, PackageFile, sha256_file
from storage.base import (
    HASH_CHUNK,
    BaseSink,
    LockMode,
    ObjectExistsError,
    ObjectVersion,
    ProgressCallback,
    SinkError,
    StoredObject,
    check_package_id,
    is_package_id_of,
)

log = logging.getLogger(__name__)

TEMP_SUFFIX = ".part"
TEMP_MARK = ".somearkiv-"  # temp files are ``.<name>.somearkiv-<random>.part``
READ_ONLY_FILE = 0o444
READ_ONLY_DIR = 0o555
NO_WORM = "skrivebeskyttet (ingen WORM-garanti)"


def _temp_path(target: Path) -> Path:
    """``.<name>.somearkiv-<random>.part`` beside the target; without the name when that would be too long."""
    name = target.name if len(target.name.encode()) <= 200 else ""
    return target.with_name(f".{name}{TEMP_MARK}{secrets.token_hex(6)}{TEMP_SUFFIX}")


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
    """A folder on a local or mounted file system (no WORM guarantee, see the module docstring)."""

    worm = False

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().absolute()
        self.url = self.root.as_uri()

    # -- put primitives --------------------------------------------------------------------------

    def _manifest_stored(self, package_id: str) -> bool:
        return (self._package_dir(package_id) / MANIFEST_NAME).is_file()

    def _prepare_package(self, package_id: str) -> None:
        target = self._package_dir(package_id)
        target.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temps(target)

    def _remove_stale_temps(self, target: Path) -> None:
        """Temp files left by an interrupted run would otherwise show up as extra files in fixity."""
        for path in target.rglob(f"*{TEMP_SUFFIX}"):
            if _is_temp(path):
                path.unlink(missing_ok=True)

    def _stored_matches(self, package_id: str, source: Path, entry: PackageFile) -> bool:
        dest = self._package_dir(package_id) / entry.path
        return dest.is_file() and dest.stat().st_size == entry.size and sha256_file(dest) == entry.sha256

    def _store_file(
        self, source: Path, package_id: str, entry: PackageFile, on_progress: ProgressCallback | None
    ) -> None:
        """Copy to a temp name while hashing what is written, fsync, compare with the manifest, rename."""
        dest = self._package_dir(package_id) / entry.path
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
            raise SinkError(f"pakke {package_id}: fil {entry.path} kunne ikke lagres: {exc.strerror or exc}") from exc
        finally:
            temp.unlink(missing_ok=True)

    def _create_manifest(self, manifest: Manifest) -> bool:
        """Create ``manifest.json`` atomically and only if absent (``os.link`` never overwrites)."""
        try:
            self._put_bytes(f"{manifest.package_id}/{MANIFEST_NAME}", manifest.to_bytes(), exclusive=True, lock=None)
        except ObjectExistsError:
            return False
        return True

    # -- key primitives --------------------------------------------------------------------------

    def _path(self, rel: str) -> Path:
        return self.root.joinpath(*rel.split("/"))

    def _url_of(self, rel: str) -> str:
        return self._path(rel).as_uri()

    def _open(self, rel: str, version: str | None) -> AbstractContextManager[BinaryIO]:
        if version is not None:
            raise SinkError(f"en lokal mappe har ingen objektversjoner (ba om versjon {version!r})")
        parts = rel.split("/")
        for depth in range(1, len(parts)):  # a symlinked folder inside the bucket would lead reads out of it
            if self.root.joinpath(*parts[:depth]).is_symlink():
                raise SinkError(f"{rel}: mappen {'/'.join(parts[:depth])} er en symbolsk lenke og leses ikke")
        try:  # O_NONBLOCK: a FIFO put in a package must not hang the reader; it is refused below
            fd = os.open(self._path(rel), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise SinkError(f"{rel} er en symbolsk lenke og leses ikke") from None
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise SinkError(f"{rel} er ikke en vanlig fil og leses ikke")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")

    def _versions(self, rel: str) -> list[ObjectVersion]:
        path = self._path(rel)
        if not path.is_file():
            return []
        stat = path.stat()
        return [ObjectVersion(None, stat.st_size, True, last_modified=datetime.fromtimestamp(stat.st_mtime, UTC))]

    def _list(self, folder: str) -> list[StoredObject]:
        base = self._path(folder)
        if not base.is_dir():
            return []
        found: list[StoredObject] = []
        for path in sorted(base.rglob("*")):
            if path.is_symlink() or (folder.startswith("_") and _is_temp(path)):  # another writer's temp file
                continue
            with suppress(FileNotFoundError):  # removed while listing
                if path.is_file():
                    found.append(StoredObject(path=path.relative_to(base).as_posix(), size=path.stat().st_size))
        return found

    def _history(self, folder: str) -> dict[str, list[ObjectVersion]]:
        return {obj.path: self._versions(f"{folder}/{obj.path}") for obj in self._list(folder)}

    def _put_bytes(
        self, rel: str, data: bytes, *, exclusive: bool, lock: tuple[LockMode, datetime] | None
    ) -> str | None:
        final = self._path(rel)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            temp = _write_temp(final, data)
            try:
                if exclusive:
                    os.link(temp, final)  # atomic, and unlike os.replace never overwrites
                else:
                    os.replace(temp, final)
            except FileExistsError as exc:
                raise ObjectExistsError(f"{rel} finnes allerede") from exc
            finally:
                temp.unlink(missing_ok=True)
            if sha256_file(final) != hashlib.sha256(data).hexdigest():
                raise SinkError(f"{rel}: det lagrede innholdet avviker fra det som ble skrevet")
            if lock is not None:
                final.chmod(READ_ONLY_FILE)
            _fsync_dir(final.parent)
        except OSError as exc:
            raise SinkError(f"{rel} kunne ikke lagres: {exc.strerror or exc}") from exc
        return None

    def _lock(self, rel: str, version: str | None, mode: LockMode, retain_until: datetime) -> None:
        """Read-only file and folders (``mode`` and ``retain_until`` can't be enforced in a folder)."""
        path = self._path(rel)
        try:
            path.chmod(READ_ONLY_FILE)
            folder = path.parent
            while folder != self.root and self.root in folder.parents:
                folder.chmod(READ_ONLY_DIR)
                folder = folder.parent
        except OSError as exc:
            raise SinkError(f"{rel} kan ikke skrivebeskyttes: {exc.strerror or exc}") from exc

    def _lock_info(self, rel: str, version: str | None) -> tuple[str, datetime | None] | None:
        path = self._path(rel)
        with suppress(OSError):
            if not path.stat().st_mode & 0o222:
                return (NO_WORM, None)
        return None

    # -- location --------------------------------------------------------------------------------

    def check_location(self) -> None:
        if not self.root.exists():
            raise SinkError(f"arkivbøtta {self.url} finnes ikke")
        if not self.root.is_dir():
            raise SinkError(f"arkivbøtta {self.url} er ikke en mappe")
        if not any(not child.name.startswith(".") for child in self.root.iterdir()):
            raise SinkError(f"arkivbøtta {self.url} er tom: ingen pakker og ingen revisjonslogg")

    def require_lock_support(self) -> None:
        """Always possible in a folder, but only as read-only files: no WORM guarantee."""

    def _package_dir(self, package_id: str) -> Path:
        check_package_id(package_id)
        return self.root / package_id

    def latest_package_for(self, thread_key: str) -> Manifest | None:
        """As :meth:`BaseSink.latest_package_for`, looking only at the folders named ``<thread_key>-<hash>``
        (no manifest check on every other package of the bucket, once per exported thread)."""
        if not self.root.is_dir():
            return None
        ids = sorted(child.name for child in self.root.iterdir()
                     if is_package_id_of(child.name, thread_key) and (child / MANIFEST_NAME).is_file())
        manifests = [m for package_id in ids if (m := self.read_manifest(package_id)).thread_key == thread_key]
        return max(manifests, key=lambda m: (m.created_at, m.package_id), default=None)

    def list_packages(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            child.name
            for child in self.root.iterdir()
            if not child.name.startswith(("_", ".")) and (child / MANIFEST_NAME).is_file()
        )
