"""Stable systemIDs (M001): uuid5 names derived from what identifies each arkivenhet.

The same thread always gives the same journalpost systemID, so a re-export updates the record instead of
duplicating it; a dokumentobjekt's id also covers the file's checksum, so a changed file is a new object.
"""

from __future__ import annotations

import uuid

from schemas.thread import Platform

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://somearkiv.invalid/noark5")


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "|".join(parts)))


def arkiv_system_id(municipality: str, arkiv_title: str) -> str:
    return _uuid("arkiv", municipality, arkiv_title)


def arkivdel_system_id(municipality: str, arkiv_title: str, arkivdel_title: str) -> str:
    return _uuid("arkivdel", municipality, arkiv_title, arkivdel_title)


def journalpost_system_id(platform: Platform | str, thread_id: str) -> str:
    """The journalpost's systemID for a thread (also printed on the PDF cover)."""
    return _uuid("journalpost", Platform(platform).value, thread_id)


def mappe_system_id(municipality: str, platform: Platform | str, thread_id: str, case_number: str | None) -> str:
    """A saksmappe is shared by every thread of the case; otherwise the thread has its own mappe."""
    if case_number:
        return _uuid("saksmappe", municipality, case_number)
    return _uuid("mappe", Platform(platform).value, thread_id)


def dokumentbeskrivelse_system_id(journalpost_id: str, key: str) -> str:
    """``key`` is "hoveddokument" or the vedlegg's path, stable across versions of the thread."""
    return _uuid("dokumentbeskrivelse", journalpost_id, key)


def dokumentobjekt_system_id(dokumentbeskrivelse_id: str, path: str, sha256: str) -> str:
    return _uuid("dokumentobjekt", dokumentbeskrivelse_id, path, sha256)
