"""arkivuttrekk.xml: the ADDML 8.3 description of an uttrekk, laid out as Arkivverket's Noark 5 template and
Arkade 5 read it (see noark/README.md, "ADDML as Arkade 5 reads it", for the Arkade source files checked).

    addml name="Noark 5-arkivuttrekk"
    └ dataset
      ├ description                    "Noark 5-arkivuttrekk"
      ├ reference/context              recordCreators/recordCreator (value), systemType, systemName, archive
      ├ reference/content              archivalPeriod {startDate, endDate}
      └ dataObjects/dataObject "Noark 5-arkivuttrekk"
        ├ properties/info              [0] type "Noark 5" {version "5.0"}, [1] additionalInfo {periode
        │                              {inngaaendeSkille, utgaaendeSkille}, inneholder... booleans, antallDokumentfiler}
        └ dataObjects/dataObject ×n    arkivstruktur FIRST, then endringslogg, loependeJournal, offentligJournal
          └ properties                 file {name, format "XML" {version}, checksum {algorithm, value}}
                                       schema "main" {file {name, format, checksum}, type "XML Schema" {version}}
                                       schema {file {metadatakatalog.xsd ...}, type}
                                       info {numberOfOccurrences <element> {elementPath, value (integer)}} ×k

Arkade indexes positionally in places: ``dataObject[0].properties[0]`` must be ``info`` and its
``properties[1]`` must be ``additionalInfo`` (N5.28, period separation); the first child dataObject must be
arkivstruktur (N5.10/N5.16 read its ``mappe``/``registrering`` counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lxml import etree

from noark.xmlutil import ADDML

_A = f"{{{ADDML}}}"
_NS = {"a": ADDML}
TITLE = "Noark 5-arkivuttrekk"
CHECKSUM_ALGORITHM = "SHA256"
ACCEPTED_ALGORITHMS = frozenset({"SHA256", "SHA-256"})  # what Arkade's ChecksumGeneratorFactory accepts
# Soft period separation: a saksmappe may continue in the next uttrekk, and archive-worthy journalposter in
# plain mapper are not journaled, so the journals need not hold every journalpost (Arkade's N5.59/N5.60
# compare journals with arkivstruktur only when both separations are "skarpt").
PERIODESKILLE = "mykt"
# elementPath per counted element (documentation for a human reader; Arkade keys on the property value).
ELEMENT_PATHS = {
    "mappe": "//mappe",
    "saksmappe": "//mappe[@xsi:type='saksmappe']",
    "registrering": "//registrering",
    "journalpost": "//registrering[@xsi:type='journalpost']",
    "dokumentbeskrivelse": "//dokumentbeskrivelse",
    "dokumentobjekt": "//dokumentobjekt",
    "journalregistrering": "//journalregistrering",
    "endring": "//endring",
}


@dataclass
class DescribedFile:
    name: str
    sha256: str
    schemas: list[tuple[str, str | None, str]]  # (file name, "main" or None, sha256)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ExtractionInfo:
    """The additionalInfo of the top dataObject."""

    antall_dokumentfiler: int
    inneholder_skjermet_informasjon: bool
    periodeskille: str = PERIODESKILLE
    omfatter_dokumenter_som_er_kassert: bool = False
    inneholder_dokumenter_som_skal_kasseres: bool = False
    inneholder_virksomhetsspesifikke_metadata: bool = False


def _prop(parent: etree._Element, name: str, value: str | None = None, data_type: str | None = None) -> etree._Element:
    attrib = {"name": name} | ({"dataType": data_type} if data_type else {})
    prop = etree.SubElement(parent, _A + "property", attrib)
    if value is not None:
        etree.SubElement(prop, _A + "value").text = value
    return prop


def _props(parent: etree._Element) -> etree._Element:
    return etree.SubElement(parent, _A + "properties")


def _additional(parent: etree._Element, name: str, value: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, _A + "additionalElement", name=name)
    if value is not None:
        etree.SubElement(el, _A + "value").text = value
    return el


def _file(parent: etree._Element, name: str, sha256: str) -> None:
    """``file {name, format "XML" {version "1.0"}, checksum {algorithm, value}}``"""
    file_props = _props(_prop(parent, "file"))
    _prop(file_props, "name", name)
    _prop(_props(_prop(file_props, "format", "XML")), "version", "1.0")
    checksum = _props(_prop(file_props, "checksum"))
    _prop(checksum, "algorithm", CHECKSUM_ALGORITHM)
    _prop(checksum, "value", sha256)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def arkivuttrekk_bytes(
    files: list[DescribedFile],
    *,
    municipality: str,
    system_name: str,
    archive: str,
    period: tuple[date, date],
    info: ExtractionInfo,
) -> bytes:
    if not files or files[0].name != "arkivstruktur.xml":
        raise ValueError("arkivstruktur.xml must be the first described file (Arkade reads dataObject[0])")
    root = etree.Element(_A + "addml", nsmap={None: ADDML}, name=TITLE)
    dataset = etree.SubElement(root, _A + "dataset")
    etree.SubElement(dataset, _A + "description").text = TITLE
    reference = etree.SubElement(dataset, _A + "reference")
    context = etree.SubElement(etree.SubElement(reference, _A + "context"), _A + "additionalElements")
    creators = etree.SubElement(_additional(context, "recordCreators"), _A + "additionalElements")
    _additional(creators, "recordCreator", municipality)
    _additional(context, "systemType", "Noark 5")
    _additional(context, "systemName", system_name)
    _additional(context, "archive", archive)
    content = etree.SubElement(etree.SubElement(reference, _A + "content"), _A + "additionalElements")
    period_props = _props(_additional(content, "archivalPeriod"))
    _prop(period_props, "startDate", period[0].isoformat())
    _prop(period_props, "endDate", period[1].isoformat())

    top = etree.SubElement(etree.SubElement(dataset, _A + "dataObjects"), _A + "dataObject", name=TITLE)
    info_props = _props(_prop(_props(top), "info"))
    _prop(_props(_prop(info_props, "type", "Noark 5")), "version", "5.0")
    extra = _props(_prop(info_props, "additionalInfo"))
    periode = _props(_prop(extra, "periode"))
    _prop(periode, "inngaaendeSkille", info.periodeskille)
    _prop(periode, "utgaaendeSkille", info.periodeskille)
    for name, value in (
        ("inneholderSkjermetInformasjon", info.inneholder_skjermet_informasjon),
        ("omfatterDokumenterSomErKassert", info.omfatter_dokumenter_som_er_kassert),
        ("inneholderDokumenterSomSkalKasseres", info.inneholder_dokumenter_som_skal_kasseres),
        ("inneholderVirksomhetsspesifikkeMetadata", info.inneholder_virksomhetsspesifikke_metadata),
    ):
        _prop(extra, name, _bool(value), "boolean")
    _prop(extra, "antallDokumentfiler", str(info.antall_dokumentfiler), "integer")

    children = etree.SubElement(top, _A + "dataObjects")
    for described in files:
        obj = etree.SubElement(children, _A + "dataObject", name=Path(described.name).stem)
        props = _props(obj)
        _file(props, described.name, described.sha256)
        for name, kind, sha in described.schemas:
            schema_props = _props(_prop(props, "schema", kind))
            _file(schema_props, name, sha)
            _prop(_props(_prop(schema_props, "type", "XML Schema")), "version", "1.0")
        if described.counts:
            counts = _props(_prop(props, "info"))
            for element, count in described.counts.items():
                occurrence = _props(_prop(counts, "numberOfOccurrences", element))
                _prop(occurrence, "elementPath", ELEMENT_PATHS.get(element, f"//{element}"))
                _prop(occurrence, "value", str(count), "integer")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))


@dataclass(frozen=True)
class AddmlFacts:
    """What a validator needs back from arkivuttrekk.xml."""

    checksums: dict[str, tuple[str, str]]  # file name → (algorithm, value), XML files and their schemas
    counts: dict[str, dict[str, int]]  # file name → element → count
    files: list[str] = field(default_factory=list)  # described XML files, in order
    antall_dokumentfiler: int | None = None
    periode: tuple[str | None, str | None] = (None, None)  # (inngaaendeSkille, utgaaendeSkille)
    problems: list[str] = field(default_factory=list)  # layout deviations from what Arkade reads


def _value(el: etree._Element | None, path: str) -> str | None:
    return None if el is None else el.findtext(path, namespaces=_NS)


def _named(parent: etree._Element | None, name: str) -> etree._Element | None:
    return None if parent is None else parent.find(f"a:properties/a:property[@name='{name}']", _NS)


def _checksum_of(file_prop: etree._Element | None) -> tuple[str | None, tuple[str, str] | None]:
    name = _value(_named(file_prop, "name"), "a:value")
    checksum = _named(file_prop, "checksum")
    if checksum is None:
        return name, None
    algorithm = _value(_named(checksum, "algorithm"), "a:value") or ""
    return name, (algorithm, (_value(_named(checksum, "value"), "a:value") or "").lower())


def _count(value: str | None) -> int:
    """A stated count; anything that is not a non-negative integer becomes -1 (never equal to a real count)."""
    return int(value) if value and value.isdigit() and len(value) < 19 else -1


def read_arkivuttrekk(tree: etree._ElementTree) -> AddmlFacts:
    """The facts a validator needs from an already parsed (``noark.safexml``) arkivuttrekk.xml."""
    problems: list[str] = []
    top = tree.find("a:dataset/a:dataObjects/a:dataObject", _NS)
    info = top.find("a:properties/a:property", _NS) if top is not None else None
    if info is None or info.get("name") != "info":
        problems.append("første property i det øverste dataObject er ikke 'info'")
    extra = info.findall("a:properties/a:property", _NS) if info is not None else []
    additional = extra[1] if len(extra) > 1 and extra[1].get("name") == "additionalInfo" else None
    if additional is None:
        problems.append("andre property i 'info' er ikke 'additionalInfo'")
    antall = _value(_named(additional, "antallDokumentfiler"), "a:value")
    periode = _named(additional, "periode")
    checksums: dict[str, tuple[str, str]] = {}
    counts: dict[str, dict[str, int]] = {}
    files: list[str] = []
    for obj in top.iterfind("a:dataObjects/a:dataObject", _NS) if top is not None else ():
        name, checksum = _checksum_of(_named(obj, "file"))
        if not name:
            continue
        files.append(name)
        if checksum:
            checksums[name] = checksum
        for schema in obj.iterfind("a:properties/a:property[@name='schema']", _NS):
            schema_name, schema_checksum = _checksum_of(_named(schema, "file"))
            if schema_name and schema_checksum:
                checksums[schema_name] = schema_checksum
        counts[name] = {
            occ.findtext("a:value", namespaces=_NS) or "": _count(_value(_named(occ, "value"), "a:value"))
            for occ in obj.iterfind(
                "a:properties/a:property[@name='info']/a:properties/a:property[@name='numberOfOccurrences']", _NS
            )
        }
    if files and files[0] != "arkivstruktur.xml":
        problems.append(f"første beskrevne fil er {files[0]}, Arkade forventer arkivstruktur.xml")
    return AddmlFacts(
        checksums=checksums,
        counts=counts,
        files=files,
        antall_dokumentfiler=_count(antall) if antall and antall.isdigit() else None,
        periode=(
            _value(_named(periode, "inngaaendeSkille"), "a:value"),
            _value(_named(periode, "utgaaendeSkille"), "a:value"),
        ),
        problems=problems,
    )
