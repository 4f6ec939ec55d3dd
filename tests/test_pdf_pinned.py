"""Pinned bytes: the SHA-256 of rendered synthetic threads, so a speed-up provably leaves every byte as it was.

The digests were taken from main before the speed work of issue #9 (commit 6788acb). A change that alters them
must say why (and update them here); a pure speed-up never does. The threads cover what the renderer's fast
paths skip or take: plain Norwegian/Sámi text with emoji (the benchmark's thread), tight lines (``Tw``), long
words split over lines, hard line breaks, right-to-left and mixed text, hostile characters (controls, lone
surrogates, U+00A0, U+00AD, zero-width joiners), revisions, removed items, missing media (placeholders), deep
replies, several chunks (``RenderOptions``) and PDF/A-1b. Both entry points must give the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from exporters.pdf import CoverInfo, RenderOptions, render_capture_pdf, render_thread_pdf
from schemas.capture import capture_bytes
from schemas.thread import Account, Author, Item, Media, Platform, Removal, RemovalReason, Revision, Thread

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MUNICIPALITY = Author(id="m", display_name="Fjordvik kommune", is_municipality=True)
COVER = CoverInfo(flag_label="Arkivverdig", case_number="2026/1", journalpost_id="JP-1", capture_sha256="0" * 64)
WORDS = (  # noqa: SIM905 (the benchmark's words)
    "kommunen skolen barnehagen vei brøyting høring innspill budsjett fjord ærlig østlandet åpen møte "
    "bibliotek idrettshall parkering kollektivtrafikk sykkelvei strøm vann avløp renovasjon helse "
    "sámi čáhci đuoddji ŋ šiella ŧ žiŋŋa takk spørsmål svar beslutning vedtak klage"
).split()
EMOJI = ["👍", "😀", "🎉", "❤️", "🇳🇴", "👨‍👩‍👧", "🙏"]
ODD = [
    "شكرا لكم على الرد", "שלום לכולם", "Hei שלום og سلام 2026, ha det bra", "مَرْحَبًا بِكُمْ", "لا إله الا الله",
    "bell\u0007 nul\u0000 esc\u001b", "lone \ud800 end", "a\u00a0b", "del\u00advis", "null\u200bbredde",
    "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichenherstellungsbetrieb" * 3,
    "linje én\nlinje to\n\n\ntre", "中文字符 日本語テキスト 한국어", "e\u0301 cafe\u0301", "<b>ikke</b> &amp; markup",
    "   mange    mellomrom   ", "\t tab \r\n crlf", "👨‍👩‍👧 🏳️‍🌈 🇳🇴🇸🇪 👋🏽",
]


def _items(comments: int, rng: random.Random, odd: bool) -> Iterator[Item]:
    people = [Author(id=f"u{i}", display_name=name) for i, name in
              enumerate(["Åse Ødegård", "Per Ås", "Ánte Čoarvi", "Kari Nordmann", "Øystein Bø", "سلمى"])]
    for n in range(comments):
        words = [rng.choice(WORDS) for _ in range(rng.randint(15, 70))]
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), rng.choice(EMOJI))
        if odd and rng.random() < 0.5:
            words.insert(rng.randrange(len(words)), rng.choice(ODD))
        extra: dict[str, object] = {}
        if odd and n % 5 == 2:
            extra["revisions"] = [Revision(text=f"Første utkast {n} {rng.choice(ODD)}", valid_from=T0)]
            extra["edited_at"] = T0 + timedelta(minutes=n, seconds=30)
        if odd and n % 9 == 4:
            extra["removal"] = Removal(state="hidden", reason=RemovalReason.SENSITIVE_PERSONAL_DATA,
                                       removed_at=T0 + timedelta(hours=3))
        if odd and n % 11 == 5:
            extra["media"] = [Media(id=f"m{n}", kind="image", path=f"bilder/{n}.png", alt_text="Et bilde")]
        parent = None
        if n % 4 == 3:
            parent = f"c{n - 1}"
        elif odd and n % 4 == 2 and n > 2:
            parent = f"c{n - 1}"  # chains of replies: deeper nesting
        author = MUNICIPALITY if n % 7 == 6 else rng.choice(people)
        yield Item(id=f"c{n}", parent_id=parent, author=author, created_at=T0 + timedelta(minutes=n),
                   text=" ".join(words).capitalize() + ".", reactions=rng.randint(0, 20), **extra)  # type: ignore[arg-type]


def synthetic_thread(comments: int, *, odd: bool = False, seed: int = 1) -> Thread:
    rng = random.Random(seed)
    return Thread(
        platform=Platform.FACEBOOK,
        account=Account(id="p", name="Fjordvik kommune", owning_unit="Kommunikasjonsavdelingen"),
        thread_id=f"pin-{comments}", url=f"https://www.facebook.com/fjordvik/posts/pin-{comments}",
        post=Item(id="post", author=MUNICIPALITY, created_at=T0,
                  text="Høring: ny skolestruktur på Ås 🏫" + (" مرحبا" if odd else "")),
        comments=list(_items(comments, rng, odd)), captured_at=T0 + timedelta(days=1),
    )


CASES: dict[str, tuple[int, bool, RenderOptions, str, str]] = {
    # name: (comments, odd, options, PDF/A part, SHA-256)
    "bench-300": (300, False, RenderOptions(workers=1), "2",
                  "5117187547b77bd1ae4d0bc2e4fb7d54b389021952e5465be7c3e0840c7b8d68"),
    "odd-chunks": (60, True, RenderOptions(workers=1, chunk_comments=17, single_chunk_comments=10), "2",
                   "86da7747393c85af98d1622b6febee17c56df37c987b125536b02dfa935f0329"),
    "odd-part1": (25, True, RenderOptions(workers=1), "1",
                  "21c4f13baadad20fd135faeffdc9b4b4d918c3f58f18d8129b9120fc1744636b"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rendered_bytes_are_pinned(name: str, tmp_path: Path) -> None:
    comments, odd, options, part, expected = CASES[name]
    thread = synthetic_thread(comments, odd=odd)
    result = render_thread_pdf(thread, tmp_path / "model.pdf", cover=COVER, media_dir=tmp_path,
                               pdfa_part=part, options=options)  # type: ignore[arg-type]
    assert result.sha256 == expected
    capture = tmp_path / "thread.json"
    capture.write_bytes(capture_bytes(thread))
    streamed = render_capture_pdf(capture, tmp_path / "capture.pdf", cover=COVER, media_dir=tmp_path,
                                  pdfa_part=part, options=options)  # type: ignore[arg-type]
    assert streamed.sha256 == expected
