"""Writing the canonical capture (``capture/thread.json``) byte-exactly.

Rule for text that XML/PDF can't hold (control characters, lone surrogates): the capture keeps it
verbatim. JSON can carry any code point as a ``\\uXXXX`` escape, so the file is written as UTF-8 with
only those code points that UTF-8 can't encode (lone surrogates) escaped; parsing gives the same string.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import BinaryIO

from schemas.thread import Item, Thread


def capture_bytes(thread: Thread) -> bytes:
    """Canonical bytes of a thread: sorted keys, 2-space indent, UTF-8, lone surrogates escaped."""
    data = thread.model_dump(mode="json", exclude_none=False)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    # A lone surrogate can only stand inside a JSON string, where "\udXXX" is a valid escape for it.
    return text.encode("utf-8", errors="backslashreplace")


def capture_sha256(thread: Thread) -> str:
    return hashlib.sha256(capture_bytes(thread)).hexdigest()


def write_capture(handle: BinaryIO, header: Thread, comments: Iterable[Item]) -> None:
    """Write ``capture_bytes`` of ``header`` with ``comments`` (its own must be empty), one comment at a time."""
    if header.comments:
        raise ValueError("write_capture: the comments are streamed, not taken from the header")
    data = header.model_dump(mode="json", exclude_none=False)
    data["comments"] = None
    key = '\n  "comments": '  # a newline can't stand inside a JSON string: only the top-level key matches
    head, _, tail = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2).partition(key + "null")
    out = [head + key]
    separator = "[\n    "
    for item in comments:
        text = json.dumps(item.model_dump(mode="json", exclude_none=False), ensure_ascii=False, sort_keys=True,
                          indent=2)
        out.append(separator + text.replace("\n", "\n    "))
        separator = ",\n    "
        if len(out) > 64:
            handle.write("".join(out).encode("utf-8", errors="backslashreplace"))
            out.clear()
    out.append(("[]" if separator.startswith("[") else "\n  ]") + tail + "\n")
    handle.write("".join(out).encode("utf-8", errors="backslashreplace"))
