"""Turn reportlab output into PDF/A-2b (or -1b): metadata, OutputIntent, ToUnicode repair, stable bytes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import pikepdf

from schemas.errors import RenderError

ICC_PROFILE = Path(__file__).with_name("assets") / "sRGB-v2.icc"
OUTPUT_CONDITION = "sRGB IEC61966-2.1"
PRODUCER = "somearkiv PDF exporter (reportlab, pikepdf)"

# reportlab writes a non-BMP code point into ToUnicode as 5–6 hex digits ("<1F44D>"); PDF wants UTF-16BE.
_ASTRAL_BFCHAR = re.compile(rb"(<[0-9A-Fa-f]{2}> )<([0-9A-Fa-f]{5,6})>")


@dataclass(frozen=True)
class DocumentInfo:
    title: str
    author: str
    subject: str
    keywords: str
    created: datetime
    language: str = "nb-NO"


def pdf_date(moment: datetime) -> str:
    """A PDF date string (``D:YYYYMMDDHHmmSS+HH'mm'``) of an aware datetime."""
    offset = moment.utcoffset()
    if offset is None:
        raise RenderError(f"PDF-dato uten tidssone: {moment.isoformat()}")
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    stamp = (f"D:{moment.year:04d}{moment.month:02d}{moment.day:02d}"  # strftime's %Y has no zeros before 1000
             f"{moment.hour:02d}{moment.minute:02d}{moment.second:02d}")
    return stamp + f"{sign}{minutes // 60:02d}'{minutes % 60:02d}'"


def _utf16_bfchar(match: re.Match[bytes]) -> bytes:
    cp = int(match.group(2), 16) - 0x10000
    return match.group(1) + b"<%04X%04X>" % (0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF))


# An Arabic presentation form (``rtl.shape`` draws letters in their contextual forms): the text layer gets the
# letters it stands for (NFKC; lam-alef gives two).
_PRESENTATION_BFCHAR = re.compile(rb"(<[0-9A-Fa-f]{2}> )<(F[B-Eb-e][0-9A-Fa-f]{2})>")


def _letters_bfchar(match: re.Match[bytes]) -> bytes:
    cp = int(match.group(2), 16)
    if not (0xFB50 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFF):
        return match.group(0)
    letters = unicodedata.normalize("NFKC", chr(cp))
    return match.group(1) + b"<" + letters.encode("utf-16-be").hex().upper().encode() + b">"


def fix_tounicode_bytes(data: bytes) -> bytes:
    """A ToUnicode CMap with reportlab's non-BMP entries rewritten as UTF-16 surrogate pairs and Arabic
    presentation forms mapped to their letters."""
    data = _ASTRAL_BFCHAR.sub(_utf16_bfchar, data)
    if b"<F" in data or b"<f" in data:
        data = _PRESENTATION_BFCHAR.sub(_letters_bfchar, data)
    return data


def fix_astral_tounicode(pdf: pikepdf.Pdf) -> int:
    """Rewrite reportlab's broken non-BMP ToUnicode entries as UTF-16 surrogate pairs; returns fixes made."""
    fixed = 0
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and "/ToUnicode" in obj:
            stream = obj.ToUnicode
            data = stream.read_bytes()
            repaired = fix_tounicode_bytes(data)
            if repaired != data:
                stream.write(repaired)
                fixed += 1
    return fixed


def _output_intent(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    icc = pikepdf.Stream(pdf, ICC_PROFILE.read_bytes())
    icc["/N"] = 3
    return pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent,
        S=pikepdf.Name.GTS_PDFA1,
        DestOutputProfile=icc,
        OutputConditionIdentifier=OUTPUT_CONDITION,
        Info=OUTPUT_CONDITION,
        RegistryName="http://www.color.org",
    )


def stamp_pdfa(
    src: Path,
    dst: Path,
    info: DocumentInfo,
    *,
    part: Literal["1", "2"] = "2",
    edit: Callable[[pikepdf.Pdf], None] | None = None,
) -> None:
    """Write ``src`` to ``dst`` as PDF/A-``part``b with deterministic bytes; ``edit`` may change pages first."""
    with pikepdf.open(src) as pdf:
        if edit is not None:
            edit(pdf)
        save_pdfa(pdf, dst, info, part=part)


def save_pdfa(pdf: pikepdf.Pdf, dst: Path, info: DocumentInfo, *, part: Literal["1", "2"] = "2") -> None:
    """Stamp the PDF/A-``part``b properties onto ``pdf`` and save it to ``dst`` with deterministic bytes."""
    fix_astral_tounicode(pdf)
    stamp_catalog(pdf, info, part=part)
    pdf.save(
        dst,
        deterministic_id=True,
        fix_metadata_version=True,
        force_version="1.4" if part == "1" else "",  # "": qpdf's own choice
        object_stream_mode=pikepdf.ObjectStreamMode.disable
        if part == "1"
        else pikepdf.ObjectStreamMode.generate,
        compress_streams=True,
    )


def stamp_catalog(pdf: pikepdf.Pdf, info: DocumentInfo, *, part: Literal["1", "2"] = "2") -> None:
    """OutputIntent, /Lang, printable annotations, document information and matching XMP metadata."""
    pdf.Root.OutputIntents = pikepdf.Array([_output_intent(pdf)])
    pdf.Root.Lang = pikepdf.String(info.language)
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            annot.F = 4  # print, and not hidden
    docinfo = pdf.docinfo
    for key in list(docinfo.keys()):
        del docinfo[key]
    date = pdf_date(info.created)
    docinfo.Title = pikepdf.String(info.title)
    docinfo.Author = pikepdf.String(info.author)
    docinfo.Subject = pikepdf.String(info.subject)
    docinfo.Keywords = pikepdf.String(info.keywords)
    docinfo.Creator = pikepdf.String("somearkiv")
    docinfo.Producer = pikepdf.String(PRODUCER)
    docinfo.CreationDate = pikepdf.String(date)
    docinfo.ModDate = pikepdf.String(date)
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta.load_from_docinfo(docinfo)
        meta["pdfaid:part"] = part
        meta["pdfaid:conformance"] = "B"
        meta["dc:language"] = [info.language]
