"""Font subsets across chunks: when two are equal, and the content-derived subset tag of each.

Each chunk is a separate reportlab document, so each embeds its own font subsets. Subsets with the same
glyph program, widths and ToUnicode map (the common case, see ``render.seed_subsets``) are written once
(``writer.ObjectCopier``). Every distinct subset gets a subset tag derived from its content, so no two
different fonts in the document share a ``BaseFont`` name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import cast

import pikepdf


def font_key(font: pikepdf.Object, stream_bytes: Callable[[pikepdf.Stream], bytes]) -> bytes:
    """A digest of everything that makes a simple TrueType font dictionary what it is (not its subset tag).

    ``stream_bytes`` gives a stream's bytes as they are written (compressed by the writer)."""
    digest = hashlib.sha256()
    base = str(font.get("/BaseFont", ""))
    digest.update(base.partition("+")[2].encode() if "+" in base else base.encode())
    digest.update(b"\0%d\0%d\0" % (int(font.get("/FirstChar", 0)), int(font.get("/LastChar", 0))))
    digest.update(font.get("/Widths", pikepdf.Array()).unparse())
    descriptor = font.get("/FontDescriptor")
    if descriptor is not None:
        for key in ("/FontFile2", "/FontFile", "/FontFile3"):
            if key in descriptor:
                digest.update(stream_bytes(cast(pikepdf.Stream, descriptor[key])))  # font programs are streams
    if "/ToUnicode" in font:
        digest.update(stream_bytes(cast(pikepdf.Stream, font.ToUnicode)))  # a CMap stream
    return digest.digest()


def subset_tag(font: pikepdf.Object, key: bytes) -> pikepdf.Name | None:
    """``/ABCDEF+PostScriptName`` with a tag derived from ``key``, or None if ``font`` is not a subset."""
    base = str(font.get("/BaseFont", "")).lstrip("/")
    if "+" not in base:
        return None
    tag = "".join(chr(ord("A") + byte % 26) for byte in key[:6])
    return pikepdf.Name("/" + tag + "+" + base.partition("+")[2])
