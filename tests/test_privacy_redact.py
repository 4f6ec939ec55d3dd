"""The redacted variant: hits and restricted items replaced by visible marks, and really gone from the PDF
(text layer via pypdf and pdftotext, bookmarks, metadata, every stream decompressed with pikepdf, images)."""

from __future__ import annotations

import contextlib
import re
import subprocess
from pathlib import Path

import pikepdf
import pypdf
import pytest

from exporters.pdf import CoverInfo, check_pdfa, render_thread_pdf
from privacy.redact import apply_hits, redact_thread
from privacy.screen import item_texts, screen_thread, thread_texts
from schemas.errors import InputError
from schemas.screening import Hit, HitKind, ScreeningResult
from schemas.thread import Thread
from tests.factories import make_thread

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
DEMO = "facebook-hoering-reguleringsplan-sentrum"


def load(stem: str) -> Thread:
    return Thread.model_validate_json((SAMPLES / "threads" / f"{stem}.json").read_bytes())


def hit_texts(thread: Thread, result: ScreeningResult) -> list[str]:
    texts = {(item_id, name): text for item_id, name, text in thread_texts(thread)}
    return [texts[(h.item_id, h.field)][h.start : h.end] for h in result.hits]


def secrets(thread: Thread, result: ScreeningResult, redacted: Thread) -> set[str]:
    """Every hit's text, the restricted authors' names, every number in a restricted item, and every run of
    three words of a restricted item's texts that the redacted thread does not hold elsewhere."""
    remaining = " ".join(" ".join(text.split()) for _, _, text in thread_texts(redacted))
    found = set(hit_texts(thread, result))
    for item in thread.all_items():
        if item.id not in result.restricted_ids:
            continue
        found.add(item.author.display_name)
        for _, text in item_texts(item):
            found.update(m.group() for m in re.finditer(r"\d[\d ]{6,}\d", text))  # any number in it, valid or not
            words = text.split()
            for n in range(len(words) - 2):
                window = " ".join(words[n : n + 3])
                if window not in remaining:
                    found.add(window)
    return {s for s in found if len(s.strip()) >= 3}


def pdf_texts(path: Path) -> dict[str, str]:
    """The text layer (pypdf, pdftotext), the outline and the metadata, whitespace collapsed."""
    reader = pypdf.PdfReader(path)
    outline: list[str] = []

    def walk(entries: list) -> None:
        for entry in entries:
            if isinstance(entry, list):
                walk(entry)
            else:
                outline.append(entry.title)

    walk(reader.outline)
    poppler = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout
    texts = {
        "pypdf": "\n".join(page.extract_text() for page in reader.pages),
        "pdftotext": poppler.decode("utf-8"),
        "outline": "\n".join(outline),
        "metadata": " ".join(str(v) for v in (reader.metadata or {}).values()),
    }
    return {name: " ".join(text.split()) for name, text in texts.items()}


def decompressed_bytes(path: Path, tmp_path: Path) -> bytes:
    """The whole file with every stream decoded and no object streams (pikepdf), so nothing hides in zlib."""
    out = tmp_path / f"{path.stem}-decoded.pdf"
    with pikepdf.open(path) as pdf:
        pdf.save(
            out,
            compress_streams=False,
            stream_decode_level=pikepdf.StreamDecodeLevel.all,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
        )
    return path.read_bytes() + out.read_bytes()


def encodings(secret: str) -> list[bytes]:
    forms = [secret.encode("utf-8"), secret.encode("utf-16-be")]
    with contextlib.suppress(UnicodeEncodeError):
        forms.append(secret.encode("latin-1"))
    return forms


def leaks(path: Path, tmp_path: Path, found: set[str]) -> list[str]:
    texts = pdf_texts(path)
    raw = decompressed_bytes(path, tmp_path)
    problems = []
    for secret in sorted(found):
        plain = " ".join(secret.split())
        digits = re.sub(r"\D", "", secret)
        for name, text in texts.items():
            if plain in text or (len(digits) >= 8 and digits in re.sub(r"\D", "", text)):
                problems.append(f"{name}: {plain!r}")
        if any(form in raw for form in encodings(plain)):
            problems.append(f"bytes: {plain!r}")
    return problems


def image_count(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return sum(
            1 for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image
        )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("redact")
    thread = load(DEMO)
    result = screen_thread(thread)
    redacted = redact_thread(thread, result)
    cover = CoverInfo(flag_label="Journalpliktig", case_number=None, journalpost_id=None, capture_sha256="0" * 64)
    full_pdf, redacted_pdf = out / "full.pdf", out / "redacted.pdf"
    render_thread_pdf(thread, full_pdf, cover=cover, media_dir=SAMPLES / "media")
    render_thread_pdf(redacted, redacted_pdf, cover=cover, media_dir=SAMPLES / "media")
    return {"thread": thread, "result": result, "redacted": redacted, "full": full_pdf, "pdf": redacted_pdf}


def test_the_full_pdf_does_hold_the_secrets(demo: dict, tmp_path: Path) -> None:
    """The checks below can fail: on the full (restricted) document they find the personal data."""
    found = secrets(demo["thread"], demo["result"], demo["redacted"])
    assert {"010120 12345", "Camilla Sæther", "Terje Vollan i"} <= found
    problems = leaks(demo["full"], tmp_path, found)
    assert any(p.startswith("pdftotext: '010120 12345'") for p in problems)
    assert any(p.startswith("pypdf: 'Camilla Sæther'") for p in problems)
    assert any("Terje Vollan" in p for p in problems)


def test_no_hit_can_be_extracted_from_the_redacted_pdf(demo: dict, tmp_path: Path) -> None:
    found = secrets(demo["thread"], demo["result"], demo["redacted"])
    assert leaks(demo["pdf"], tmp_path, found) == []
    text = pdf_texts(demo["pdf"])["pdftotext"]
    assert "[skjermet: sensitive personopplysninger]" in text
    assert "[skjermet: personsjikane]" in text
    assert "Hei, [skjermet: navn]." in text


def test_restricted_screenshots_are_not_embedded(demo: dict) -> None:
    thread, result = demo["thread"], demo["result"]
    shots = [i for i in thread.all_items() if i.removal and i.removal.screenshot and i.removal.screenshot.path]
    dropped = [i for i in shots if i.id in result.restricted_ids]
    assert len(dropped) == 2
    assert image_count(demo["full"]) - image_count(demo["pdf"]) == len(dropped)


def test_both_variants_pass_the_pdfa_checks(demo: dict) -> None:
    assert check_pdfa(demo["full"]) == []
    assert check_pdfa(demo["pdf"]) == []


def test_redaction_of_a_single_item() -> None:
    thread = make_thread(title="Om Kari")
    c1 = thread.comments[0].model_copy(update={"text": "Ring 41234567 eller skriv kari@gmail.com"})
    thread = thread.model_copy(update={"comments": [c1, *thread.comments[1:]]})
    result = screen_thread(thread)
    redacted = redact_thread(thread, result)
    assert redacted.comments[0].text == "Ring [skjermet: telefonnummer] eller skriv [skjermet: e-postadresse]"
    c3 = redacted.comments[2]  # removed for personsjikane: restricted whole
    assert c3.text == "[skjermet: personsjikane]"
    assert c3.author.display_name == "[skjermet: navn]"
    assert c3.removal.screenshot.path is None and c3.removal.screenshot.alt_text == "[skjermet: skjermbilde]"
    assert c3.id == "c3" and redacted.comments[1] == thread.comments[1]  # untouched items are the same object
    cleared = redact_thread(thread, result, cleared={result.hits[0].key})
    assert "41234567" in cleared.comments[0].text


def test_overlapping_and_stale_hits() -> None:
    hits = [
        Hit(item_id="c1", field="text", start=0, end=5, kind=HitKind.HELSE, rule="r"),
        Hit(item_id="c1", field="text", start=3, end=8, kind=HitKind.HELSE, rule="r"),
    ]
    assert apply_hits("abcdefghij", hits, where="x") == "[skjermet: helseopplysning]ij"
    with pytest.raises(InputError, match="utenfor teksten"):
        apply_hits("abc", hits, where="x")
    thread = make_thread()
    stale = ScreeningResult(
        hits=(Hit(item_id="ukjent", field="text", start=0, end=1, kind=HitKind.HELSE, rule="r"),), rules_version="v"
    )
    with pytest.raises(InputError, match="element som ikke finnes"):
        redact_thread(thread, stale)


def test_health_words_in_ordinary_comments_are_gone_from_the_pdf(tmp_path: Path) -> None:
    """The vaccination thread: health data in a comment that stays (not removed) is redacted word by word."""
    thread = load("facebook-vaksinasjon-65-pluss")
    result = screen_thread(thread)
    kept = [h for h in result.hits if h.item_id not in result.restricted_ids]
    assert kept and {h.kind for h in kept} == {HitKind.HELSE}
    redacted = redact_thread(thread, result)
    cover = CoverInfo(flag_label=None, case_number=None, journalpost_id=None, capture_sha256="0" * 64)
    path = tmp_path / "vaksine.pdf"
    render_thread_pdf(redacted, path, cover=cover, media_dir=SAMPLES / "media", pdfa_part="1")
    found = secrets(thread, result, redacted)
    assert "hjertesyk" in found
    assert leaks(path, tmp_path, found) == []
    assert "Min mann på 64 er [skjermet: helseopplysning]" in pdf_texts(path)["pdftotext"]
    assert check_pdfa(path, part="1") == []
