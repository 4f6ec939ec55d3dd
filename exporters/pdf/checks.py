"""PDF/A-1b/-2b checks: pikepdf's independent validator plus what it does not look at (veraPDF is not here).

``check_pdfa`` returns ``schemas.findings.Finding``s (rule ids in English, messages in Norwegian); no finding
means every check passed. First ``pikepdf.pdfa.validate_written`` (an allowlist validator with veraPDF's rule
ids: header and version, trailer, encryption, XMP identification, OutputIntent and ICC profile, actions,
annotations, images, ...): any finding of it, a violation or a construct it can't vouch for, is reported with
its own rule id. Then our own checks of what it leaves alone: the Info dictionary agreeing with the XMP
metadata, every font embedded (no base-14 font anywhere), no glyph shown as .notdef, and this exporter's
stricter policy of no transparency at all (PDF/A-2 would allow some).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Literal

import pikepdf

from schemas.findings import Finding

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


def _check_metadata(pdf: pikepdf.Pdf) -> Iterator[Finding]:
    """The Info dictionary and the XMP metadata say the same (pikepdf checks the XMP identification itself)."""
    if not isinstance(pdf.Root.get("/Metadata"), pikepdf.Stream):
        return  # reported by pikepdf (no metadata stream)
    meta = pdf.open_metadata()
    info = pdf.trailer.get("/Info") or pikepdf.Dictionary()
    title = str(info.get("/Title", "")) or None
    if title is not None and meta.get("dc:title") != title:
        yield _finding("pdfa-info-xmp-title", f"dc:title {meta.get('dc:title')!r} er ikke Info /Title {title!r}")
    author = str(info.get("/Author", "")) or None
    creators = meta.get("dc:creator")
    if author is not None and (not creators or next(iter(creators)) != author):
        yield _finding("pdfa-info-xmp-author", f"dc:creator {creators!r} er ikke Info /Author {author!r}")
    for key, xmp_key in (("/CreationDate", "xmp:CreateDate"), ("/ModDate", "xmp:ModifyDate")):
        if key not in info:
            continue
        info_date, xmp_value = _pdf_date(str(info[key])), meta.get(xmp_key)
        if xmp_value is None:
            yield _finding("pdfa-info-xmp-date", f"Info {key} har ingen {xmp_key} i XMP")
        elif info_date is None or _xmp_date(xmp_value) != info_date:
            yield _finding("pdfa-info-xmp-date", f"{xmp_key} {xmp_value!r} er ikke Info {key} {str(info[key])!r}")
    producer = str(info.get("/Producer", "")) or None
    if producer is not None and meta.get("pdf:Producer") != producer:
        yield _finding("pdfa-info-xmp-producer", "pdf:Producer er ikke Info /Producer")
    if "/Trapped" in info:
        yield _finding("pdfa-info-xmp-trapped", "Info /Trapped har ingen tvilling i XMP")


def _resources_in(pdf: pikepdf.Pdf) -> Iterator[tuple[str, pikepdf.Object, pikepdf.Object]]:
    """(where, content owner, resources) for every page and every form XObject reachable from pages."""
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[str, pikepdf.Object]] = [(f"side {n}", page.obj) for n, page in enumerate(pdf.pages, 1)]
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
                stack.append((f"{where} skjema {name}", xobject))
        for name, font in (resources.get("/Font") or {}).items():
            if font.get("/Subtype") == "/Type3" and "/Resources" in font:
                stack.append((f"{where} Type3-skrift {name}", font))


def _font_file(font: pikepdf.Object) -> pikepdf.Stream | None:
    """The embedded font program of a font dictionary (that of its first descendant for a Type0 font)."""
    if font.get("/Subtype") == "/Type0":
        descendants: pikepdf.Object | list[pikepdf.Object] = font.get("/DescendantFonts") or []
        font = descendants[0] if len(descendants) else pikepdf.Dictionary()
    descriptor = font.get("/FontDescriptor") or pikepdf.Dictionary()
    for key in ("/FontFile", "/FontFile2", "/FontFile3"):
        file = descriptor.get(key)
        if isinstance(file, pikepdf.Stream):
            return file
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

            def arr(k: int) -> tuple[int, ...]:
                return struct.unpack(f">{segs}H", data[start + 14 + k : start + 14 + k + 2 * segs])

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


def _check_fonts(pdf: pikepdf.Pdf) -> Iterator[Finding]:
    glyph_maps: dict[tuple[int, int], dict[int, int] | None] = {}
    for where, owner, resources in _resources_in(pdf):
        fonts = resources.get("/Font") or pikepdf.Dictionary()
        for name, font in fonts.items():
            base = str(font.get("/BaseFont", "")).lstrip("/")
            subtype = font.get("/Subtype")
            if base.split("+")[-1] in BASE14 and _font_file(font) is None:
                yield _finding("pdfa-font-base14", f"bruker den ikke innebygde standardskriften {base} som {name}",
                               where)
            elif subtype != "/Type3" and _font_file(font) is None:
                yield _finding("pdfa-font-not-embedded", f"skriften {name} ({base}) er ikke innebygd", where)
        yield from _check_notdef(pdf, where, owner, fonts, glyph_maps)


def _check_notdef(
    pdf: pikepdf.Pdf,
    where: str,
    owner: pikepdf.Object,
    fonts: pikepdf.Object,
    glyph_maps: dict[tuple[int, int], dict[int, int] | None],
) -> Iterator[Finding]:
    """Every byte shown with a simple TrueType font must map to a real glyph, never glyph 0 (.notdef)."""
    current = None
    try:
        instructions = pikepdf.parse_content_stream(owner)
    except pikepdf.PdfError as exc:
        yield _finding("pdfa-content-unparsable", f"innholdet kan ikke leses: {exc}", where)
        return
    reported = 0
    for instruction in instructions:
        operands, operator = instruction.operands, instruction.operator
        op = str(operator)
        if op == "Tf":
            name = str(operands[0])
            current = fonts.get(name)
            if current is None:
                yield _finding("pdfa-font-missing", f"velger skriften {name}, som ikke er i ressursene", where)
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
                    yield _finding("pdfa-glyph-notdef",
                                   f"viser kode {code} i {current.get('/BaseFont')} som .notdef (glyf 0)", where)


def _check_transparency(pdf: pikepdf.Pdf) -> Iterator[Finding]:
    """No transparency at all: this exporter's policy, stricter than PDF/A-2 (which pikepdf checks)."""
    for where, owner, resources in _resources_in(pdf):
        group = owner.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and group.get("/S") == "/Transparency":
            yield _finding("pdfa-transparency-group", "har en transparensgruppe", where)
        for name, xobject in (resources.get("/XObject") or {}).items():
            smask = xobject.get("/SMask")
            if xobject.get("/Subtype") == "/Image" and smask is not None and smask != pikepdf.Name.None_:
                yield _finding("pdfa-transparency-smask", f"bildet {name} har en myk maske (SMask)", where)
        for name, state in (resources.get("/ExtGState") or {}).items():
            smask = state.get("/SMask")
            if smask is not None and smask != pikepdf.Name.None_:
                yield _finding("pdfa-transparency-smask", f"ExtGState {name} har en myk maske", where)
            for key in ("/CA", "/ca"):
                if key in state and float(state[key]) != 1.0:
                    yield _finding("pdfa-transparency-alpha", f"ExtGState {name} setter {key} {float(state[key])}",
                                   where)
            if state.get("/BM") not in (None, pikepdf.Name.Normal, pikepdf.Name.Compatible):
                yield _finding("pdfa-transparency-blend", f"ExtGState {name} bruker blandemodus {state.get('/BM')}",
                               where)


def _independent(path: Path, part: str) -> Iterator[Finding]:
    """pikepdf's PDF/A validator on the written file: each of its findings, with its own rule id."""
    import pikepdf.pdfa  # with its schemas and fontTools: only where PDFs are checked, not where they are made

    report = pikepdf.pdfa.validate_written(path, f"{part}b")
    for found in report.findings:
        kind = "brudd" if found.kind == "violation" else "ikke kontrollerbart"
        yield _finding(found.rule, f"uavhengig PDF/A-{part}b-kontroll (pikepdf), {kind}: {found.message}",
                       f"{path.name}: {found.where}")


def check_pdfa(path: Path, *, part: Literal["1", "2"] = "2") -> list[Finding]:
    """Check ``path`` as PDF/A-``part``b; returns what was found (empty = every check passed)."""
    path = Path(path)
    findings = list(_independent(path, part))
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PdfError as exc:
        return [*findings, _finding("pdfa-file-unreadable", f"kan ikke åpnes: {exc}", path.name)]
    with pdf:
        findings += _check_metadata(pdf)
        findings += _check_fonts(pdf)
        findings += _check_transparency(pdf)
    return findings


def _finding(rule: str, message: str, where: str = "") -> Finding:
    return Finding(rule=rule, message=message, where=where)
