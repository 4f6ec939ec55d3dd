"""endringslogg.xml entries (M680-M685): what changed in registered metadata, oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from noark.xmlutil import N5_ENDRINGSLOGG, Builder

LOGG = Builder(N5_ENDRINGSLOGG)


@dataclass(frozen=True)
class Endring:
    referanse_arkivenhet: str  # systemID of the changed arkivenhet
    referanse_metadata: str  # name of the changed metadata element
    endret_dato: datetime
    endret_av: str
    tidligere_verdi: str
    ny_verdi: str


def endring_element(endring: Endring) -> etree._Element:
    node = LOGG.element("endring")
    LOGG.sub(node, "referanseArkivenhet", endring.referanse_arkivenhet)
    LOGG.sub(node, "referanseMetadata", endring.referanse_metadata)
    LOGG.sub(node, "endretDato", endring.endret_dato)
    LOGG.sub(node, "endretAv", endring.endret_av)
    LOGG.sub(node, "tidligereVerdi", endring.tidligere_verdi)
    LOGG.sub(node, "nyVerdi", endring.ny_verdi)
    return node
