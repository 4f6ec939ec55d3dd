"""Opening files named by an input (a capture's ``Media.path``, ``threads/*.json``, ``flags.json``) safely.

An input's paths are hostile until checked: an absolute path, ``..``, a NUL, a symlink that leads out of
the input's folder, or something that is not a regular file (a FIFO, a device, a folder) is refused with a
:class:`PathRefusedError` naming the thread, item and field (or the file). A file is opened without following a
final symlink and without blocking, and checked to be a regular file on the open handle, so nothing outside
the folder is read and nothing blocks.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from schemas.errors import CaptureError


class PathRefusedError(CaptureError):
    """A path that is not a regular file inside the folder it must stay in."""


class FileMissingError(CaptureError):
    """A safe path that names no file (for media: it was not captured)."""


class FileTooLargeError(CaptureError):
    """A file over the size limit for its kind."""


def resolve_inside(base: Path, path: str, *, where: str) -> Path:
    """The real path of relative ``path`` inside ``base``; ``where`` names thread, item and field for errors."""
    if "\x00" in path or not path.strip():
        raise PathRefusedError(f"{where} {path!r}: ugyldig filsti (tom eller med NUL-tegn)")
    pure = PurePosixPath(path)
    if pure.is_absolute() or "\\" in path or ".." in pure.parts:
        raise PathRefusedError(f"{where} {path!r}: filstien skal være relativ til mappen, uten «..»")
    root = base.resolve()
    try:
        real = (root / pure).resolve(strict=True)
    except FileNotFoundError as exc:
        raise FileMissingError(f"{where} {path!r}: filen ble ikke samlet inn") from exc
    except (OSError, RuntimeError) as exc:  # a symlink loop, a name too long, no access
        raise PathRefusedError(f"{where} {path!r}: kan ikke leses ({type(exc).__name__})") from exc
    if not real.is_relative_to(root):
        raise PathRefusedError(f"{where} {path!r}: peker ut av mappen {base.name}/ (symlenke)")
    return real


@contextmanager
def open_inside(base: Path, path: str, *, where: str) -> Iterator[BinaryIO]:
    """Open ``path`` (relative to ``base``) for reading after :func:`resolve_inside`; refuse a non-regular file."""
    real = resolve_inside(base, path, where=where)
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise PathRefusedError(f"{where} {path!r}: kan ikke åpnes ({exc.strerror})") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise PathRefusedError(f"{where} {path!r}: er ikke en vanlig fil")
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


def read_inside(base: Path, path: str, *, where: str, limit: int) -> bytes:
    """The bytes of ``path`` inside ``base`` (as :func:`open_inside`), refused when over ``limit`` bytes."""
    with open_inside(base, path, where=where) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLargeError(f"{where}: filen er større enn grensen på {limit // (1 << 20)} MiB")
    return data
