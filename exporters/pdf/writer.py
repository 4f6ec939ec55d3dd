"""Join the chunk PDFs into the final PDF/A file by streaming, so memory does not grow with the thread.

Each chunk (a small reportlab PDF on disk) is opened with pikepdf, the objects its pages use are written
to the output with new object numbers, and the chunk is closed again. Only the object numbers of the pages
and an array of object offsets stay in memory until the end (the outline entries wait in the chunks' files),
where the page tree, the outline, the document information, the XMP metadata and the OutputIntent are
written, then a classic cross-reference table and a trailer whose /ID is a hash of the content
(deterministic bytes).

Also done while copying:
- "Side x av y" is added to each page (the page count is known once every chunk is rendered);
- equal font subsets of different chunks are written once (``merge.font_key``), each distinct subset with
  a subset tag derived from its content, so no two different fonts share a ``BaseFont`` name;
- reportlab's non-BMP ToUnicode entries are repaired (``pdfa.fix_tounicode_bytes``);
- annotations are made printable (/F 4);
- reportlab's empty page transition dictionaries (/Trans) are left out;
- every stream the chunk left uncompressed is compressed here (``FLATE_LEVEL``), each distinct font program
  and ToUnicode map once per document (``StreamPacker``): reportlab writes the chunks uncompressed, so its own
  Flate filter is never involved.
"""

from __future__ import annotations

import hashlib
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, Literal

import pikepdf

from exporters.pdf.merge import font_key, subset_tag
from exporters.pdf.pdfa import fix_tounicode_bytes
from exporters.pdf.story import OutlineEntry
from schemas.errors import RenderError

PAGES_PER_NODE = 128  # kids per intermediate page tree node (PDF/A-1 limits arrays to 8191 elements)
# zlib level of every stream compressed here (page content above all, and the font programs). Level 3 instead of
# the default 6: a 5,000-comment thread's page content takes about a quarter less time to compress (18 of 70 ms)
# and grows 9 % (835 → 906 kB compressed; the whole file 3 %).
FLATE_LEVEL = 3
_FLATE_ENTRY = b"/Filter [/FlateDecode]"

_NAMES: dict[str, bytes] = {}


def _name(key: str) -> bytes:
    data = _NAMES.get(key)
    if data is None:
        data = _NAMES[key] = pikepdf.Name(key).unparse()
    return data


def _real(value: Decimal | float) -> bytes:
    text = format(Decimal(value) if isinstance(value, float) else value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return (text if text not in ("", "-", "-0") else "0").encode()


Ref = Callable[[pikepdf.Object], int]


def serialize(value: pikepdf.Object | Decimal | float | None, ref: Ref) -> bytes:
    """PDF syntax of a (direct) value; indirect objects inside become ``n 0 R`` with numbers from ``ref``."""
    if value is None:
        return b"null"
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, Decimal | float):
        return _real(value)
    if value.is_indirect:
        return b"%d 0 R" % ref(value)
    if isinstance(value, pikepdf.Dictionary):
        return serialize_dict(value, ref)
    if isinstance(value, pikepdf.Array):
        return b"[" + b" ".join(serialize(item, ref) for item in value) + b"]"
    return value.unparse()


def serialize_dict(value: pikepdf.Object, ref: Ref, *, skip: tuple[str, ...] = (), extra: bytes = b"",
                   flate: bool = False) -> bytes:
    """``value`` in PDF syntax; ``flate`` adds ``/Filter [/FlateDecode]`` where reportlab's sorted keys put it."""
    parts = [b"<<"]
    for key, item in value.items():
        if key in skip:
            continue
        if flate and key > "/Filter":
            parts.append(_FLATE_ENTRY)
            flate = False
        parts.append(_name(key) + b" " + serialize(item, ref))
    if flate:
        parts.append(_FLATE_ENTRY)
    if extra:
        parts.append(extra)
    parts.append(b">>")
    return b"\n".join(parts)


class PdfWriter:
    """Writes numbered objects to a file, keeping only their offsets; ``finish`` writes xref and trailer."""

    def __init__(self, handle: BinaryIO, version: str) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.offsets = array("q", [-1])  # by object number (0 unused); -1 = reserved, not yet written
        self.position = 0
        self.count = 0
        self._write(b"%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n" % version.encode())

    def _write(self, data: bytes) -> None:
        self.handle.write(data)
        self.digest.update(data)
        self.position += len(data)

    def reserve(self) -> int:
        self.count += 1
        self.offsets.append(-1)
        return self.count

    def add(self, body: bytes, number: int | None = None) -> int:
        number = self.reserve() if number is None else number
        self.offsets[number] = self.position
        self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
        return number

    def add_stream(self, dictionary: bytes, data: bytes, number: int | None = None) -> int:
        """``dictionary`` is the inside of the stream dictionary, without /Length."""
        body = b"<<%s /Length %d>>\nstream\n%s\nendstream" % (dictionary, len(data), data)
        return self.add(body, number)

    def finish(self, root: int, info: int) -> None:
        offsets = self.offsets
        missing = [number for number in range(1, self.count + 1) if offsets[number] < 0]
        if missing:
            raise RenderError(f"PDF-objekter reservert, men aldri skrevet: {missing[:5]}")
        file_id = self.digest.hexdigest()[:32].encode()
        start = self.position
        self._write(b"xref\n0 %d\n0000000000 65535 f \n" % (self.count + 1))
        end = self.count + 1
        for block in range(1, end, 4096):  # a block of rows at a time, not the whole table
            self._write(b"".join(b"%010d 00000 n \n" % offsets[n] for n in range(block, min(block + 4096, end))))
        self._write(b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
                    % (self.count + 1, root, info, file_id, file_id, start))


class StreamPacker:
    """Compresses the streams of one output document; font programs and ToUnicode maps (equal in most chunks)
    are remembered by content, so each distinct one is compressed once."""

    def __init__(self) -> None:
        self._memo: dict[bytes, bytes] = {}

    @staticmethod
    def packs(stream: pikepdf.Stream) -> bool:
        """True if ``pack`` compresses ``stream`` (it has no filter yet)."""
        return "/Filter" not in stream.stream_dict

    def pack(self, stream: pikepdf.Stream, *, remember: bool = False) -> bytes:
        """``stream``'s bytes as written: as they are when filtered already (``packs`` is False), else
        Flate-compressed (the written dictionary then gets ``/Filter [/FlateDecode]``)."""
        data = stream.read_raw_bytes()
        if not self.packs(stream):
            return data
        if not remember:
            return zlib.compress(data, FLATE_LEVEL)
        packed = self._memo.get(data)
        if packed is None:
            packed = self._memo[data] = zlib.compress(data, FLATE_LEVEL)
        return packed


class ObjectCopier:
    """Copies the objects of one source PDF into a ``PdfWriter``, renumbered; fonts pooled across sources."""

    def __init__(self, writer: PdfWriter, fonts: dict[bytes, int], packer: StreamPacker | None) -> None:
        self.writer = writer
        self.fonts = fonts
        self.packer = packer  # None: streams are copied as they are (the shell's XMP must stay unfiltered)
        self.packed: dict[tuple[int, int], bytes] = {}  # font streams packed for ``font_key``, by object
        self.numbers: dict[tuple[int, int], int] = {}
        self.queue: list[pikepdf.Object] = []
        self.cmaps: set[tuple[int, int]] = set()  # ToUnicode streams of the fonts copied

    def ref(self, obj: pikepdf.Object) -> int:
        number = self.numbers.get(obj.objgen)
        if number is not None:
            return number
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and obj.get("/Subtype") == "/TrueType":
            key = font_key(obj, self._font_stream)
            number = self.fonts.get(key)
            if number is None:
                number = self.fonts[key] = self.writer.reserve()
                tag = subset_tag(obj, key)
                if tag is not None:
                    obj.BaseFont = tag
                    if "/FontDescriptor" in obj:
                        obj.FontDescriptor.FontName = tag
                if "/ToUnicode" in obj and obj.ToUnicode.is_indirect:
                    self.cmaps.add(obj.ToUnicode.objgen)
                self.queue.append(obj)
            self.numbers[obj.objgen] = number
            return number
        number = self.numbers[obj.objgen] = self.writer.reserve()
        self.queue.append(obj)
        return number

    def _font_stream(self, stream: pikepdf.Stream) -> bytes:
        """A font program or ToUnicode map as written (packed once, kept until the stream is written)."""
        found = self.packed.get(stream.objgen)
        if found is None:
            found = stream.read_raw_bytes() if self.packer is None else self.packer.pack(stream, remember=True)
            self.packed[stream.objgen] = found
        return found

    def drain(self) -> None:
        while self.queue:
            obj = self.queue.pop()
            self.write(obj, self.numbers[obj.objgen])

    def write(self, obj: pikepdf.Object, number: int) -> None:
        if isinstance(obj, pikepdf.Stream):
            raw = self.packed.pop(obj.objgen, None)
            if raw is None:
                raw = obj.read_raw_bytes() if self.packer is None else self.packer.pack(obj)
            if obj.objgen in self.cmaps:
                data = obj.read_bytes()
                repaired = fix_tounicode_bytes(data)
                if repaired != data:  # ToUnicode CMap with non-BMP entries: rewrite, recompressed
                    raw = zlib.compress(repaired, 6)
                    body = serialize_dict(obj.stream_dict, self.ref, skip=("/Length", "/Filter", "/DecodeParms"))
                    self.writer.add_stream(body[2:-2] + b" /Filter /FlateDecode", raw, number)
                    return
            flate = self.packer is not None and self.packer.packs(obj)
            body = serialize_dict(obj.stream_dict, self.ref, skip=("/Length",), flate=flate)
            self.writer.add_stream(body[2:-2], raw, number)
        elif isinstance(obj, pikepdf.Dictionary):
            if "/Rect" in obj and "/Subtype" in obj:  # an annotation: printable, not hidden
                self.writer.add(serialize_dict(obj, self.ref, skip=("/F", "/P"), extra=b"/F 4"), number)
            else:
                self.writer.add(serialize_dict(obj, self.ref), number)
        else:
            self.writer.add(serialize(obj, self.ref) if not obj.is_indirect else obj.unparse(), number)


def write_document(
    out_path: Path,
    chunks: Iterable[tuple[Path, Iterable[OutlineEntry]]],
    total_pages: int,
    *,
    shell: pikepdf.Pdf,
    part: Literal["1", "2"],
    footer: Callable[[pikepdf.Page, int, int], bytes],
) -> None:
    """Write the final document from rendered chunks (in order) and a ``shell`` PDF holding the catalog extras.

    ``shell`` provides /Info (its docinfo), /Metadata, /OutputIntents and /Lang of the catalog. ``footer``
    returns the content stream to append to page ``number`` of ``total_pages``. Each chunk's outline entries
    are read twice, after all pages are written (``_write_outline``), so they can come from a file.
    """
    fonts: dict[bytes, int] = {}
    packer = StreamPacker()
    outline: list[tuple[Iterable[OutlineEntry], int]] = []  # per chunk: its entries and its first page's index
    with out_path.open("wb") as handle:
        writer = PdfWriter(handle, "1.4" if part == "1" else "1.7")
        pages_root = writer.reserve()
        nodes = [writer.reserve() for _ in range(-(-total_pages // PAGES_PER_NODE))]
        page_numbers: list[int] = []
        save_state = writer.add_stream(b"", b"q\n")
        for path, entries in chunks:
            with pikepdf.open(path) as pdf:
                copier = ObjectCopier(writer, fonts, packer)
                first = len(page_numbers)
                for page in pdf.pages:
                    index = len(page_numbers)
                    contents = page.obj.get("/Contents")
                    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
                    refs = [b"%d 0 R" % save_state]
                    refs += [serialize(stream, copier.ref) for stream in streams if stream is not None]
                    refs.append(b"%d 0 R" % writer.add_stream(b"", footer(page, index + 1, total_pages)))
                    number = writer.reserve()
                    extra = b"/Parent %d 0 R\n/Contents [%s]" % (nodes[index // PAGES_PER_NODE], b" ".join(refs))
                    # /Trans: reportlab gives every page an empty transition dictionary, a presentation effect
                    # an archival document has no use for (PDF/A checkers can't vouch for it either)
                    body = serialize_dict(page.obj, copier.ref, skip=("/Parent", "/Contents", "/Trans"), extra=extra)
                    copier.drain()
                    writer.add(body, number)
                    page_numbers.append(number)
                outline.append((entries, first))
        for n, node in enumerate(nodes):
            kids = page_numbers[n * PAGES_PER_NODE : (n + 1) * PAGES_PER_NODE]
            writer.add(b"<< /Type /Pages /Parent %d 0 R /Kids [%s] /Count %d >>"
                       % (pages_root, b" ".join(b"%d 0 R" % k for k in kids), len(kids)), node)
        writer.add(b"<< /Type /Pages /Kids [%s] /Count %d >>"
                   % (b" ".join(b"%d 0 R" % n for n in nodes), total_pages), pages_root)
        outlines = _write_outline(writer, outline, page_numbers)
        shell_copier = ObjectCopier(writer, {}, None)
        catalog = [b"/Type /Catalog", b"/Pages %d 0 R" % pages_root]
        if outlines is not None:
            catalog += [b"/Outlines %d 0 R" % outlines, b"/PageMode /UseOutlines"]
        for key in ("/Metadata", "/OutputIntents", "/Lang"):
            if key in shell.Root:
                catalog.append(_name(key) + b" " + serialize(shell.Root[key], shell_copier.ref))
        shell_copier.drain()
        info = shell.trailer.Info
        info_number = shell_copier.ref(info) if info.is_indirect else writer.add(serialize_dict(info, shell_copier.ref))
        shell_copier.drain()
        root = writer.add(b"<< " + b"\n".join(catalog) + b" >>")
        writer.finish(root, info_number)


def _write_outline(
    writer: PdfWriter, chunks: list[tuple[Iterable[OutlineEntry], int]], page_numbers: list[int]
) -> int | None:
    """Level 0 entries with their level 1 children; level 0 entries are closed (reportlab's ``closed=True``).

    Two passes over the entries (``chunks``: each chunk's entries and the index of its first page): the first
    counts the children of each level 0 entry, the second writes every entry, numbered in document order after
    the outline root, so no entry is kept in memory.
    """
    tops: list[list[int]] = []  # per level 0 entry: its position among all entries, its number of children
    count = 0
    for entries, _ in chunks:
        for entry in entries:
            if entry.level == 0 or not tops:
                tops.append([count, 0])
            else:
                tops[-1][1] += 1
            count += 1
    if not count:
        return None
    root = writer.reserve()
    base = root + 1  # entry k is object base + k
    for _ in range(count):
        writer.reserve()

    def node(number: int, page: int, entry: OutlineEntry, parent: int, prev: int | None, nxt: int | None,
             children: int) -> None:
        parts = [b"/Title " + pikepdf.String(entry.title).unparse(), b"/Parent %d 0 R" % parent,
                 b"/Dest [%d 0 R /XYZ null %s null]" % (page, _real(Decimal(str(entry.top))))]
        if prev is not None:
            parts.append(b"/Prev %d 0 R" % prev)
        if nxt is not None:
            parts.append(b"/Next %d 0 R" % nxt)
        if children:
            parts += [b"/First %d 0 R" % (number + 1), b"/Last %d 0 R" % (number + children), b"/Count %d" % -children]
        writer.add(b"<< " + b"\n".join(parts) + b" >>", number)

    top, parent = -1, root
    for k, (page, entry) in enumerate(_placed(chunks, page_numbers)):
        number = base + k
        if top + 1 < len(tops) and tops[top + 1][0] == k:
            top += 1
            prev = base + tops[top - 1][0] if top else None
            nxt = base + tops[top + 1][0] if top + 1 < len(tops) else None
            node(number, page, entry, root, prev, nxt, tops[top][1])
            parent = number
        else:
            child = k - tops[top][0] - 1
            node(number, page, entry, parent, number - 1 if child else None,
                 number + 1 if child + 1 < tops[top][1] else None, 0)
    writer.add(b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>"
               % (base + tops[0][0], base + tops[-1][0], len(tops)), root)
    return root


def _placed(chunks: list[tuple[Iterable[OutlineEntry], int]], page_numbers: list[int]) -> Iterator[
        tuple[int, OutlineEntry]]:
    """The outline entries in order with the object number of their page."""
    for entries, first in chunks:
        for entry in entries:
            yield page_numbers[first + entry.page - 1], entry
