"""Parsing XML that comes from outside (a package, an uttrekk, a bucket): no DTD, no entities, size limits.

Noark 5, ADDML and Fiks Arkiv files never need a DOCTYPE, so a document that declares one is refused before
libxml2 sees it (an internal entity made the streaming XSD validator crash the process; billion laughs and
external entities are the other reasons). Every parser here also has entity resolution, DTD loading and
network access off and libxml2's default limits on (``huge_tree`` off: nesting deeper than 256 levels and text
nodes over 10 MB are errors), and files are checked against a size limit before they are opened.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from schemas.errors import InputError

# How much of a file's start is read to find its prolog (XML declaration, comments, PIs, DOCTYPE).
PROLOG_SCAN_BYTES = 64 * 1024
GIB = 1 << 30
MIB = 1 << 20


@dataclass(frozen=True)
class XmlLimits:
    """Size limits for XML read from outside; ``small`` applies to files parsed as a whole tree."""

    max_streamed_bytes: int = 64 * GIB  # arkivstruktur.xml, journals, endringslogg (streamed, memory stays flat)
    max_small_bytes: int = 32 * MIB  # arkivuttrekk.xml, arkivmelding.xml and a package's arkivstruktur.xml


DEFAULT_LIMITS = XmlLimits()


class UnsafeXmlError(InputError):
    """The XML declares a DOCTYPE (DTD, entities) or is larger than allowed; it is not parsed."""


def parser_options() -> dict[str, bool]:
    """Keyword arguments for ``etree.XMLParser`` and ``etree.iterparse``: nothing is loaded or expanded."""
    return {
        "resolve_entities": False,
        "load_dtd": False,
        "dtd_validation": False,
        "no_network": True,
        "huge_tree": False,
    }


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(**parser_options())


def _decoded_head(head: bytes) -> str:
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be")):
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="replace")
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="replace")
    if head[:2] in (b"<\0", b"\0<"):  # UTF-16 without a BOM
        return head.decode("utf-16-le" if head[0] == 0x3C else "utf-16-be", errors="replace")
    return head.removeprefix(codecs.BOM_UTF8).decode("latin-1")  # ASCII-compatible: markup is ASCII


def declares_doctype(head: bytes) -> bool:
    """True when the prolog (everything before the root element) holds a ``<!DOCTYPE``, or when the prolog
    is so long that the root element is not found in ``head`` (refused rather than guessed)."""
    text, pos = _decoded_head(head), 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if text.startswith("<?", pos):
            close = "?>"
        elif text.startswith("<!--", pos):
            close = "-->"
        else:
            # <!DOCTYPE (or any other declaration) before the root element; else the root element or not XML
            return text.startswith("<!", pos)
        end = text.find(close, pos + 2)
        if end < 0:
            return len(text) >= PROLOG_SCAN_BYTES // 4  # an endless prolog is refused; a short file is not
        pos = end + len(close)


def check_file(path: Path, max_bytes: int) -> None:
    """Raises ``UnsafeXmlError`` (bokmål message) when ``path`` is too large or declares a DOCTYPE."""
    size = path.stat().st_size
    if size > max_bytes:
        raise UnsafeXmlError(f"filen er for stor: {size} byte, grensen er {max_bytes} byte")
    with path.open("rb") as handle:
        head = handle.read(PROLOG_SCAN_BYTES)
    if declares_doctype(head):
        raise UnsafeXmlError("DOCTYPE-erklæring (DTD/entiteter) er ikke tillatt; filen er ikke lest")


def check_bytes(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise UnsafeXmlError(f"XML-en er for stor: {len(data)} byte, grensen er {max_bytes} byte")
    if declares_doctype(data[:PROLOG_SCAN_BYTES]):
        raise UnsafeXmlError("DOCTYPE-erklæring (DTD/entiteter) er ikke tillatt; XML-en er ikke lest")


def parse_file(path: Path, max_bytes: int = DEFAULT_LIMITS.max_small_bytes) -> etree._ElementTree:
    """A whole tree from a file (checked first); ``etree.XMLSyntaxError`` when it is not well-formed."""
    check_file(path, max_bytes)
    try:
        return etree.parse(str(path), safe_parser())
    except etree.XMLSyntaxError:
        raise
    except OSError as exc:  # lxml reports undecodable bytes as an OSError naming the file
        raise decoding_error(exc) from None


def decoding_error(exc: OSError) -> etree.XMLSyntaxError:
    """lxml's OSError for bytes the encoding can't decode, as the syntax error it is."""
    return etree.XMLSyntaxError(f"ugyldige byte for tegnkodingen ({str(exc).rsplit(': ', 1)[-1]})", None, 0, 0)


def parse_bytes(data: bytes, max_bytes: int = DEFAULT_LIMITS.max_small_bytes) -> etree._Element:
    """The root element of ``data`` (checked first)."""
    check_bytes(data, max_bytes)
    return etree.fromstring(data, safe_parser())


def syntax_message(exc: etree.XMLSyntaxError) -> str:
    """A bokmål explanation of libxml2's limit errors, with libxml2's own text kept for the details."""
    msg = exc.msg or ""
    if "depth" in msg.lower():
        return f"for dyp nesting av elementer (grensen er 256 nivåer): {msg}"
    if "huge" in msg.lower() or "too long" in msg.lower() or "too large" in msg.lower():
        return f"for stor tekstnode eller verdi (grensen er 10 MB): {msg}"
    if "entity" in msg.lower() or "Entity" in msg:
        return f"entiteter er ikke tillatt: {msg}"
    return msg
