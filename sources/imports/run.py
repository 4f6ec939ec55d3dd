"""``import_path``: walk a file, folder or zip export, pick each file's parser by name and content."""

from __future__ import annotations

import codecs
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from schemas.errors import InputError
from schemas.thread import Account
from sources.capture import parse_thread
from sources.imports import formats
from sources.imports.report import ImportReport

MAX_FILE_BYTES = 256 << 20
MAX_FILES = 100_000
Parser = Callable[[bytes, str, Account, ImportReport], None]
DEFAULT_ACCOUNT = Account(id="eksport", name="Eksportert konto", owning_unit="(ikke oppgitt)")


def _canonical(raw: bytes, name: str, account: Account, report: ImportReport) -> None:
    report.threads.append(parse_thread(raw, source=name))
    report.formats.add("kanonisk tråd-JSON")


def parser_for(name: str, head: bytes) -> Parser | None:
    """The parser of a file, from its base name and its first bytes (``None``: not an export we read)."""
    base = PurePosixPath(name).name.lower()
    if base.endswith(".json"):
        if b'"comments_v2"' in head:
            return formats.facebook_comments
        if re.fullmatch(r"your_posts(_\d+)?\.json", base):
            return formats.facebook_posts
        if re.fullmatch(r"(post|reels)_comments(_\d+)?\.json", base) or b'"comments_media_comments"' in head:
            return formats.instagram_comments
        if re.fullmatch(r"posts(_\d+)?\.json", base):
            return formats.instagram_posts
        if b'"captured_at"' in head and b'"account"' in head:  # sorted keys: these come first
            return _canonical
        return None
    if re.fullmatch(r"tweets(-part\d+)?\.js", base):
        return formats.x_tweets
    if base.endswith(".csv") and base in ("comments.csv", "kommentarer.csv", "reacties.csv"):
        return formats.youtube_comments
    return None


def _unreadable(name: str, raw: bytes) -> str | None:
    """Why a file no parser took cannot be read at all (not UTF-8, not JSON), or None: it is just another kind
    of file in the export. Only text formats an export of ours would use are checked (.json, .js, .csv)."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in {".json", ".js", ".csv"}:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"ikke lesbar: ikke gyldig UTF-8 (byte {exc.start})"
    if "\x00" in text:
        return "ikke lesbar: inneholder NUL-tegn"
    if suffix == ".json":
        try:
            json.loads(text)
        except (ValueError, RecursionError) as exc:
            reason = "for dypt nøstet" if isinstance(exc, RecursionError) else str(exc).splitlines()[0][:120]
            return f"ikke lesbar: ikke gyldig JSON ({reason})"
    return None


def _folder_files(root: Path) -> Iterator[tuple[str, Callable[[], bytes], int]]:
    base = root.resolve()
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            continue  # a link could point anywhere: nothing outside the export is read
        resolved = path.resolve()
        if not resolved.is_file() or not resolved.is_relative_to(base):
            continue
        yield path.relative_to(root).as_posix(), resolved.read_bytes, resolved.stat().st_size


def _zip_files(archive: zipfile.ZipFile) -> Iterator[tuple[str, Callable[[], bytes], int]]:
    for info in archive.infolist():
        if info.is_dir():
            continue
        yield info.filename, (lambda info=info: archive.read(info)), info.file_size  # type: ignore[misc]


def import_path(path: Path, account: Account | None = None) -> ImportReport:
    """Read the exports in ``path`` (a file, a folder or a ``.zip``) into threads and own comments."""
    report = ImportReport()
    owner = account or DEFAULT_ACCOUNT
    if not path.exists():
        raise InputError(f"{path}: finnes ikke")
    ignored = 0
    archive: zipfile.ZipFile | None = None
    try:
        if path.is_dir():
            files = _folder_files(path)
        elif zipfile.is_zipfile(path):
            archive = zipfile.ZipFile(path)
            files = _zip_files(archive)
        else:
            files = iter([(path.name, path.read_bytes, path.stat().st_size)])
        for count, (name, read, size) in enumerate(files):
            if count >= MAX_FILES:
                report.skipped.append((str(path), f"mer enn {MAX_FILES} filer; resten er ikke lest"))
                break
            if size > MAX_FILE_BYTES:
                report.skipped.append((name, f"større enn {MAX_FILE_BYTES >> 20} MB"))
                continue
            try:
                raw = read().removeprefix(codecs.BOM_UTF8)  # a BOM is not part of the text (Windows editors add it)
                parser = parser_for(name, raw[:4096])
                if parser is None:
                    problem = _unreadable(name, raw) or (None if archive or path.is_dir() else
                                                          "ukjent format: ikke en eksport somearkiv leser")
                    if problem:
                        report.skipped.append((name, problem))
                    else:
                        ignored += 1
                    continue
                report.files.append(name)
                parser(raw, name, owner, report)
            except (InputError, OSError, zipfile.BadZipFile, RecursionError, UnicodeError, ValueError) as exc:
                report.skipped.append((name, str(exc).splitlines()[0][:300] or type(exc).__name__))
    except zipfile.BadZipFile as exc:
        raise InputError(f"{path}: ødelagt zip-fil ({exc})") from exc
    finally:
        if archive is not None:
            archive.close()
    if ignored:
        report.notes.append(f"{ignored} filer i eksporten er ikke kommentarer eller innlegg og ble ikke lest.")
    return report


def write_threads(report: ImportReport, root: Path) -> list[Path]:
    """Write the imported threads into the capture folder ``root`` (``threads/<key>.json``).

    A thread already in the folder is left alone (an API capture is the better record; the skip is added to
    the report). Files are written by rename, so a failure leaves no half-written thread.
    """
    import os

    from schemas.capture import capture_bytes
    from schemas.package import thread_key

    written: list[Path] = []
    folder = root / "threads"
    folder.mkdir(parents=True, exist_ok=True)
    for thread in report.threads:
        path = folder / f"{thread_key(thread.platform, thread.thread_id)}.json"
        if path.exists():
            report.skipped.append((path.name, "finnes fra før i innsamlingsmappen; ikke overskrevet"))
            continue
        temporary = path.with_name(f".{path.name}.tmp")
        try:
            temporary.write_bytes(capture_bytes(thread))
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        written.append(path)
    return written
