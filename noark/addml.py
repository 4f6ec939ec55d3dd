"""arkivuttrekk.xml: the ADDML 8.3 description of an uttrekk (files, schemas, checksums, record counts).

Layout, following Arkivverket's Noark 5 use of ADDML: one dataset; ``reference/context`` names the record
creator and system, ``reference/content`` the archival period; ``dataObjects`` holds one dataObject
"Noark 5 arkivuttrekk" with a child dataObject per XML file. Each of those has properties ``file``
(name, format, version, checksum{algorithm,value}), ``schemas`` (schema{name,type,checksum}) and one
``numberOfOccurrences`` per element type, whose value is the element name and whose child property
``value`` is the count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lxml import etree

from noark.xmlutil import ADDML

_A = f"{{{ADDML}}}"


@dataclass
class DescribedFile:
    name: str
    sha256: str
    schemas: list[tuple[str, str, str]]  # (file name, type "main"/"component", sha256)
    counts: dict[str, int] = field(default_factory=dict)


def _prop(parent: etree._Element, name: str, value: str | None = None) -> etree._Element:
    prop = etree.SubElement(parent, _A + "property", name=name)
    if value is not None:
        etree.SubElement(prop, _A + "value").text = value
    return prop


def _props(parent: etree._Element) -> etree._Element:
    return etree.SubElement(parent, _A + "properties")


def _checksum(parent: etree._Element, sha256: str) -> None:
    props = _props(_prop(parent, "checksum"))
    _prop(props, "algorithm", "SHA256")
    _prop(props, "value", sha256)


def _additional(parent: etree._Element, name: str, value: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, _A + "additionalElement", name=name)
    if value is not None:
        etree.SubElement(el, _A + "value").text = value
    return el


def arkivuttrekk_bytes(
    files: list[DescribedFile], *, municipality: str, system_name: str, period: tuple[date, date]
) -> bytes:
    root = etree.Element(_A + "addml", nsmap={None: ADDML}, name="Noark 5 arkivuttrekk")
    dataset = etree.SubElement(root, _A + "dataset")
    reference = etree.SubElement(dataset, _A + "reference")
    context = etree.SubElement(etree.SubElement(reference, _A + "context"), _A + "additionalElements")
    creators = etree.SubElement(_additional(context, "recordCreators"), _A + "additionalElements")
    _prop(_props(_additional(creators, "recordCreator")), "name", municipality)
    _additional(context, "systemType", "Noark 5")
    _additional(context, "systemName", system_name)
    content = etree.SubElement(etree.SubElement(reference, _A + "content"), _A + "additionalElements")
    period_props = _props(_additional(content, "archivalPeriod"))
    _prop(period_props, "startDate", period[0].isoformat())
    _prop(period_props, "endDate", period[1].isoformat())
    top = etree.SubElement(
        etree.SubElement(dataset, _A + "dataObjects"), _A + "dataObject", name="Noark 5 arkivuttrekk"
    )
    info = _props(_prop(_props(top), "info"))
    _prop(info, "type", "Noark 5")
    _prop(info, "version", "5.0")
    children = etree.SubElement(top, _A + "dataObjects")
    for described in files:
        obj = etree.SubElement(children, _A + "dataObject", name=Path(described.name).stem)
        props = _props(obj)
        file_props = _props(_prop(props, "file"))
        _prop(file_props, "name", described.name)
        _prop(file_props, "format", "XML")
        _prop(file_props, "version", "1.0")
        _checksum(file_props, described.sha256)
        schemas = _props(_prop(props, "schemas"))
        for name, kind, sha in described.schemas:
            schema = _props(_prop(schemas, "schema"))
            _prop(schema, "name", name)
            _prop(schema, "type", kind)
            _checksum(schema, sha)
        for element, count in described.counts.items():
            _prop(_props(_prop(props, "numberOfOccurrences", element)), "value", str(count))
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


@dataclass(frozen=True)
class AddmlFacts:
    """What a validator needs back from arkivuttrekk.xml."""

    checksums: dict[str, str]  # file name → sha256 (XML files and their schemas)
    counts: dict[str, dict[str, int]]  # file name → element → count


def read_arkivuttrekk(path: Path) -> AddmlFacts:
    tree = etree.parse(str(path))
    ns = {"a": ADDML}
    checksums: dict[str, str] = {}
    counts: dict[str, dict[str, int]] = {}
    for obj in tree.iterfind(".//a:dataObject/a:dataObjects/a:dataObject", ns):
        file_props = obj.find("a:properties/a:property[@name='file']/a:properties", ns)
        if file_props is None:
            continue
        name = file_props.findtext("a:property[@name='name']/a:value", namespaces=ns) or ""
        checksums[name] = (
            file_props.findtext(
                "a:property[@name='checksum']/a:properties/a:property[@name='value']/a:value", namespaces=ns
            )
            or ""
        )
        for schema in obj.iterfind("a:properties/a:property[@name='schemas']/a:properties/a:property", ns):
            schema_name = schema.findtext("a:properties/a:property[@name='name']/a:value", namespaces=ns) or ""
            checksums[schema_name] = (
                schema.findtext(
                    "a:properties/a:property[@name='checksum']/a:properties/a:property[@name='value']/a:value",
                    namespaces=ns,
                )
                or ""
            )
        counts[name] = {
            prop.findtext("a:value", namespaces=ns) or "": int(
                prop.findtext("a:properties/a:property[@name='value']/a:value", namespaces=ns) or 0
            )
            for prop in obj.iterfind("a:properties/a:property[@name='numberOfOccurrences']", ns)
        }
    return AddmlFacts(checksums=checksums, counts=counts)
