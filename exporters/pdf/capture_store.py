"""A capture file (``capture/thread.json``) streamed into SQLite, read back as a thread ``Source``.

``CaptureSource.load`` parses the JSON with ijson (one comment at a time), validates each comment with
pydantic (``Item``) and the tree rules of ``Thread._check_tree`` (unique ids, a reply's parent is an
earlier comment) and stores it with its number, depth, parent and removed-item number (the comment as its
JSON value, marshalled, and validated again when read: cheaper than pickling the model). The header (every
top-level field but ``comments``, in any key order) is validated as a ``Thread`` without comments. Errors
are ``CaptureError`` naming the file, the thread, the comment and the field. Memory does not grow with the
thread; the store is a file in the render's work dir, which forked chunk workers open themselves (a
connection never crosses a fork).

yajl2_c, ijson's fast backend, turns the ``\\udXXX`` escape of a lone high surrogate (which the capture
keeps, see ``schemas/capture.py``) into "?" or a wrong character without an error, so a file with such an
escape is parsed with ijson's pure-Python backend instead (slower, exact). A lone low surrogate makes
yajl2_c fail to decode; that too is retried with the Python backend.
"""

from __future__ import annotations

import marshal
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson
from pydantic import ValidationError

from exporters.pdf.source import Comment, Removed, author_name, label
from schemas.errors import CaptureError
from schemas.field_errors import field_problems
from schemas.thread import Item, Thread, comment_tree_problem

SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # a quick test before the exact one
# A \\uD800-\\uDBFF escape not followed by a \\uDC00-\\uDFFF one, or the other way round (an escaped backslash
# before "u" can make this match where there is no escape: that only costs speed).
LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
BATCH = 2000  # comments per sqlite3 transaction step (commit cadence is invisible to readers)
LOAD_CACHE_KIB = 1024  # SQLite page cache while loading (parent lookups by id: the recent comments)
READ_CACHE_KIB = 256  # and while rendering (sequential ranges)

_SCHEMA = """
CREATE TABLE comments (
    idx INTEGER PRIMARY KEY,  -- 0-based position in conversation order
    id BLOB NOT NULL UNIQUE,  -- ``_stored``: UTF-8 that keeps lone surrogates
    parent INTEGER,           -- idx of the replied-to comment
    depth INTEGER NOT NULL,
    removed INTEGER,          -- 1-based order among the removed comments
    name BLOB NOT NULL,       -- author's display name (or id), shown in replies' headers; ``_stored``
    item BLOB NOT NULL        -- the comment's JSON value (valid as an Item), marshalled
);
"""


def _stored(text: str) -> bytes:
    """``text`` for the store: UTF-8 that keeps a lone surrogate (a valid capture may hold one; sqlite3's TEXT
    can't), so an id or author name comes back exactly as the capture has it."""
    return text.encode("utf-8", "surrogatepass")


def _loaded(data: bytes) -> str:
    return data.decode("utf-8", "surrogatepass")


_INDEXES = """
CREATE INDEX tops ON comments(idx) WHERE parent IS NULL;
CREATE INDEX removals ON comments(removed) WHERE removed IS NOT NULL;
"""


class _UndecodableError(CaptureError):
    """yajl2_c produced bytes that are not UTF-8 (a lone surrogate escape): retry with the Python backend."""


def _fast_backend(path: Path) -> Any | None:
    """yajl2_c, unless the file has a lone surrogate escape or yajl2_c is missing (then None)."""
    tail = b""
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            if SURROGATE_ESCAPE.search(tail + block) and LONE_SURROGATE.search(tail + block):
                return None
            tail = block[-12:]
    try:
        return ijson.get_backend("yajl2_c")
    except ImportError:
        return None


def _value(first: tuple[str, Any], events: Iterator[tuple[str, Any]]) -> Any:
    """The JSON value that starts with ``basic_parse`` event ``first``, built from ``events``."""
    event, value = first
    if event == "start_map":
        root: Any = {}
    elif event == "start_array":
        root = []
    else:
        return value
    stack, key = [root], None
    for event, value in events:
        if event == "map_key":
            key = value
            continue
        if event == "end_map" or event == "end_array":
            stack.pop()
            if not stack:
                return root
            continue
        new = {} if event == "start_map" else [] if event == "start_array" else value
        top = stack[-1]
        if top.__class__ is dict:
            top[key] = new
        else:
            top.append(new)
        if event == "start_map" or event == "start_array":
            stack.append(new)
    raise ijson.IncompleteJSONError("uventet slutt")


def _skip(events: Iterator[tuple[str, Any]]) -> None:
    """Skip the rest of the array or object whose start event was just read."""
    depth = 1
    for event, _ in events:
        if event == "start_map" or event == "start_array":
            depth += 1
        elif event == "end_map" or event == "end_array":
            depth -= 1
            if not depth:
                return
    raise ijson.IncompleteJSONError("uventet slutt")


def _field_lines(exc: ValidationError, prefix: str) -> list[str]:
    return [f"  {line}" for line in field_problems(exc, prefix)]


class _Loader:
    """Reads a capture into the store in two passes; raises ``CaptureError`` on bad input.

    The first pass checks the JSON syntax and builds the header (every top-level value but the comments, which
    it skips); the second takes the comments one by one (built by the backend, in C with yajl2_c).
    """

    def __init__(self, path: Path, db: sqlite3.Connection, backend: Any) -> None:
        self.path, self.db, self.backend = path, db, backend
        self.count = self.removed = 0
        self.where = str(path)

    def _syntax(self, exc: Exception) -> CaptureError:
        if isinstance(exc, UnicodeDecodeError):
            error = _UndecodableError if self.backend.backend_name != "python" else CaptureError
            return error(f"{self.path}: ikke gyldig UTF-8: {exc}")
        first = (str(exc).strip().splitlines() or ["uventet slutt"])[0]  # the parser's own first line (English)
        return CaptureError(f"{self.path}: ikke gyldig JSON ({first})")

    def run(self) -> Thread:
        header = self._header()
        comments = header.pop("comments", None) == []
        if "thread_id" in header:  # named as parse_thread names it
            self.where = f"{self.path} (tråd {header.get('platform', '?')}/{header['thread_id']})"
        try:
            thread = Thread.model_validate(header)
        except ValidationError as exc:
            lines = [f"{self.where}: ugyldig trådinnsamling ({exc.error_count()} feil)", *_field_lines(exc, "")]
            raise CaptureError("\n".join(lines)) from exc
        if comments:
            with self.path.open("rb") as handle:
                try:
                    self._comments(self.backend.items(handle, "comments.item", use_float=True), thread.post.id)
                except (ijson.JSONError, UnicodeDecodeError) as exc:
                    raise self._syntax(exc) from exc
        return thread

    def _header(self) -> dict[str, Any]:
        header: dict[str, Any] = {}
        with self.path.open("rb") as handle:
            events = iter(self.backend.basic_parse(handle, use_float=True))
            try:
                if next(events)[0] != "start_map":
                    raise CaptureError(f"{self.path}: ugyldig trådinnsamling: toppnivået skal være et JSON-objekt")
                for event, key in events:
                    if event == "end_map":
                        break
                    first = next(events)
                    if key in header:
                        raise CaptureError(f"{self.path}: ugyldig trådinnsamling: {key} står flere ganger")
                    if key == "comments" and first[0] == "start_array":
                        _skip(events)
                        header[key] = []
                    else:
                        header[key] = _value(first, events)
                for _ in events:  # anything after the top-level object is a syntax error
                    pass
            except (ijson.JSONError, UnicodeDecodeError, StopIteration) as exc:
                raise self._syntax(exc) from exc
        return header

    def _error(self, message: str) -> None:
        raise CaptureError(f"{self.where}: ugyldig trådinnsamling: {message}")

    def _comments(self, comments: Iterator[Any], post_id: str) -> None:
        db = self.db
        insert = "INSERT INTO comments VALUES (?, ?, ?, ?, ?, ?, ?)"
        found: dict[str, tuple[int, int] | None] = {}

        def earlier(key: str) -> tuple[int, int] | None:  # an earlier comment's (idx, depth), kept for the parent
            row: tuple[int, int] | None = db.execute(
                "SELECT idx, depth FROM comments WHERE id = ?", (_stored(key),)).fetchone()
            found[key] = row
            return row

        for index, raw in enumerate(comments):
            try:
                item = Item.model_validate(raw)
            except ValidationError as exc:
                ident = f" ({raw.get('id')!r})" if isinstance(raw, dict) and isinstance(raw.get("id"), str) else ""
                lines = [f"{self.where}: ugyldig trådinnsamling: comments[{index}]{ident} ({exc.error_count()} feil)",
                         *_field_lines(exc, f"comments.{index}")]
                raise CaptureError("\n".join(lines)) from exc
            found.clear()
            if problem := comment_tree_problem(index, item, post_id, earlier):
                self._error(problem)
            row = found.get(item.parent_id) if item.parent_id is not None else None
            parent, depth = (row[0], row[1] + 1) if row else (None, 1)
            removed = None
            if item.removal is not None:
                self.removed += 1
                removed = self.removed
            try:
                db.execute(insert, (index, _stored(item.id), parent, depth, removed, _stored(author_name(item)),
                                    marshal.dumps(raw)))
            except sqlite3.IntegrityError:
                self._error(f"comments[{index}].id {item.id!r} er ikke unik")
            self.count = index + 1
            if self.count % BATCH == 0:
                db.commit()


class CaptureSource:
    """A ``Source`` whose comments live in a SQLite file; see the module docstring."""

    def __init__(self, db_path: Path, header: Thread, comment_count: int, removed_comments: int) -> None:
        self.db_path = db_path
        self.header = header
        self.comment_count = comment_count
        self._post_removed = header.post.removal is not None
        self.removed_count = removed_comments + self._post_removed
        self._db: sqlite3.Connection | None = None
        self._pid = 0

    @classmethod
    def load(cls, capture: Path, db_path: Path) -> CaptureSource:
        """Stream ``capture`` into a new store at ``db_path``."""
        capture = Path(capture)
        fast = _fast_backend(capture)
        try:
            return cls._load(capture, db_path, fast or ijson.get_backend("python"))
        except _UndecodableError:
            if fast is None:
                raise
            return cls._load(capture, db_path, ijson.get_backend("python"))

    @classmethod
    def _load(cls, capture: Path, db_path: Path, backend: Any) -> CaptureSource:
        db_path.unlink(missing_ok=True)
        db = sqlite3.connect(db_path)
        try:
            db.executescript(f"PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                             f"PRAGMA cache_size = -{LOAD_CACHE_KIB};" + _SCHEMA)
            loader = _Loader(capture, db, backend)
            header = loader.run()
            db.executescript(_INDEXES)
            db.commit()
        finally:
            db.close()
        return cls(db_path, header, loader.count, loader.removed)

    def _connection(self) -> sqlite3.Connection:
        """This process's read-only connection (a forked worker opens its own)."""
        if self._db is None or self._pid != os.getpid():
            self._db = sqlite3.connect(f"{self.db_path.resolve().as_uri()}?mode=ro", uri=True)
            self._db.execute(f"PRAGMA cache_size = -{READ_CACHE_KIB}")
            self._pid = os.getpid()
        return self._db

    def close(self) -> None:
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None

    def post(self) -> Comment:
        return Comment(self.header.post, 0, 0, None, None, 1 if self._post_removed else None)

    def comments(self, start: int, stop: int) -> Iterator[Comment]:
        offset = int(self._post_removed)
        rows = self._connection().execute(
            "SELECT c.idx, c.depth, c.removed, p.idx, p.name, c.item FROM comments c "
            "LEFT JOIN comments p ON p.idx = c.parent WHERE c.idx >= ? AND c.idx < ? ORDER BY c.idx",
            (start, stop),
        )
        for index, depth, removed, parent, name, blob in rows:
            item = Item.model_validate(marshal.loads(blob))
            yield Comment(item, index + 1, depth, None if parent is None else parent + 1,
                          None if name is None else _loaded(name),
                          None if removed is None else removed + offset)

    def group_starts(self) -> Iterator[int]:
        rows = self._connection().execute("SELECT idx FROM comments WHERE parent IS NULL AND idx > 0 ORDER BY idx")
        return (row[0] for row in rows)

    def removed(self, start: int, stop: int) -> Iterator[Removed]:
        offset = int(self._post_removed)
        if offset and start == 0 < stop:
            yield Removed(self.header.post, label(0))
        rows = self._connection().execute(
            "SELECT idx, item FROM comments WHERE removed > ? AND removed <= ? ORDER BY removed",
            (max(start - offset, 0), stop - offset),
        )
        for index, blob in rows:
            yield Removed(Item.model_validate(marshal.loads(blob)), label(index + 1))
