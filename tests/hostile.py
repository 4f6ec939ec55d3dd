"""A hostile capture corpus, generated in tmp dirs: path tricks, odd names, deep nesting, clashing ids, bad flags.

Nothing here is committed as data; each builder writes what a test needs under the folder it is given.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from PIL import Image

from schemas.capture import capture_bytes
from schemas.thread import Flag, Media, Thread
from tests.factories import T0, make_thread

SECRET = b"SOMEARKIV_S3_SECRET_ACCESS_KEY=do-not-archive\n"
LONG_NAME = "n" * 236 + ".png"  # 240 bytes: legal on disk, too long with a temporary suffix
NUL_NAME = "nul\x00name.png"
OVER_255 = "o" * 300 + ".png"


def png(path: Path, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """Write a small PNG at ``path`` and return its bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (24, 12), colour).save(path)
    return path.read_bytes()


def hostile_media(root: Path) -> dict[str, bytes]:
    """A capture folder's ``media/`` full of traps, next to a secret outside it.

    Returns the expected bytes of the files that are safe to copy, by their ``Media.path``.
    """
    media = root / "media"
    media.mkdir(parents=True)
    (root / "secret.env").write_bytes(SECRET)
    good = {
        "a/x.png": png(media / "a" / "x.png", (10, 200, 10)),
        "b/x.png": png(media / "b" / "x.png", (10, 10, 200)),
        LONG_NAME: png(media / LONG_NAME),
        "inside-link.png": b"",
    }
    os.symlink(media / "a" / "x.png", media / "inside-link.png")  # a symlink that stays inside is fine
    good["inside-link.png"] = good["a/x.png"]
    os.symlink(root / "secret.env", media / "out-link.png")  # leads out of media/
    os.symlink("../secret.env", media / "rel-out-link.png")
    os.symlink("/etc/hostname", media / "abs-link.png")
    (media / "dir").mkdir()
    os.symlink(root, media / "dir" / "up")  # a folder symlink out: dir/up/secret.env
    os.mkfifo(media / "pipe.png")  # opening it for reading would block forever
    (media / "folder.png").mkdir()
    return good


HOSTILE_PATHS = [
    "../secret.env",
    "../../secret.env",
    "/etc/hostname",
    "//etc/hostname",
    "out-link.png",
    "rel-out-link.png",
    "abs-link.png",
    "dir/up/secret.env",
    "pipe.png",
    "folder.png",
    NUL_NAME,
    OVER_255,
    "a/../../secret.env",
    "a\\..\\..\\secret.env",
    "",
    "missing.png",
]


def thread_with_media(paths: Iterable[str], **overrides: Any) -> Thread:
    """The factory thread with one media per path on the post (ids m0, m1, …)."""
    base = make_thread(**overrides)
    media = [Media(id=f"m{i}", path=path) for i, path in enumerate(paths)]
    return base.model_copy(update={"post": base.post.model_copy(update={"media": media})})


def flag_json(url: str, **fields: Any) -> dict[str, Any]:
    data = Flag(thread_url=url, kind="archive-worthy", flagged_by="ed", flagged_at=T0 + timedelta(days=1)).model_dump(
        mode="json"
    )
    data.update(fields)
    return data


def write_catalog(root: Path, threads: dict[str, Thread | bytes], flags: Any = None) -> Path:
    """A capture folder: ``threads/<name>`` per entry (a Thread or raw bytes) and ``flags.json``.

    ``flags`` None flags every Thread given (archive-worthy); otherwise it is written as JSON (or bytes as is).
    """
    (root / "threads").mkdir(parents=True, exist_ok=True)
    for name, thread in threads.items():
        (root / "threads" / name).write_bytes(thread if isinstance(thread, bytes) else capture_bytes(thread))
    if flags is None:
        flags = [flag_json(t.url) for t in threads.values() if isinstance(t, Thread)]
    (root / "flags.json").write_bytes(flags if isinstance(flags, bytes) else json.dumps(flags).encode())
    return root


def deep_capture(depth: int = 100_000) -> bytes:
    """A capture whose post text is nested ``depth`` arrays deep."""
    return b'{"platform": "facebook", "thread_id": "deep", "post": {"text": ' + b"[" * depth + b"]" * depth + b"}}"


def other_thread(thread_id: str, **overrides: Any) -> Thread:
    """The factory thread under another id and URL."""
    return make_thread(thread_id=thread_id, url=f"https://www.facebook.com/fjordvikkommune/posts/{thread_id}",
                       **overrides)
