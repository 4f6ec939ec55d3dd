"""Screening of a thread for personal data: every text of every item, including removed items and earlier
versions. Produces a :class:`schemas.screening.ScreeningResult` (offsets only, never the matched text).

What is screened: the thread's title; per item its text, each earlier text (revision), the removal note, and
the alt text of its media and of its screenshot. What is found: see ``privacy/README.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import TypedDict

from privacy import numbers
from privacy.numbers import Found
from privacy.wordlist import DEFAULT_WORDLIST, CompiledWordList, WordList
from schemas.screening import HitKind, RestrictedItem, ScreeningResult, masked_display_title, redaction_mark
from schemas.thread import Item, RemovalReason, Thread

ENGINE_VERSION = "1"

# Removed for these reasons, an item is restricted whole (as noark.mapping restricts its screenshot).
DEFAULT_RESTRICTED_REASONS = frozenset(
    {RemovalReason.PERSONSJIKANE, RemovalReason.SENSITIVE_PERSONAL_DATA, RemovalReason.CASE_HANDLING}
)
# Functional mailboxes are not personal data: their local parts (any domain) are not hits.
DEFAULT_FUNCTIONAL_MAILBOXES = frozenset(
    {"postmottak", "post", "servicetorget", "kundesenter", "kommunikasjon", "sentralbord", "kontakt", "info"}
)
class _HitFields(TypedDict):
    """A hit before validation: ``ScreeningResult`` validates all of a thread's hits in one call."""

    item_id: str
    field: str
    start: int
    end: int
    kind: HitKind
    rule: str


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


_NAME_PART = re.compile(r"^[^\W\d_][\w'\-]{2,}$")


@dataclass(frozen=True)
class ScreeningConfig:
    """What the screening looks for; built at the edge (``pipeline.settings``) and passed down."""

    wordlist: Path = DEFAULT_WORDLIST
    restricted_reasons: frozenset[RemovalReason] = DEFAULT_RESTRICTED_REASONS
    functional_mailboxes: frozenset[str] = DEFAULT_FUNCTIONAL_MAILBOXES  # local parts or whole addresses
    allowed_numbers: frozenset[str] = field(default_factory=frozenset)  # 8-digit numbers that are not hits
    restricted_author_names: bool = True  # a restricted item's author named elsewhere in the thread is a hit


@lru_cache(maxsize=8)
def _compiled(path: Path) -> CompiledWordList:
    return CompiledWordList.build(WordList.load(path))


class Screener:
    """Compiled once per configuration; ``screen_text`` and ``screen_thread`` are pure."""

    def __init__(self, config: ScreeningConfig | None = None) -> None:
        self.config = config or ScreeningConfig()
        self.words = _compiled(self.config.wordlist)
        self.rules_version = f"screen-{ENGINE_VERSION}/ordliste-{self.words.version}"
        self._mailboxes = frozenset(m.lower() for m in self.config.functional_mailboxes)
        self._allowed = frozenset(re.sub(r"[^0-9]", "", n) for n in self.config.allowed_numbers)
        self._form_lengths = frozenset(len(form) for form in self.words.forms)

    # -- text ----------------------------------------------------------------------------------

    def _words(self, text: str) -> Iterator[Found]:
        lowered = text.lower()
        patterns = self.words.patterns
        if len(lowered) != len(text):  # a character whose lower case is longer: keep offsets exact
            lowered, patterns = text, self.words.patterns_ignorecase
        elif not any(form in lowered for form in self.words.open_forms):
            patterns = patterns[:1]
        size = len(lowered)
        lengths = self._form_lengths if lowered is not text else None  # None: lower() may change lengths
        matches = chain.from_iterable(p.finditer(lowered) for p in patterns) if len(patterns) > 1 else (
            patterns[0].finditer(lowered))
        for match in matches:
            start = match.start()
            closed_before = start == 0 or not _is_word(lowered[start - 1])
            for end in range(match.end(), start + 1, -1):  # the longest form first, then shorter ones
                span = lowered[start:end]
                if span.isalnum():
                    if lengths is not None and end - start not in lengths:
                        continue  # no form is this long: skip the lookup
                    form = span.lower()
                else:
                    form = " ".join(span.lower().split())
                entries = self.words.forms.get(form)
                if not entries:
                    continue
                closed_after = end == size or not _is_word(lowered[end])
                kind = next(
                    (kind for open_start, open_end, kind in entries
                     if (open_start or closed_before) and (open_end or closed_after)),
                    None,
                )  # fmt: skip
                if kind is None:
                    continue
                word_start, word_end = start, end
                while word_start > 0 and (lowered[word_start - 1].isalnum() or lowered[word_start - 1] == "-"):
                    word_start -= 1
                while word_end < size and (lowered[word_end].isalnum() or lowered[word_end] == "-"):
                    word_end += 1
                if lowered[word_start:word_end].lower() not in self.words.exclude:
                    yield Found(word_start, word_end, kind, f"ordliste:{kind.value}")  # never the word itself
                break

    def screen_text(self, text: str) -> list[Found]:
        """Every finding in ``text``, sorted, without overlaps (the earlier, then the longer, wins)."""
        found: list[Found] = []
        if numbers.CANDIDATE.search(text):
            found += numbers.eleven_digit(text)
            found += numbers.accounts(text)
            found += numbers.phones(text, self._allowed)
        if "@" in text:
            found += numbers.emails(text, self._mailboxes)
        found += self._words(text)
        if len(found) < 2:
            return found
        found.sort(key=lambda f: (f.start, -(f.end - f.start)))
        kept: list[Found] = []
        for item in found:
            if kept and item.start < kept[-1].end:
                continue
            kept.append(item)
        return kept

    # -- thread --------------------------------------------------------------------------------

    def screen_thread(self, thread: Thread) -> ScreeningResult:
        """Hits in every text of the thread, and the items restricted whole."""
        hits: list[_HitFields] = [  # validated in one call below: much cheaper than one Hit(...) per hit
            {"item_id": item_id, "field": field_name, "start": f.start, "end": f.end, "kind": f.kind, "rule": f.rule}
            for item_id, field_name, text in thread_texts(thread)
            for f in self.screen_text(text)
        ]
        restricted = [
            RestrictedItem(item_id=item.id, reason=item.removal.reason.value)
            for item in thread.all_items()
            if item.removal is not None and item.removal.reason in self.config.restricted_reasons
        ]
        if restricted and self.config.restricted_author_names:
            hits += self._restricted_names(thread, {r.item_id for r in restricted}, hits)
        hits.sort(key=lambda h: (h["item_id"], h["field"], h["start"]))
        return ScreeningResult.model_validate(
            {"hits": hits, "restricted": restricted, "rules_version": self.rules_version}
        )

    def _restricted_names(
        self, thread: Thread, restricted: set[str], hits: list[_HitFields]
    ) -> list[_HitFields]:
        """The names of restricted items' (non-municipal) authors where they appear in the other items."""
        names: set[str] = set()
        for item in thread.all_items():
            if item.id in restricted and not item.author.is_municipality:
                full = " ".join(item.author.display_name.split())
                if len(full) >= 3:
                    names.add(full)
                names.update(part for part in full.split() if _NAME_PART.match(part) and part[0].isupper())
        if not names:
            return []
        alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
        pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?:s|'s)?(?!\w)")
        taken: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for hit in hits:
            taken.setdefault((hit["item_id"], hit["field"]), []).append((hit["start"], hit["end"]))
        found: list[_HitFields] = []
        for item_id, field_name, text in thread_texts(thread):
            if item_id in restricted:
                continue
            spans = taken.get((item_id, field_name), [])
            for match in pattern.finditer(text):
                if any(match.start() < end and start < match.end() for start, end in spans):
                    continue
                found.append({"item_id": item_id, "field": field_name, "start": match.start(), "end": match.end(),
                              "kind": HitKind.NAVN, "rule": "navn:skjermet-forfatter"})
        return found


def item_texts(item: Item) -> Iterator[tuple[str, str]]:
    """(field, text) of every screened text of one item."""
    yield "text", item.text
    for n, revision in enumerate(item.revisions):
        yield f"revision:{n}", revision.text
    for n, media in enumerate(item.media):
        if media.alt_text:
            yield f"media:{n}.alt_text", media.alt_text
    if item.removal is not None:
        if item.removal.note:
            yield "removal.note", item.removal.note
        if item.removal.screenshot is not None and item.removal.screenshot.alt_text:
            yield "removal.screenshot.alt_text", item.removal.screenshot.alt_text


def thread_texts(thread: Thread) -> Iterator[tuple[str, str, str]]:
    """(item id, field, text) of every screened text of the thread; the title belongs to the post."""
    if thread.title:
        yield thread.post.id, "title", thread.title
    for item in thread.all_items():
        for field_name, text in item_texts(item):
            if text:
                yield item.id, field_name, text


def screen_thread(thread: Thread, config: ScreeningConfig | None = None) -> ScreeningResult:
    """Screen one thread with ``config`` (default: the bundled word list and rules)."""
    return Screener(config).screen_thread(thread)


def safe_display_title(thread: Thread, result: ScreeningResult | None = None) -> str:
    """The display title with every hit in it masked: what logs, Prefect artifacts and CLI output may print."""
    result = result if result is not None else screen_thread(thread)
    return masked_display_title(thread, result, redaction_mark("personopplysning")) or thread.display_title
