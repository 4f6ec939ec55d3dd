"""Offline PDF/A-1b/-2b property checks with pikepdf (veraPDF is not available here).

``check_pdfa`` returns a list of human-readable problems; an empty list means every check passed.
It covers what our renderer could get wrong: file header, encryption, trailer ID, XMP identification
and its agreement with the Info dictionary, the OutputIntent and its ICC profile, font embedding (no
base-14 font anywhere), transparency, JavaScript/actions, annotation flags, and glyphs shown as .notdef.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Literal

import pikepdf

BASE14 = {
    "Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique", "Helvetica", "Helvetica-Bold",
    "Helvetica-Oblique", "Helvetica-BoldOblique", "Times-Roman", "Times-Bold", "Times-Italic",
    "Times-BoldItalic", "Symbol", "ZapfDingbats", "Arial", "ArialMT", "TimesNewRoman", "CourierNew",
}
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz]|[+-]\d{2}'?\d{2}'?)?")


def _pdf_date(value: str) -> datetime | None:
    match = _PDF_DATE.match(value)
    if not match:
        return None
    parts = [int(g) if g else d for g, d in zip(match.groups()[:6], (0, 1, 1, 0, 0, 0), strict=True)]
    zone = match.group(7) or "Z"
    iso = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}".format(*parts)
    if zone.upper() == "Z":
        iso += "+00:00"
    else:
        digits = zone.replace("'", "")
        iso += f"{digits[:3]}:{digits[3:5]}"
    return datetime.fromisoformat(iso)


def _xmp_date(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _check_header(path: Path, part: str) -> Iterator[str]:
    with path.open("rb") as handle:
        head = handle.read(64)
    match = re.match(rb"%PDF-1\.(\d)\r?\n?", head)
    if not match:
        yield "header: file does not start with %PDF-1.x"
        return
    minor = int(match.group(1))
    if part == "1" and minor > 4:
        yield f"header: PDF/A-1 needs PDF 1.4 or lower, file says 1.{minor}"
    if part == "2" and minor > 7:
        yield f"header: PDF/A-2 needs PDF 1.7 or lower, file says 1.{minor}"
    second = head[match.end() :].lstrip(b"\r\n")
    comment = re.match(rb"%([^\r\n]{4,})", second)
    if not comment or sum(b >= 128 for b in comment.group(1)[:4]) < 4:
        yield "header: no binary comment (4 bytes >= 128) on the second line"


def _check_trailer(pdf: pikepdf.Pdf) -> Iterator[str]:
    if pdf.is_encrypted or "/Encrypt" in pdf.trailer:
        yield "trailer: the file is encrypted"
    file_id = pdf.trailer.get("/ID")
    if not isinstance(file_id, pikepdf.Array) or len(file_id) != 2:
        yield "trailer: no /ID array with two strings"


def _check_metadata(pdf: pikepdf.Pdf, part: str) -> Iterator[str]:
    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, pikepdf.Stream):
        yield "metadata: no XMP metadata stream in the catalog"
        return
    if part == "1" and "/Filter" in stream:
        yield "metadata: PDF/A-1 does not allow a filtered XMP stream"
    meta = pdf.open_metadata()
    if meta.get("pdfaid:part") != part:
        yield f"metadata: pdfaid:part is {meta.get('pdfaid:part')!r}, expected {part!r}"
    if (meta.get("pdfaid:conformance") or "").upper() not in ("A", "B", "U"):
        yield f"metadata: pdfaid:conformance is {meta.get('pdfaid:conformance')!r}"
    info = pdf.trailer.get("/Info") or pikepdf.Dictionary()
    title = str(info.get("/Title", "")) or None
    if title is not None and meta.get("dc:title") != title:
        yield f"metadata: dc:title {meta.get('dc:title')!r} differs from Info /Title {title!r}"
    author = str(info.get("/Author", "")) or None
    creators = meta.get("dc:creator")
    if author is not None and (not creators or next(iter(creators)) != author):
        yield f"metadata: dc:creator {creators!r} differs from Info /Author {author!r}"
    for key, xmp_key in (("/CreationDate", "xmp:CreateDate"), ("/ModDate", "xmp:ModifyDate")):
        if key not in info:
            continue
        info_date, xmp_value = _pdf_date(str(info[key])), meta.get(xmp_key)
        if xmp_value is None:
            yield f"metadata: Info {key} has no {xmp_key} twin in XMP"
        elif info_date is None or _xmp_date(xmp_value) != info_date:
            yield f"metadata: {xmp_key} {xmp_value!r} differs from Info {key} {str(info[key])!r}"
    producer = str(info.get("/Producer", "")) or None
    if producer is not None and meta.get("pdf:Producer") != producer:
        yield "metadata: pdf:Producer differs from Info /Producer"
    if "/Trapped" in info:
        yield "metadata: Info /Trapped has no XMP twin"


def _check_output_intent(pdf: pikepdf.Pdf, part: str) -> Iterator[str]:
    intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == "/GTS_PDFA1"]
    if not intents:
        yield "output intent: no /GTS_PDFA1 OutputIntent"
        return
    profile = intents[0].get("/DestOutputProfile")
    if not isinstance(profile, pikepdf.Stream):
        yield "output intent: no embedded ICC profile (DestOutputProfile)"
        return
    data = profile.read_bytes()
    if len(data) < 128 or data[36:40] != b"acsp":
        yield "output intent: DestOutputProfile is not an ICC profile"
        return
    major = data[8]
    if part == "1" and major > 2:
        yield f"output intent: PDF/A-1 needs an ICC v2 profile, this is v{major}"
    if data[16:20] == b"RGB " and int(profile.get("/N", 0)) != 3:
        yield "output intent: RGB profile without /N 3"


def _resources_in(pdf: pikepdf.Pdf) -> Iterator[tuple[str, pikepdf.Object, pikepdf.Dictionary]]:
    """(where, content owner, resources) for every page and every form XObject reachable from pages."""
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[str, pikepdf.Object]] = [(f"page {n}", page.obj) for n, page in enumerate(pdf.pages, 1)]
    while stack:
        where, owner = stack.pop()
        if owner.is_indirect:
            if owner.objgen in seen:
                continue
            seen.add(owner.objgen)
        resources = owner.get("/Resources") or pikepdf.Dictionary()
        yield where, owner, resources
        for name, xobject in (resources.get("/XObject") or {}).items():
            if xobject.get("/Subtype") == "/Form":
                stack.append((f"{where} form {name}", xobject))
        for name, font in (resources.get("/Font") or {}).items():
            if font.get("/Subtype") == "/Type3" and "/Resources" in font:
                stack.append((f"{where} Type3 font {name}", font))


def _font_file(font: pikepdf.Dictionary) -> pikepdf.Stream | None:
    if font.get("/Subtype") == "/Type0":
        descendants = font.get("/DescendantFonts") or []
        font = descendants[0] if len(descendants) else pikepdf.Dictionary()
    descriptor = font.get("/FontDescriptor") or pikepdf.Dictionary()
    for key in ("/FontFile", "/FontFile2", "/FontFile3"):
        if isinstance(descriptor.get(key), pikepdf.Stream):
            return descriptor[key]
    return None


def _truetype_code_to_glyph(data: bytes) -> dict[int, int] | None:
    """The (1,0) or (3,0) cmap of an embedded simple TrueType font as code → glyph id (formats 0/4/6)."""
    try:
        num_tables = struct.unpack(">H", data[4:6])[0]
        tables = {data[12 + 16 * i : 16 + 16 * i]: struct.unpack(">I", data[20 + 16 * i : 24 + 16 * i])[0]
                  for i in range(num_tables)}
        cmap = tables.get(b"cmap")
        if cmap is None:
            return None
        count = struct.unpack(">H", data[cmap + 2 : cmap + 4])[0]
        subtables = {}
        for i in range(count):
            platform, encoding, offset = struct.unpack(">HHI", data[cmap + 4 + 8 * i : cmap + 12 + 8 * i])
            subtables[(platform, encoding)] = cmap + offset
        start = subtables.get((1, 0), subtables.get((3, 0)))
        if start is None:
            return None
        fmt = struct.unpack(">H", data[start : start + 2])[0]
        if fmt == 0:
            return dict(enumerate(data[start + 6 : start + 262]))
        if fmt == 6:
            first, n = struct.unpack(">HH", data[start + 6 : start + 10])
            ids = struct.unpack(f">{n}H", data[start + 10 : start + 10 + 2 * n])
            return {first + i: g for i, g in enumerate(ids)}
        if fmt == 4:
            segs = struct.unpack(">H", data[start + 6 : start + 8])[0] // 2
            arr = lambda k: struct.unpack(f">{segs}H", data[start + 14 + k : start + 14 + k + 2 * segs])  # noqa: E731
            ends, starts = arr(0), arr(2 * segs + 2)
            deltas, ranges = arr(4 * segs + 2), arr(6 * segs + 2)
            mapping: dict[int, int] = {}
            for i in range(segs):
                for code in range(starts[i], min(ends[i], 0xFF) + 1):
                    if ranges[i] == 0:
                        glyph = (code + deltas[i]) & 0xFFFF
                    else:
                        pos = start + 14 + 6 * segs + 2 + 2 * i + ranges[i] + 2 * (code - starts[i])
                        glyph = struct.unpack(">H", data[pos : pos + 2])[0]
                        glyph = (glyph + deltas[i]) & 0xFFFF if glyph else 0
                    mapping[code] = glyph
            return mapping
    except (struct.error, IndexError):
        return None
    return None


def _check_fonts(pdf: pikepdf.Pdf) -> Iterator[str]:
    glyph_maps: dict[tuple[int, int], dict[int, int] | None] = {}
    for where, owner, resources in _resources_in(pdf):
        fonts = resources.get("/Font") or pikepdf.Dictionary()
        for name, font in fonts.items():
            base = str(font.get("/BaseFont", "")).lstrip("/")
            subtype = font.get("/Subtype")
            if base.split("+")[-1] in BASE14 and _font_file(font) is None:
                yield f"fonts: {where} references non-embedded base-14 font {base} as {name}"
            elif subtype != "/Type3" and _font_file(font) is None:
                yield f"fonts: {where} font {name} ({base}) is not embedded"
        yield from _check_notdef(pdf, where, owner, fonts, glyph_maps)


def _check_notdef(
    pdf: pikepdf.Pdf,
    where: str,
    owner: pikepdf.Object,
    fonts: pikepdf.Dictionary,
    glyph_maps: dict[tuple[int, int], dict[int, int] | None],
) -> Iterator[str]:
    """Every byte shown with a simple TrueType font must map to a real glyph, never glyph 0 (.notdef)."""
    current = None
    try:
        instructions = pikepdf.parse_content_stream(owner)
    except pikepdf.PdfError as exc:
        yield f"content: {where}: content stream can't be parsed: {exc}"
        return
    reported = 0
    for operands, operator in instructions:
        op = str(operator)
        if op == "Tf":
            name = str(operands[0])
            current = fonts.get(name)
            if current is None:
                yield f"fonts: {where} selects font {name}, which is not in its resources"
            continue
        if op not in ("Tj", "TJ", "'", '"') or current is None or current.get("/Subtype") != "/TrueType":
            continue
        file = _font_file(current)
        if file is None:
            continue
        key = file.objgen
        if key not in glyph_maps:
            glyph_maps[key] = _truetype_code_to_glyph(file.read_bytes())
        code_map = glyph_maps[key]
        if code_map is None:
            continue
        strings = operands[0] if op == "TJ" else operands[-1:]
        for item in strings:
            if not isinstance(item, pikepdf.String):
                continue
            for code in bytes(item):
                if code_map.get(code, 0) == 0 and reported < 5:
                    reported += 1
                    yield f"glyphs: {where} shows code {code} of {current.get('/BaseFont')} as .notdef (glyph 0)"


def _check_transparency_and_actions(pdf: pikepdf.Pdf) -> Iterator[str]:
    root = pdf.Root
    if "/AA" in root:
        yield "actions: catalog has /AA"
    names = root.get("/Names") or pikepdf.Dictionary()
    if "/JavaScript" in names:
        yield "actions: document-level JavaScript"
    if "/EmbeddedFiles" in names:
        yield "embedded files: not allowed in PDF/A-1b/-2b output of this exporter"
    open_action = root.get("/OpenAction")
    if isinstance(open_action, pikepdf.Dictionary) and open_action.get("/S") in ("/JavaScript", "/Launch"):
        yield "actions: OpenAction runs JavaScript or launches a program"
    for n, page in enumerate(pdf.pages, 1):
        if "/AA" in page.obj:
            yield f"actions: page {n} has /AA"
        group = page.obj.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and group.get("/S") == "/Transparency":
            yield f"transparency: page {n} has a transparency group"
        for annot in page.obj.get("/Annots") or []:
            flags = int(annot.get("/F", 0))
            if not flags & 4 or flags & (1 | 2 | 32):
                yield f"annotations: page {n} has an annotation that is not printable (F={flags})"
            action = annot.get("/A") or pikepdf.Dictionary()
            if "/AA" in annot or action.get("/S") in ("/JavaScript", "/Launch"):
                yield f"actions: page {n} annotation has JavaScript or additional actions"
    for where, owner, resources in _resources_in(pdf):
        group = owner.get("/Group") if where.count("form") else None
        if isinstance(group, pikepdf.Dictionary) and group.get("/S") == "/Transparency":
            yield f"transparency: {where} has a transparency group"
        for name, xobject in (resources.get("/XObject") or {}).items():
            if xobject.get("/Subtype") != "/Image":
                continue
            smask = xobject.get("/SMask")
            if smask is not None and smask != pikepdf.Name.None_:
                yield f"transparency: {where} image {name} has a soft mask (SMask)"
            if xobject.get("/Interpolate") is True:
                yield f"images: {where} image {name} has /Interpolate true"
            if "/Alternates" in xobject or "/OPI" in xobject:
                yield f"images: {where} image {name} has /Alternates or /OPI"
            filters = xobject.get("/Filter")
            if filters is not None and "/LZWDecode" in (
                [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else [str(filters)]
            ):
                yield f"images: {where} image {name} uses LZW compression"
        for name, state in (resources.get("/ExtGState") or {}).items():
            smask = state.get("/SMask")
            if smask is not None and smask != pikepdf.Name.None_:
                yield f"transparency: {where} ExtGState {name} has a soft mask"
            for key in ("/CA", "/ca"):
                if key in state and float(state[key]) != 1.0:
                    yield f"transparency: {where} ExtGState {name} sets {key} {float(state[key])}"
            if state.get("/BM") not in (None, pikepdf.Name.Normal, pikepdf.Name.Compatible):
                yield f"transparency: {where} ExtGState {name} uses blend mode {state.get('/BM')}"


def check_pdfa(path: Path, *, part: Literal["1", "2"] = "2") -> list[str]:
    """Check the PDF/A-``part``b properties of ``path``; returns the problems found (empty = all pass)."""
    path = Path(path)
    problems = list(_check_header(path, part))
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PdfError as exc:
        return [*problems, f"file: can't be opened: {exc}"]
    with pdf:
        problems += _check_trailer(pdf)
        problems += _check_metadata(pdf, part)
        problems += _check_output_intent(pdf, part)
        problems += _check_fonts(pdf)
        problems += _check_transparency_and_actions(pdf)
    return problems
