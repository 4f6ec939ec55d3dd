"""Import of platform exports: the four formats, mojibake repair, zips, and hostile files."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest

from schemas.capture import capture_bytes
from schemas.errors import InputError
from schemas.thread import Account, Platform
from sources.imports import import_path
from tests.factories import make_thread

EXPORTS = Path(__file__).parent / "replay" / "fixtures" / "exports"
LAYOUT = {
    "fb_comments.json": "facebook/your_facebook_activity/comments_and_reactions/comments.json",
    "fb_your_posts_1.json": "facebook/your_facebook_activity/posts/your_posts_1.json",
    "ig_post_comments_1.json": "instagram/your_instagram_activity/comments/post_comments_1.json",
    "ig_posts_1.json": "instagram/your_instagram_activity/content/posts_1.json",
    "tweets.js": "x/data/tweets.js",
    "comments.csv": "Takeout/YouTube and YouTube Music/comments/comments.csv",
}
ACCOUNT = Account(id="eksempelkommune", name="Eksempel kommune", owning_unit="Kommunikasjon")


def build_export(root: Path) -> Path:
    for source, target in LAYOUT.items():
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(EXPORTS / source, root / target)
    (root / "facebook/your_facebook_activity/other.json").write_text('{"profile_v2": {}}')
    return root


def test_all_four_formats_from_a_folder(tmp_path: Path) -> None:
    report = import_path(build_export(tmp_path / "export"), ACCOUNT)
    assert report.formats == {"Facebook-eksport", "Instagram-eksport", "X-arkiv", "YouTube Takeout"}
    by_platform = {p: [t for t in report.threads if t.platform is p] for p in Platform}
    fb_post = by_platform[Platform.FACEBOOK][0]
    assert fb_post.post.text == "Høring: reguleringsplan for Ås sentrum. Innspill innen 15. november."  # repaired
    assert fb_post.source == "export" and fb_post.post.media[0].alt_text.endswith("plan.jpg")
    fb_comments = [c for c in report.own_comments if c.platform is Platform.FACEBOOK]
    assert [c.text for c in fb_comments] == ["Høringsfristen er 15. november – se kommunens nettside",
                                             "Takk for innspillet! 🙏"]
    ig = [c for c in report.own_comments if c.platform is Platform.INSTAGRAM]
    assert [c.text for c in ig] == ["@ola.nordmann Takk! Vannprøvene er fine 👍", "Vi åpner kl. 10 i morgen"]
    assert by_platform[Platform.INSTAGRAM][0].post.text == "Badeplassen er åpen igjen! 🏊"
    x_threads = {t.thread_id: t for t in by_platform[Platform.X]}
    assert set(x_threads) == {"1853000000000000001", "1853000000000000020"}
    self_thread = x_threads["1853000000000000001"]
    assert [c.id for c in self_thread.comments] == ["1853000000000000010"]  # own follow-up joins the thread
    assert len(self_thread.post.revisions) == 1 and self_thread.post.reactions == 12
    yt = [c for c in report.own_comments if c.platform is Platform.YOUTUBE]
    assert [c.text for c in yt] == ["Sakspapirene ligger i postlista.", "Takk for at du så på! æøå"]
    assert yt[0].url == "https://www.youtube.com/watch?v=AbCdEfGhIjK"
    skipped = dict(report.skipped)
    assert any("../../etc/passwd" not in name and "id_str" in reason for name, reason in skipped.items())
    assert any("comments.csv:4" in name for name in skipped)
    assert any("your_posts_1.json[1]" in name for name in skipped)
    assert "bare kontoens egen aktivitet" in report.summary()
    assert "1 filer i eksporten er ikke kommentarer" in report.summary()
    for thread in report.threads:
        capture_bytes(thread)  # each is a valid canonical thread


def test_a_zip_export_and_a_canonical_thread(tmp_path: Path) -> None:
    folder = build_export(tmp_path / "export")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
        zf.writestr("../../outside/evil.json", b'{"comments_v2": []}')  # a member name with path tricks: only read
    report = import_path(archive, ACCOUNT)
    assert len(report.threads) == 4 and len(report.own_comments) == 6
    assert not (tmp_path.parent / "outside").exists()
    thread = make_thread()
    (tmp_path / "thread.json").write_bytes(capture_bytes(thread))
    assert import_path(tmp_path / "thread.json").threads == [thread]


def test_hostile_files_are_skipped_one_by_one(tmp_path: Path) -> None:
    root = tmp_path / "export"
    (root / "x/data").mkdir(parents=True)
    (root / "x/data/tweets.js").write_bytes(b"window.YTD.tweets.part0 = [{\"tweet\": {\"id_str\": \"1\",")
    (root / "x/data/tweets-part1.js").write_bytes(b"alert('not an archive')")
    (root / "post_comments_1.json").write_bytes(b"[" * 50_000 + b"]" * 50_000)
    (root / "comments.csv").write_bytes(b"\xff\xfe not utf-8")
    (root / "your_posts_1.json").write_text('[{"timestamp": 1, "data": [{"post": "\\ud800 lone \\u0007"}]}]')
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "your_posts_1.json").write_text('[{"timestamp": 1, "data": [{"post": "secret"}]}]')
    os.symlink(outside, root / "link")
    report = import_path(root, ACCOUNT)
    assert [t.post.text for t in report.threads] == ["\ud800 lone \x07"]
    assert {name for name, _ in report.skipped} == {"comments.csv", "post_comments_1.json", "x/data/tweets-part1.js",
                                                    "x/data/tweets.js"}
    with pytest.raises(InputError, match="finnes ikke"):
        import_path(tmp_path / "missing")


def test_imported_threads_go_into_the_capture_folder_without_overwriting(tmp_path: Path) -> None:
    from sources.folder import load_catalog
    from sources.imports import write_threads

    report = import_path(build_export(tmp_path / "export"), ACCOUNT)
    root = tmp_path / "captures"
    written = write_threads(report, root)
    assert len(written) == 4
    assert load_catalog(root).broken == [] and len(load_catalog(root).unflagged) == 4
    again = import_path(build_export(tmp_path / "export2"), ACCOUNT)
    x_only = [t for t in again.threads if t.platform is Platform.X]
    again.threads = x_only
    assert write_threads(again, root) == []
    assert sum("ikke overskrevet" in reason for _, reason in again.skipped) == 2


def test_unreadable_files_are_reported_not_counted_as_other_kinds(tmp_path: Path) -> None:
    """A file no parser takes is "another kind of file" only when it can be read at all: deep nesting, invalid
    UTF-8, NUL bytes and numbers Python will not read are reported (the CLI exits 1), a BOM is no problem."""
    root = tmp_path / "export"
    root.mkdir()
    (root / "deep.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    (root / "latin1.json").write_bytes('{"navn": "Bjørn"}'.encode("latin-1"))
    (root / "nul.csv").write_bytes(b"a,b\x00,c\n")
    (root / "huge.json").write_bytes(b'{"n": ' + b"9" * 5000 + b"}")
    (root / "profile_information.json").write_text('{"profile": {"name": "Kari"}}')  # another kind: fine
    (root / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not read")
    thread = make_thread()
    (root / "thread.json").write_bytes(b"\xef\xbb\xbf" + capture_bytes(thread))  # saved by a Windows editor
    report = import_path(root, ACCOUNT)
    assert report.threads == [thread]
    reasons = dict(report.skipped)
    assert set(reasons) == {"deep.json", "latin1.json", "nul.csv", "huge.json"}
    assert all(reason.startswith("ikke lesbar") for reason in reasons.values())
    assert "for dypt" in reasons["deep.json"] and "UTF-8" in reasons["latin1.json"]
    assert "2 filer i eksporten er ikke kommentarer" in report.summary()


def test_a_single_file_of_no_known_format_is_reported(tmp_path: Path) -> None:
    lone = tmp_path / "notes.json"
    lone.write_text('{"not": "an export"}')
    assert [reason for _, reason in import_path(lone, ACCOUNT).skipped] == [
        "ukjent format: ikke en eksport somearkiv leser"]
