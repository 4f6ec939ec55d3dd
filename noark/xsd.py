"""Loading the official schemas in place (they import their siblings) and validating against them."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

from noark.safexml import UnsafeXmlError, parse_bytes, parse_file

# Short names for the schemas we validate against, relative to the xsd dir.
SCHEMAS: dict[str, str] = {
    "arkivstruktur": "N5-v5.0/arkivstruktur.xsd",
    "loependeJournal": "N5-v5.0/loependeJournal.xsd",
    "offentligJournal": "N5-v5.0/offentligJournal.xsd",
    "endringslogg": "N5-v5.0/endringslogg.xsd",
    "metadatakatalog": "N5-v5.0/metadatakatalog.xsd",
    "addml": "ADDML-v8.3/addml.xsd",
    "arkivmelding": "fiks-arkiv-v1/no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.xsd",
}


def schema_path(schema_name: str, xsd_dir: Path) -> Path:
    try:
        return Path(xsd_dir) / SCHEMAS[schema_name]
    except KeyError:
        raise ValueError(f"unknown schema {schema_name!r}; known: {', '.join(SCHEMAS)}") from None


@lru_cache(maxsize=32)
def _load(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


def load_schema(schema_name: str, xsd_dir: Path) -> etree.XMLSchema:
    """The compiled schema, cached per resolved path."""
    path = schema_path(schema_name, xsd_dir).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"schema {schema_name!r} not found at {path}")
    return _load(path)


def validate_xml(xml: bytes | Path, schema_name: str, xsd_dir: Path) -> list[str]:
    """Validation messages (``line N: message``); empty when valid. A parse error is a message too."""
    schema = load_schema(schema_name, xsd_dir)
    try:
        doc = parse_file(xml) if isinstance(xml, Path) else parse_bytes(xml).getroottree()
    except etree.XMLSyntaxError as exc:
        return [f"line {exc.lineno}: not well-formed XML: {exc.msg}"]
    except UnsafeXmlError as exc:
        return [f"line 1: {exc}"]
    if schema.validate(doc):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
