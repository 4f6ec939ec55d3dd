"""What the thread document is rendered from: a thread source.

The story (``story.ThreadStory``) never walks a whole ``Thread``; it asks a source for the thread's header,
the comments of a range in conversation order (with number, depth and the replied-to comment), the
top-level group boundaries and the removed items. Two sources:

- ``ThreadSource`` over an in-memory ``Thread`` (what ``build_package`` renders; compact indexes only);
- ``capture_store.CaptureSource``, which streams a capture file into SQLite and reads ranges back, so
  neither the model nor the JSON of a huge thread is ever in memory at once.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import NamedTuple, Protocol

from schemas.thread import Item, Thread


class Comment(NamedTuple):
    """One item as the story draws it; ``number`` 0 is the post."""

    item: Item
    number: int  # 1-based position among the comments (conversation order); 0 = the post
    depth: int  # 1 = on the post, 2 = reply, ...; 0 = the post
    parent_number: int | None  # number of the comment this replies to
    parent_name: str | None  # display name (or id) of that comment's author
    removed_number: int | None  # S-number in the removed-items section, if removed


class Removed(NamedTuple):
    """A removed item for the removed-items section: the item and its label ("Innlegget", "Kommentar 7")."""

    item: Item
    label: str


class Source(Protocol):
    """The renderer's view of a thread. ``header`` gives the thread's own fields (platform, account, post, ...);
    it may be the thread without its comments, so they are read through ``comments`` only."""

    header: Thread
    comment_count: int
    removed_count: int

    def post(self) -> Comment: ...

    def comments(self, start: int, stop: int) -> Iterator[Comment]:
        """Comments ``start:stop`` (0-based indexes) in conversation order."""
        ...

    def group_starts(self) -> Iterator[int]:
        """Indexes (from 1 up) of the top-level comments that start a group; group 0 starts at index 0."""
        ...

    def removed(self, start: int, stop: int) -> Iterator[Removed]:
        """Removed items ``start:stop`` (0-based) in document order: the post first, then the comments."""
        ...

    def close(self) -> None:
        """Release handles (before a fork; reopened on demand)."""
        ...


def author_name(item: Item) -> str:
    """How a reply's header names the author of the comment it replies to."""
    return item.author.display_name or item.author.id


def label(number: int) -> str:
    """"Innlegget" for the post (number 0), else "Kommentar <number>"."""
    return "Innlegget" if number == 0 else f"Kommentar {number}"


class ThreadSource:
    """A ``Source`` over a validated in-memory ``Thread``: one id → index dict and an array of depths."""

    def __init__(self, thread: Thread) -> None:
        self.header = thread
        comments = thread.comments
        self.comment_count = len(comments)
        index: dict[str, int] = {}
        depth = array("I", bytes(4 * len(comments)))
        removed: list[int] = []  # -1 = the post, else the comment's index
        if thread.post.removal is not None:
            removed.append(-1)
        for n, comment in enumerate(comments):
            index[comment.id] = n
            parent = comment.parent_id
            depth[n] = 1 if parent is None else depth[index[parent]] + 1
            if comment.removal is not None:
                removed.append(n)
        self._index, self._depth, self._removed = index, depth, removed
        self._removed_number = {at: n for n, at in enumerate(removed, start=1)}
        self.removed_count = len(removed)

    def post(self) -> Comment:
        return Comment(self.header.post, 0, 0, None, None, self._removed_number.get(-1))

    def comments(self, start: int, stop: int) -> Iterator[Comment]:
        comments, index, depth, removed = self.header.comments, self._index, self._depth, self._removed_number
        for n in range(start, min(stop, len(comments))):
            item = comments[n]
            parent_number = parent_name = None
            if item.parent_id is not None:
                at = index[item.parent_id]
                parent_number, parent_name = at + 1, author_name(comments[at])
            number = removed.get(n) if item.removal is not None else None
            yield Comment(item, n + 1, depth[n], parent_number, parent_name, number)

    def group_starts(self) -> Iterator[int]:
        comments = self.header.comments
        return (n for n in range(1, len(comments)) if comments[n].parent_id is None)

    def removed(self, start: int, stop: int) -> Iterator[Removed]:
        thread = self.header
        for at in self._removed[start:stop]:
            yield Removed(thread.post, label(0)) if at < 0 else Removed(thread.comments[at], label(at + 1))

    def close(self) -> None:
        pass
