"""Import of platform exports: canonical thread JSON, Facebook and Instagram JSON exports, X's archive and
YouTube Takeout comments. ``import_path(path)`` reads a file, a folder or a ``.zip`` and returns an
:class:`ImportReport`; one bad file never stops the others, and nothing outside ``path`` is read.

Exports hold only the account's own activity (its posts and its own comments), never what others wrote in
the account's threads: the report says so, and the API capture stays the primary record.
"""

from __future__ import annotations

from sources.imports.report import ImportReport, OwnActivity
from sources.imports.run import import_path, write_threads

__all__ = ["ImportReport", "OwnActivity", "import_path", "write_threads"]
