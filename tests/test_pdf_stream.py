"""The streamed capture path (``render_capture_pdf``): the same bytes as the model path, and clear errors."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from exporters.pdf import RenderOptions, render_capture_pdf
from exporters.pdf.capture_store import CaptureSource
from exporters.pdf.source import ThreadSource
from schemas.capture import capture_bytes, write_capture
from schemas.thread import Item, Media, Removal, RemovalReason, Revision, Thread
from sources.capture import CaptureError, parse_thread
from tests.test_pdf import COVER, MUNICIPALITY, T0, comment, make_thread
from tests.test_pdf import render as render_model
from tests.test_pdf_chunks import CHUNK, run_pooled
from tests.test_pdf_chunks import _thread as chunked_thread
from tests.test_pdf_text import LTR, RTL


def _capture_render(thread: Thread, tmp_path: Path, media_dir: Path | None = None, raw: bytes | None = None,
                    part: str = "2", options: RenderOptions | None = None) -> bytes:
    capture = tmp_path / "thread.json"
    capture.write_bytes(capture_bytes(thread) if raw is None else raw)
    out = tmp_path / "capture.pdf"
    result = render_capture_pdf(capture, out, cover=COVER, media_dir=media_dir, pdfa_part=part,  # type: ignore[arg-type]
                                options=options)
    assert result.sha256 and not (tmp_path / "capture.pdf.chunks.tmp").exists()
    return out.read_bytes()


def _model_render(thread: Thread, tmp_path: Path, media_dir: Path | None = None, part: str = "2",
                  options: RenderOptions | None = None) -> bytes:
    out = tmp_path / "model.pdf"
    render_model(thread, out, media_dir, part=part, options=options)  # also checks PDF/A
    return out.read_bytes()


def _rich_thread(media: Path) -> Thread:
    """Removals (the post too), revisions, media, replies, a reply to a removed comment."""
    from PIL import Image

    Image.new("RGB", (900, 500), (30, 120, 200)).save(media / "photo.jpg", quality=70)
    Image.new("RGB", (800, 600), (240, 240, 240)).save(media / "shot.png")
    (media / "broken.png").write_bytes(b"not a png")
    shot = Media(id="shot1", kind="screenshot", path="shot.png")
    comments = [
        comment(1, "Se bildet", media=[Media(id="m1", path="photo.jpg", alt_text="Skolen"),
                                      Media(id="m2", kind="link", url="https://example.org/ø")]),
        comment(2, "Takk!", parent="c1", author=MUNICIPALITY, reactions=2),
        comment(3, "Ny tekst", edited_at=T0 + timedelta(hours=1), revisions=[Revision(text="Gammel tekst")]),
        comment(4, "Du er en idiot", removal=Removal(state="deleted", reason=RemovalReason.PERSONSJIKANE,
                                                     removed_by="Redaktør", screenshot=shot)),
        comment(5, "Svar på slettet", parent="c4", media=[Media(id="m3", path="broken.png")]),
        comment(6, "Skjult", parent="c5", removal=Removal(state="hidden", reason=RemovalReason.SPAM)),
        *[comment(n, f"Kommentar {n} æøå 🎉", parent=f"c{n - 1}" if n % 3 == 0 else None) for n in range(7, 40)],
    ]
    thread = make_thread(comments)
    post = thread.post.model_copy(update={"removal": Removal(state="hidden", reason=RemovalReason.OTHER,
                                                             note="Skjult av kommunen")})
    return thread.model_copy(update={"post": post})


def _hostile_thread() -> Thread:
    texts = {**LTR, **RTL}
    return make_thread([comment(n, f"BEGIN{key} {text} END{key}") for n, (key, text) in enumerate(texts.items(), 1)],
                       post_text="Fiendtlig tekst \u0007 🇳🇴 中")


def test_rich_thread_gives_the_same_bytes(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    thread = _rich_thread(media)
    assert ThreadSource(thread).removed_count == 3
    model = _model_render(thread, tmp_path, media)
    assert _capture_render(thread, tmp_path, media) == model


def test_hostile_thread_gives_the_same_bytes(tmp_path: Path) -> None:
    thread = _hostile_thread()
    for part in ("2", "1"):
        assert _capture_render(thread, tmp_path, part=part) == _model_render(thread, tmp_path, part=part)


def test_key_order_and_ascii_escapes_do_not_matter(tmp_path: Path) -> None:
    """Header after or before the comments, surrogate pairs as escapes: the same thread, the same bytes."""
    thread = _hostile_thread().model_copy(update={"title": "Tittel 👍"})
    data = thread.model_dump(mode="json")
    reordered = {"comments": data.pop("comments"), **data}  # comments first, unsorted, pairs as \\ud83d\\udc4d
    raw = json.dumps(reordered, ensure_ascii=True).encode()
    assert b"\\ud83d\\udc4d" in raw
    assert parse_thread(raw) == thread
    assert _capture_render(thread, tmp_path, raw=raw) == _model_render(thread, tmp_path)


@pytest.mark.parametrize("workers", [1, 2])
def test_chunked_thread_gives_the_same_bytes(tmp_path: Path, workers: int) -> None:
    # pytest runs other threads: this process never forks, whatever ``workers`` says
    options = RenderOptions(workers=workers, chunk_comments=CHUNK, single_chunk_comments=0)
    thread = chunked_thread()
    assert _capture_render(thread, tmp_path, options=options) == _model_render(thread, tmp_path, options=options)


def test_forked_workers_read_the_store_themselves(tmp_path: Path) -> None:
    thread = chunked_thread()
    capture = tmp_path / "thread.json"
    capture.write_bytes(capture_bytes(thread))
    pooled = run_pooled(
        "from exporters.pdf import render_capture_pdf\nfrom tests.test_pdf import COVER\n"
        "result = render_capture_pdf(Path(sys.argv[1]), Path(sys.argv[2]), cover=COVER, media_dir=None,"
        " options=POOLED)",
        str(capture), str(tmp_path / "pooled.pdf"),
    )
    assert pooled[0] == "2"
    small = RenderOptions(workers=1, chunk_comments=CHUNK, single_chunk_comments=0)
    assert (tmp_path / "pooled.pdf").read_bytes() == _model_render(thread, tmp_path, options=small)


def test_store_answers_like_the_model(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    thread = _rich_thread(media)
    capture = tmp_path / "thread.json"
    capture.write_bytes(capture_bytes(thread))
    stored, model = CaptureSource.load(capture, tmp_path / "store.sqlite"), ThreadSource(thread)
    try:
        assert stored.header == thread.model_copy(update={"comments": []})
        assert (stored.comment_count, stored.removed_count) == (model.comment_count, model.removed_count)
        assert stored.post() == model.post()
        assert list(stored.comments(0, 100)) == list(model.comments(0, 100))
        assert list(stored.comments(3, 9)) == list(model.comments(3, 9))
        assert list(stored.group_starts()) == list(model.group_starts())
        for start, stop in ((0, 3), (0, 1), (1, 3), (2, 3)):
            assert list(stored.removed(start, stop)) == list(model.removed(start, stop))
    finally:
        stored.close()


def test_write_capture_streams_the_canonical_bytes() -> None:
    for thread in (_hostile_thread(), make_thread([]), chunked_thread()):
        out = io.BytesIO()
        write_capture(out, thread.model_copy(update={"comments": []}), iter(thread.comments))
        assert out.getvalue() == capture_bytes(thread)


# -- broken captures --------------------------------------------------------------------------------------

DEEP = 2999  # the broken comment, deep in a generated file


def _items(count: int) -> Iterator[Item]:
    for n in range(count):
        yield comment(n, f"Kommentar {n}", parent=f"c{n - 1}" if n % 4 == 3 else None)


def _big_capture(path: Path, count: int = 3500) -> bytes:
    out = io.BytesIO()
    write_capture(out, make_thread([]), _items(count))
    path.write_bytes(out.getvalue())
    return out.getvalue()


def _broken(tmp_path: Path, old: bytes, new: bytes) -> Path:
    capture = tmp_path / "broken.json"
    raw = _big_capture(capture)
    assert raw.count(old) == 1
    capture.write_bytes(raw.replace(old, new))
    return capture


def _error(capture: Path, tmp_path: Path) -> str:
    """The capture path's error; the model path (``parse_thread``) must reject the file too."""
    with pytest.raises(CaptureError):
        parse_thread(capture.read_bytes())
    out = tmp_path / "out.pdf"
    with pytest.raises(CaptureError) as caught:
        render_capture_pdf(capture, out, cover=COVER, media_dir=None)
    assert not out.exists() and not (tmp_path / "out.pdf.chunks.tmp").exists()
    message = str(caught.value)
    assert str(capture) in message
    return message


def test_bad_field_deep_in_the_file_is_named(tmp_path: Path) -> None:
    created = (T0 + timedelta(minutes=DEEP)).isoformat().replace("+00:00", "Z").encode()
    capture = _broken(tmp_path, b'"created_at": "' + created + b'",\n      "edited_at": null,\n      "id": "c2999"',
                      b'"created_at": "i morgen",\n      "edited_at": null,\n      "id": "c2999"')
    message = _error(capture, tmp_path)
    assert "tråd facebook/1001" in message
    assert f"comments[{DEEP}] ('c{DEEP}')" in message and f"comments.{DEEP}.created_at" in message


def test_reply_to_a_missing_parent_is_named(tmp_path: Path) -> None:
    capture = _broken(tmp_path, b'"parent_id": "c2998"', b'"parent_id": "c9999"')
    message = _error(capture, tmp_path)
    assert "tråd facebook/1001" in message
    assert f"comments[{DEEP}] (c{DEEP}).parent_id 'c9999' viser ikke til en tidligere kommentar" in message


def test_duplicate_id_is_named(tmp_path: Path) -> None:
    capture = _broken(tmp_path, b'"id": "c3001"', b'"id": "c17"')
    message = _error(capture, tmp_path)
    assert "comments[3001].id 'c17' er ikke unik" in message


def test_comment_with_the_post_id_is_named(tmp_path: Path) -> None:
    capture = _broken(tmp_path, b'"id": "c3001"', b'"id": "post"')  # the post comes after the comments
    assert "comments[3001].id 'post' er ikke unik" in _error(capture, tmp_path)


def test_reply_to_the_post_is_rejected(tmp_path: Path) -> None:
    capture = _broken(tmp_path, b'"parent_id": "c2998"', b'"parent_id": "post"')
    assert "viser ikke til en tidligere kommentar" in _error(capture, tmp_path)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (b'"thread_id": "1001"', b'"thread_id": ""', "thread_id: er for kort"),
        (b'"schema_version": "1"', b'"schema_version": "1", "extra": 1', "extra: ukjent felt"),
        (b'"url": "https://www.facebook.com/fjordvik/posts/1001"\n}', b'"url": "x"\n} []', "ikke gyldig JSON"),
        (b'"url": "https://www.facebook.com/fjordvik/posts/1001"\n}', b'"url": "x"\n', "ikke gyldig JSON"),
        (b'"id": "c3001"', b'"id": "c3001\xff"', "ikke gyldig"),  # yajl2_c: "lexical error"
    ],
)
def test_bad_header_or_syntax_is_an_error(tmp_path: Path, old: bytes, new: bytes, expected: str) -> None:
    assert expected in _error(_broken(tmp_path, old, new), tmp_path)


def test_a_comment_that_is_not_an_object_is_an_error(tmp_path: Path) -> None:
    capture = tmp_path / "thread.json"
    data = json.loads(capture_bytes(make_thread([comment(1, "a")])))
    data["comments"].append("tekst")
    capture.write_text(json.dumps(data))
    assert "comments[1] (1 feil)" in _error(capture, tmp_path)


def test_a_repeated_key_is_an_error(tmp_path: Path) -> None:
    """``json.loads`` alone keeps the last of two equal keys: both paths refuse the file instead."""
    capture = _broken(tmp_path, b'"schema_version": "1"', b'"schema_version": "1", "comments": []')
    assert "comments står flere ganger" in _error(capture, tmp_path)
