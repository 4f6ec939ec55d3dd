"""Small XML helpers shared by the writers: namespaces, date formatting, element building."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from lxml import etree

from schemas.text import escape_unsafe

XSI = "http://www.w3.org/2001/XMLSchema-instance"
N5_ARKIVSTRUKTUR = "http://www.arkivverket.no/standarder/noark5/arkivstruktur"
N5_LOEPENDE_JOURNAL = "http://www.arkivverket.no/standarder/noark5/loependeJournal"
N5_OFFENTLIG_JOURNAL = "http://www.arkivverket.no/standarder/noark5/offentligJournal"
N5_ENDRINGSLOGG = "http://www.arkivverket.no/standarder/noark5/endringslogg"
ADDML = "http://www.arkivverket.no/standarder/addml"
FIKS_ARKIVMELDING = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1"
FIKS_METADATAKATALOG = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/metadatakatalog/v1"

OSLO = ZoneInfo("Europe/Oslo")


def xs_datetime(value: datetime) -> str:
    """xs:dateTime with offset, in Norwegian local time (seconds precision)."""
    return value.astimezone(OSLO).isoformat(timespec="seconds")


def local_date(value: datetime) -> date:
    """The calendar date in Norway of an aware datetime."""
    return value.astimezone(OSLO).date()


def text(value: object) -> str:
    """XML text of a value; characters XML 1.0 can't hold become visible escapes (``schemas.text``)."""
    if isinstance(value, datetime):
        return xs_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return escape_unsafe(str(value))


class Builder:
    """Builds elements of one namespace; ``sub`` appends in call order and skips ``None`` values."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace
        self.nsmap = {None: namespace, "xsi": XSI}

    def tag(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def element(self, name: str, xsi_type: str | None = None) -> etree._Element:
        """A standalone element carrying the namespace declarations (for ``xmlfile.write``)."""
        attrib = {f"{{{XSI}}}type": xsi_type} if xsi_type else {}
        return etree.Element(self.tag(name), attrib, nsmap=self.nsmap)

    def leaf(self, name: str, value: object) -> etree._Element:
        el = self.element(name)
        el.text = text(value)
        return el

    def sub(self, parent: etree._Element, name: str, value: object = None) -> etree._Element | None:
        if value is None:
            return None
        child = etree.SubElement(parent, self.tag(name))
        child.text = text(value)
        return child

    def node(self, parent: etree._Element, name: str, xsi_type: str | None = None) -> etree._Element:
        attrib = {f"{{{XSI}}}type": xsi_type} if xsi_type else {}
        return etree.SubElement(parent, self.tag(name), attrib)
