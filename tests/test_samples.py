"""The bundled sample data: loadable, canonical, covering the cases the pipeline must handle, and reproducible."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from schemas.capture import capture_bytes
from schemas.thread import Flag, FlagKind, Item, Media, RemovalReason, Thread
from sources.capture import load_flags, load_thread

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
THREAD_FILES = sorted((SAMPLES / "threads").glob("*.json"))
SAMI_LETTERS = set("áčđŋšŧž")
EMOJI = ["👍", "🎉", "❤️", "😡", "🙏", "👨‍👩‍👧", "🇳🇴"]


@pytest.fixture(scope="module")
def threads() -> dict[Path, Thread]:
    return {path: load_thread(path) for path in THREAD_FILES}


@pytest.fixture(scope="module")
def flags() -> list[Flag]:
    return load_flags(SAMPLES / "flags.json").flags


def generator() -> ModuleType:
    """``samples/make_samples.py`` imported in-process (the samples folder is not a package)."""
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def comments(threads: dict[Path, Thread]) -> Iterator[Item]:
    for thread in threads.values():
        yield from thread.comments


def all_media(thread: Thread) -> Iterator[Media]:
    for item in thread.all_items():
        yield from item.media
        if item.removal and item.removal.screenshot:
            yield item.removal.screenshot


def assert_file_matches(media: Media) -> None:
    assert media.path and media.sha256, media
    data = (SAMPLES / "media" / media.path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == media.sha256, media.path
    assert len(data) < 150_000, media.path
    expected = "image/png" if media.path.endswith(".png") else "image/jpeg"
    assert media.mime_type == expected, media.path


def test_threads_are_canonical_and_named_by_platform(threads: dict[Path, Thread]) -> None:
    for path, thread in threads.items():
        assert path.read_bytes() == capture_bytes(thread), path.name
        assert path.name.startswith(f"{thread.platform.value}-"), path.name
        assert thread.source == "sample"


def test_coverage_of_platforms_and_sizes(threads: dict[Path, Thread]) -> None:
    assert len(threads) >= 8
    assert len({t.platform for t in threads.values()}) >= 4
    for thread in threads.values():
        latest = max(i.created_at for i in thread.all_items())
        assert thread.captured_at > latest, thread.thread_id
        assert any(i.author.is_municipality for i in thread.all_items()), thread.thread_id
        if len(thread.comments) < 150:
            assert 3 <= len(thread.comments) <= 40, thread.thread_id
    assert sum(i.reactions for t in threads.values() for i in t.all_items()) > 0


def test_one_large_nested_consultation(threads: dict[Path, Thread]) -> None:
    large = [t for t in threads.values() if len(t.comments) >= 150]
    assert len(large) == 1
    (consultation,) = large
    assert max(consultation.depth_of().values()) >= 3
    assert sum(c.author.is_municipality for c in consultation.comments) >= 5
    assert len({c.author.id for c in consultation.comments}) >= 50
    assert len({c.text for c in consultation.comments}) >= 0.8 * len(consultation.comments)


def test_text_has_emoji_norwegian_and_sami_letters(threads: dict[Path, Thread]) -> None:
    text = "\n".join(item.text for t in threads.values() for item in t.all_items())
    assert all(emoji in text for emoji in EMOJI), [e for e in EMOJI if e not in text]
    assert set("æøåÆØÅ") & set(text) >= set("æøå")
    assert set(text) >= SAMI_LETTERS, SAMI_LETTERS - set(text)
    assert "Buorre beaivi" in text


def test_removals_keep_text_and_screenshots(threads: dict[Path, Thread]) -> None:
    removed = [c for c in comments(threads) if c.removal]
    by_reason = {c.removal.reason: c for c in removed if c.removal}
    harassment = by_reason[RemovalReason.PERSONSJIKANE]
    assert harassment.removal and harassment.removal.state == "deleted" and harassment.text
    assert harassment.removal.screenshot and harassment.removal.screenshot.kind == "screenshot"
    assert_file_matches(harassment.removal.screenshot)
    sensitive = by_reason[RemovalReason.SENSITIVE_PERSONAL_DATA]
    assert sensitive.removal and sensitive.removal.screenshot
    assert_file_matches(sensitive.removal.screenshot)
    spam = by_reason[RemovalReason.SPAM]
    assert spam.removal and spam.removal.state == "hidden"


def test_edited_comment_has_revision(threads: dict[Path, Thread]) -> None:
    edited = [c for c in comments(threads) if c.edited_at and c.revisions]
    assert edited
    for comment in edited:
        revision = comment.revisions[-1]
        assert revision.text != comment.text
        assert revision.valid_to == comment.edited_at


def test_media_files_exist_and_match(threads: dict[Path, Thread]) -> None:
    for thread in threads.values():
        for media in all_media(thread):
            if media.path:
                assert_file_matches(media)
    assert any(m.kind == "image" and m.path for t in threads.values() for m in t.post.media)
    assert any(m.kind == "image" and m.path for c in comments(threads) for m in c.media)
    assert sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file()) < 1_500_000


def test_every_thread_has_exactly_one_flag(threads: dict[Path, Thread], flags: list[Flag]) -> None:
    urls = [t.url for t in threads.values()]
    assert sorted(f.thread_url for f in flags) == sorted(urls)
    assert len(set(urls)) == len(urls)
    journal = [f for f in flags if f.kind == FlagKind.JOURNAL_REQUIRED]
    assert len(journal) > len(flags) / 2
    assert all(f.case_number for f in journal)
    assert all(f.case_title for f in flags if f.kind == FlagKind.ARCHIVE_WORTHY)


def _masked(raw: bytes) -> object:
    """A capture with media hashes masked: image encoder bytes may differ between Pillow builds."""

    def walk(node: object) -> object:
        if isinstance(node, dict):
            return {k: ("<sha256>" if k == "sha256" else walk(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(json.loads(raw))


def test_generator_is_deterministic_and_reproduces_the_bundled_data(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    generator().main(first)
    generator().main(second)
    produced = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert produced == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for rel in produced:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel

    bundled = sorted(
        p.relative_to(SAMPLES) for folder in ("threads", "media") for p in (SAMPLES / folder).rglob("*") if p.is_file()
    )
    assert produced == sorted([*bundled, Path("flags.json")])
    for rel in produced:
        if rel.suffix == ".json":
            assert _masked((first / rel).read_bytes()) == _masked((SAMPLES / rel).read_bytes()), rel
        else:
            with Image.open(first / rel) as fresh, Image.open(SAMPLES / rel) as kept:
                assert (fresh.size, fresh.mode) == (kept.size, kept.mode), rel
