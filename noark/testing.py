"""Synthetic threads and package folders for tests, demos and the benchmark (no network, no sink)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from noark.mapping import package_metadata
from noark.model import NoarkContext
from schemas.capture import capture_bytes
from schemas.package import MANIFEST_NAME, FileRole, Manifest, PackageFile, package_id_for
from schemas.thread import Account, Author, Flag, FlagKind, Item, Media, Platform, Removal, RemovalReason, Thread

# A tiny but real PDF and PNG: enough bytes for checksums; their content is not inspected here.
FAKE_PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FAKE_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def sample_context() -> NoarkContext:
    return NoarkContext(
        arkiv_title="Fjordvik kommune – sosiale medier",
        arkivdel_title="Dialog i sosiale medier",
        municipality="Fjordvik kommune",
        system_name="somearkiv",
        archivist="somearkiv",
    )


def sample_thread(
    thread_id: str = "123_456",
    *,
    created_at: datetime | None = None,
    comments: int = 2,
    screenshot_sha256: str | None = None,
    removal_reason: RemovalReason = RemovalReason.PERSONSJIKANE,
    title: str | None = "Høring: ny kommuneplan for Fjordvik",
) -> Thread:
    """A thread by the municipality's page with ``comments`` citizen comments; optionally one removed comment."""
    start = created_at or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    page = Account(id="fjordvik", name="Fjordvik kommune", owning_unit="Kommunikasjonsavdelingen")
    items = [
        Item(
            id=f"c{n}",
            author=Author(id=f"u{n}", display_name=f"Innbygger {n}"),
            created_at=start + timedelta(minutes=n),
            text=f"Innspill nummer {n}",
        )
        for n in range(1, comments + 1)
    ]
    if screenshot_sha256:
        shot = Media(id="shot1", kind="screenshot", path="shot1.png", mime_type="image/png", sha256=screenshot_sha256)
        items.append(
            Item(
                id="removed1",
                author=Author(id="u99", display_name="Anonym"),
                created_at=start + timedelta(hours=1),
                text="[fjernet]",
                removal=Removal(state="deleted", reason=removal_reason, screenshot=shot),
            )
        )
    return Thread(
        platform=Platform.FACEBOOK,
        account=page,
        thread_id=thread_id,
        url=f"https://facebook.com/fjordvik/posts/{thread_id}",
        title=title,
        post=Item(
            id="p1",
            author=Author(id="fjordvik", display_name="Fjordvik kommune", is_municipality=True),
            created_at=start,
            text="Vi vil høre fra deg om kommuneplanen.",
        ),
        comments=items,
        captured_at=start + timedelta(days=1),
        source="sample",
    )


def sample_flag(
    thread: Thread,
    *,
    kind: FlagKind = FlagKind.JOURNAL_REQUIRED,
    case_number: str | None = "2026/1042",
    case_title: str | None = "Kommuneplanens samfunnsdel 2026–2038",
) -> Flag:
    return Flag(
        thread_url=thread.url,
        kind=kind,
        case_number=case_number,
        case_title=case_title,
        flagged_by="Kari Redaktør",
        flagged_at=thread.captured_at,
    )


def _entry(path: str, data: bytes, role: FileRole, mime: str, title: str | None = None) -> PackageFile:
    return PackageFile(
        path=path, size=len(data), sha256=hashlib.sha256(data).hexdigest(), role=role, mime_type=mime, title=title
    )


def write_package(
    root: Path,
    thread: Thread,
    flag: Flag | None,
    *,
    exported_at: datetime,
    ctx: NoarkContext,
    with_screenshot: bool = False,
    pdf_bytes: bytes = FAKE_PDF,
) -> Manifest:
    """Writes a complete package folder ``root/<package_id>/`` the way the exporter lays it out."""
    capture = capture_bytes(thread)  # the canonical bytes, as the exporter writes them
    capture_sha = hashlib.sha256(capture).hexdigest()
    package_id = package_id_for(thread.platform, thread.thread_id, capture_sha)
    folder = root / package_id
    contents: dict[str, tuple[bytes, FileRole, str, str | None]] = {
        f"DOKUMENT/{package_id}.pdf": (pdf_bytes, "hoveddokument", "application/pdf", None),
        "capture/thread.json": (capture, "capture", "application/json", None),
    }
    if with_screenshot:
        contents["DOKUMENT/vedlegg-shot1.png"] = (FAKE_PNG, "vedlegg", "image/png", "Skjermbilde av slettet kommentar")
    files = [_entry(path, data, role, mime, title) for path, (data, role, mime, title) in contents.items()]
    metadata = package_metadata(thread, flag, files, capture_sha256=capture_sha, exported_at=exported_at, ctx=ctx)
    for name, data in metadata.items():
        files.append(_entry(name, data, "metadata", "application/xml"))
        contents[name] = (data, "metadata", "application/xml", None)
    for path, (data, *_rest) in contents.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    manifest = Manifest.for_thread(thread, capture_sha256=capture_sha, flag=flag, created_at=exported_at, files=files)
    (folder / MANIFEST_NAME).write_bytes(manifest.to_bytes())
    return manifest
