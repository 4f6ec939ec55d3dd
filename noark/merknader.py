"""What a re-capture observed, as Noark ``merknad``s on the thread's registrering (pure, no I/O).

* a comment found gone (``Removal.discovered_at``: somearkiv noticed, the platform did not say) → one merknad
  "Fjernet fra plattformen" with when it was found gone and when it was last seen;
* an edited comment (``Item.revisions``) → one merknad "Endret på plattformen" with the number of earlier texts;
* the capture's completeness (reported vs captured, gaps with reasons) → one merknad "Fullstendighet".

Texts never quote the comments or name their authors (the hoveddokument holds both, under skjerming when
needed): a merknad is metadata that travels to the archive system. Past ``MAX_ITEM_MERKNADER`` items of one
kind the rest are summed up in one merknad, so a thread with 10,000 removals stays a small registrering.
"""

from __future__ import annotations

from datetime import datetime

from noark import codes
from noark.model import Merknad
from noark.xmlutil import xs_datetime
from schemas.thread import Item, Thread

MAX_ITEM_MERKNADER = 50
MAX_ID_CHARS = 80

_GAP_REASONS = {
    "hidden": "skjult",
    "deleted": "slettet",
    "api_limit": "API-grense",
    "private": "privat",
    "unknown": "ukjent årsak",
}


def _item_label(thread: Thread, item: Item) -> str:
    ident = item.id if len(item.id) <= MAX_ID_CHARS else item.id[:MAX_ID_CHARS] + "…"
    return "Innlegget" if item.id == thread.post.id else f"Kommentar {ident}"


def _merknad(text: str, kind: str, when: datetime, by: str) -> Merknad:
    return Merknad(merknadstekst=text, merknadstype=kind, kode=codes.MERKNAD_KODER[kind], merknadsdato=when,
                   merknad_registrert_av=by)


def _removed(thread: Thread, by: str) -> list[Merknad]:
    found = [(i, i.removal, i.removal.discovered_at) for i in thread.all_items()
             if i.removal is not None and i.removal.discovered_at is not None]
    out = []
    for item, removal, discovered in found[:MAX_ITEM_MERKNADER]:
        state = "slettet eller skjult" if removal.state == "deleted" else "skjult"
        seen = f" Sist sett {xs_datetime(removal.last_seen_at)}." if removal.last_seen_at else ""
        out.append(_merknad(
            f"{_item_label(thread, item)} var borte ({state}) ved innsamlingen {xs_datetime(discovered)}."
            f"{seen} Siste kjente tekst er bevart i hoveddokumentet.",
            codes.MERKNADSTYPE_FJERNET, discovered, by))
    if len(found) > MAX_ITEM_MERKNADER:
        rest = found[MAX_ITEM_MERKNADER:]
        latest = max(discovered for _, _, discovered in rest)
        out.append(_merknad(
            f"Ytterligere {len(rest)} kommentarer var borte ved senere innsamlinger; se hoveddokumentet.",
            codes.MERKNADSTYPE_FJERNET, latest, by))
    return out


def _edited_at(thread: Thread, item: Item) -> datetime:
    ends = [r.valid_to for r in item.revisions if r.valid_to]
    return item.edited_at or (max(ends) if ends else thread.captured_at)


def _edited(thread: Thread, by: str) -> list[Merknad]:
    edited = [i for i in thread.all_items() if i.revisions]
    out = []
    for item in edited[:MAX_ITEM_MERKNADER]:
        n = len(item.revisions)
        out.append(_merknad(
            f"{_item_label(thread, item)} er endret; {n} tidligere {'tekst' if n == 1 else 'tekster'} er bevart i "
            "hoveddokumentet.", codes.MERKNADSTYPE_ENDRET, _edited_at(thread, item), by))
    if len(edited) > MAX_ITEM_MERKNADER:
        rest = edited[MAX_ITEM_MERKNADER:]
        out.append(_merknad(f"Ytterligere {len(rest)} kommentarer er endret; se hoveddokumentet.",
                            codes.MERKNADSTYPE_ENDRET, max(_edited_at(thread, i) for i in rest), by))
    return out


def completeness_text(thread: Thread) -> str | None:
    """"Plattformen oppgir 120 kommentarer; 112 fanget. Avvik: 5 skjult, 3 API-grense (…)." or None."""
    c = thread.completeness
    if c is None:
        return None
    head = (f"Plattformen oppgir {c.reported} kommentarer; {c.captured} fanget." if c.reported is not None
            else f"Plattformen oppgir ikke antall kommentarer; {c.captured} fanget.")
    gaps = []
    for gap in c.gaps:
        part = f"{gap.count} {_GAP_REASONS[gap.reason]}" if gap.count is not None else _GAP_REASONS[gap.reason]
        if gap.note:
            part += f" ({gap.note[:300]})"
        gaps.append(part)
    tail = f" Avvik: {', '.join(gaps)}." if gaps else (" Ingen kjente avvik." if c.reported in (None, c.captured)
                                                        else " Avviket har ingen kjent årsak.")
    return head + tail + " Plattformens tall er ikke et bevis på fullstendighet."


def build_merknader(thread: Thread, registered_by: str) -> tuple[Merknad, ...]:
    """The merknader of one thread, in a fixed order: completeness, removals, edits."""
    out: list[Merknad] = []
    text = completeness_text(thread)
    if text is not None:
        out.append(_merknad(text, codes.MERKNADSTYPE_FULLSTENDIGHET, thread.captured_at, registered_by))
    return (*out, *_removed(thread, registered_by), *_edited(thread, registered_by))
