"""Turning a platform's flat list of comments into the canonical thread's conversation order.

Hostile input is expected: the same comment on two pages, a reply whose parent is gone (deleted, or never
returned), parents that form a cycle, nesting thousands deep. Each is resolved without recursion and
reported as a :class:`PartialError`; one bad item never stops the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote

from schemas.errors import SourceError
from schemas.thread import Item
from sources.connectors.base import PartialError


def segment(value: str, what: str) -> str:
    """A platform id made safe as ONE URL path segment (``../``, ``/``, ``?`` and ``#`` are escaped)."""
    if not value or not value.strip() or value in {".", ".."} or any(ord(ch) < 32 for ch in value):
        raise SourceError(f"{what}: ugyldig id {value!r}")
    return quote(value, safe="")


def conversation_order(items: Iterable[Item], errors: list[PartialError], where: str) -> list[Item]:
    """Unique items with every reply after its parent, siblings by time; orphans and cycles become top level."""
    by_id: dict[str, Item] = {}
    for item in items:
        if item.id in by_id:
            if by_id[item.id] != item:
                errors.append(PartialError(where, f"kommentar {item.id} kom to ganger med ulikt innhold; "
                                                  "første beholdt"))
            continue
        by_id[item.id] = item
    children: dict[str | None, list[str]] = {}
    for item in by_id.values():
        parent = item.parent_id
        if parent is not None and parent not in by_id:
            errors.append(PartialError(where, f"kommentar {item.id} svarer på {parent}, som ikke finnes i svaret"))
            parent = None
        children.setdefault(parent, []).append(item.id)

    def key(item_id: str) -> tuple[datetime, str]:
        return (by_id[item_id].created_at.astimezone(UTC), item_id)

    order: list[str] = []
    placed: set[str] = set()

    def walk(roots: list[str]) -> None:
        stack = sorted(roots, key=key, reverse=True)
        while stack:
            current = stack.pop()
            if current in placed:
                continue
            placed.add(current)
            order.append(current)
            stack.extend(sorted(children.get(current, []), key=key, reverse=True))

    walk(children.get(None, []))
    rest = [i for i in by_id if i not in placed]
    while rest:  # only cycles are left: break each at its earliest item
        first = min(rest, key=key)
        errors.append(PartialError(where, f"kommentar {first} inngår i en sirkel av svar; lagt på toppnivå"))
        by_id[first] = by_id[first].model_copy(update={"parent_id": None})
        walk([first])
        rest = [i for i in rest if i not in placed]
    result: list[Item] = []
    for item_id in order:
        item = by_id[item_id]
        if item.parent_id is not None and item.parent_id not in placed:
            item = item.model_copy(update={"parent_id": None})
        result.append(item)
    # a parent that was removed from the cycle keeps the rest pointing at earlier items only
    seen: set[str] = set()
    fixed: list[Item] = []
    for item in result:
        if item.parent_id is not None and item.parent_id not in seen:
            item = item.model_copy(update={"parent_id": None})
        seen.add(item.id)
        fixed.append(item)
    return fixed
