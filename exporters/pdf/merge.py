"""Join the chunk PDFs of one thread into one document: pages, shared fonts, one outline.

Each chunk is a separate reportlab document, so each embeds its own font subsets. Subsets with the same
glyph program, widths and ToUnicode map (the common case, see ``render.seed_subsets``) are stored once.
Every distinct subset gets a subset tag derived from its content, so no two different fonts in the
document share a ``BaseFont`` name. The outline is built here from the entries the chunks recorded.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Sequence

import pikepdf

from exporters.pdf.story import OutlineEntry


class FontPool:
    """Canonical font dictionaries of the joined document, keyed by content."""

    def __init__(self) -> None:
        self._by_content: dict[bytes, pikepdf.Object] = {}
        self._by_objgen: dict[tuple[int, int], pikepdf.Object] = {}

    @staticmethod
    def _content_key(font: pikepdf.Object) -> bytes:
        digest = hashlib.sha256()
        base = str(font.get("/BaseFont", ""))
        digest.update(base.partition("+")[2].encode() if "+" in base else base.encode())
        digest.update(b"\0%d\0%d\0" % (int(font.get("/FirstChar", 0)), int(font.get("/LastChar", 0))))
        digest.update(font.get("/Widths", pikepdf.Array()).unparse())
        descriptor = font.get("/FontDescriptor")
        if descriptor is not None:
            for key in ("/FontFile2", "/FontFile", "/FontFile3"):
                if key in descriptor:
                    digest.update(descriptor[key].read_raw_bytes())
        if "/ToUnicode" in font:
            digest.update(font.ToUnicode.read_raw_bytes())
        return digest.digest()

    def canonical(self, font: pikepdf.Object) -> pikepdf.Object:
        """The pooled font equal to ``font`` (``font`` itself, retagged, if it is the first of its kind)."""
        if not font.is_indirect or font.get("/Subtype") != "/TrueType":
            return font
        known = self._by_objgen.get(font.objgen)
        if known is not None:
            return known
        key = self._content_key(font)
        pooled = self._by_content.get(key)
        if pooled is None:
            pooled = self._by_content[key] = font
            _retag(font, key)
        self._by_objgen[font.objgen] = pooled
        return pooled


def _retag(font: pikepdf.Object, key: bytes) -> None:
    """Give a subset font a tag (``ABCDEF+``) derived from its content."""
    base = str(font.get("/BaseFont", "")).lstrip("/")
    if "+" not in base:
        return
    tag = "".join(chr(ord("A") + byte % 26) for byte in key[:6])
    name = pikepdf.Name("/" + tag + "+" + base.partition("+")[2])
    font.BaseFont = name
    descriptor = font.get("/FontDescriptor")
    if descriptor is not None:
        descriptor.FontName = name


def append_chunk(out: pikepdf.Pdf, chunk: pikepdf.Pdf, fonts: FontPool) -> None:
    """Append the pages of ``chunk`` to ``out``, pointing their fonts at pooled equal fonts."""
    first = len(out.pages)
    out.pages.extend(chunk.pages)
    for page in out.pages[first:]:
        resources = page.obj.get("/Resources")
        if resources is None or "/Font" not in resources:
            continue
        page_fonts = resources.Font
        for name in list(page_fonts.keys()):
            font = page_fonts[name]
            pooled = fonts.canonical(font)
            if pooled.objgen != font.objgen:
                page_fonts[name] = pooled


def build_outline(pdf: pikepdf.Pdf, entries: Iterable[tuple[int, OutlineEntry]]) -> None:
    """The document outline from ``(page index, entry)`` pairs: level 0 entries, each with its level 1 children.

    Level 0 entries are closed (their children hidden) like reportlab's ``closed=True``.
    """
    root = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    tops: list[tuple[pikepdf.Object, list[pikepdf.Object]]] = []
    pages = pdf.pages
    for page_index, entry in entries:
        destination = pikepdf.Array([pages[page_index].obj, pikepdf.Name.XYZ, None, entry.top, None])
        node = pdf.make_indirect(pikepdf.Dictionary(Title=pikepdf.String(entry.title), Dest=destination))
        if entry.level == 0 or not tops:
            node.Parent = root
            tops.append((node, []))
        else:
            parent = tops[-1][0]
            node.Parent = parent
            tops[-1][1].append(node)
    _link(root, [node for node, _ in tops])
    root.Count = len(tops)
    for node, children in tops:
        if children:
            _link(node, children)
            node.Count = -len(children)
    if tops:
        pdf.Root.Outlines = root
        pdf.Root.PageMode = pikepdf.Name.UseOutlines


def _link(parent: pikepdf.Object, children: Sequence[pikepdf.Object]) -> None:
    if not children:
        return
    parent.First = children[0]
    parent.Last = children[-1]
    for before, after in itertools.pairwise(children):
        before.Next = after
        after.Prev = before
