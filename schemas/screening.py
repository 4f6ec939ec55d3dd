"""The screening contract: where a thread holds personal data, as offsets only.

``privacy`` produces a :class:`ScreeningResult`; ``noark`` and ``exporters`` read it without importing
``privacy``. A hit never stores the matched text, only the item, the field and a character range in that
field's text, so a log line, an artifact or an error message built from a hit can't print personal data.
``describe()`` is the safe summary for reports.
"""

from __future__ import annotations

import json
from collections import Counter
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.thread import Thread

SCREENING_FILE = "screening.json"  # in a package, covered by the manifest


class HitKind(StrEnum):
    """What was found. Identity numbers and contact data are exact; the categories come from the word list."""

    FODSELSNUMMER = "fodselsnummer"
    D_NUMMER = "d-nummer"
    KONTONUMMER = "kontonummer"
    TELEFON = "telefon"
    E_POST = "e-post"
    HELSE = "helse"
    BARNEVERN = "barnevern"
    SOSIALTJENESTE = "sosialtjeneste"
    RELIGION = "religion"
    ETNISITET = "etnisitet"
    SEKSUELL_ORIENTERING = "seksuell-orientering"
    FAGFORENING = "fagforening"
    POLITIKK = "politikk"
    STRAFFESAK = "straffesak"
    NAVN = "navn"  # the name of a restricted item's author, mentioned elsewhere in the thread


HIT_KIND_LABELS: dict[HitKind, str] = {
    HitKind.FODSELSNUMMER: "fødselsnummer",
    HitKind.D_NUMMER: "d-nummer",
    HitKind.KONTONUMMER: "kontonummer",
    HitKind.TELEFON: "telefonnummer",
    HitKind.E_POST: "e-postadresse",
    HitKind.HELSE: "helseopplysning",
    HitKind.BARNEVERN: "barnevern",
    HitKind.SOSIALTJENESTE: "sosialtjeneste",
    HitKind.RELIGION: "religion",
    HitKind.ETNISITET: "etnisitet",
    HitKind.SEKSUELL_ORIENTERING: "seksuell orientering",
    HitKind.FAGFORENING: "fagforening",
    HitKind.POLITIKK: "politisk oppfatning",
    HitKind.STRAFFESAK: "straffesak",
    HitKind.NAVN: "navn",
}

FIELD_PATTERN = r"^(text|title|revision:\d+|removal\.note|removal\.screenshot\.alt_text|media:\d+\.alt_text)$"
IDENTITY_KINDS = frozenset({HitKind.FODSELSNUMMER, HitKind.D_NUMMER})


def redaction_mark(label: str) -> str:
    """The visible mark that replaces skjermet text: ``[skjermet: fødselsnummer]``."""
    return f"[skjermet: {label}]"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hit(_Model):
    """One finding: ``field`` of item ``item_id`` holds personal data at characters ``start:end``.

    ``field`` names the text: ``text``, ``title`` (the thread's title, on the post), ``revision:<n>``,
    ``removal.note``, ``removal.screenshot.alt_text``, ``media:<n>.alt_text``. Offsets are Python string
    indexes (code points).
    """

    item_id: str = Field(min_length=1)
    field: str = Field(min_length=1, pattern=FIELD_PATTERN)
    start: int = Field(ge=0)
    end: int = Field(ge=1)
    kind: HitKind
    rule: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9_.:+-]+$")

    @model_validator(mode="after")
    def _check_range(self) -> Hit:
        if self.end <= self.start:
            raise ValueError(f"treff i {self.item_id}/{self.field}: tomt tegnintervall {self.start}:{self.end}")
        return self

    @property
    def label(self) -> str:
        return HIT_KIND_LABELS[self.kind]

    @property
    def key(self) -> str:
        """Stable id of this hit within its thread, for review decisions: ``item/field/start:end/kind``."""
        return f"{self.item_id}/{self.field}/{self.start}:{self.end}/{self.kind.value}"

    def describe(self) -> str:
        """Safe for logs: where and what, never the text."""
        return f"{self.item_id}/{self.field}[{self.start}:{self.end}] {self.kind.value} ({self.rule})"


class RestrictedItem(_Model):
    """An item restricted whole (removed for personsjikane or sensitive personal data)."""

    item_id: str = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9_.:+-]+$")


class ScreeningResult(_Model):
    """Every hit and every restricted item of one thread, with the version of the rules that found them."""

    hits: tuple[Hit, ...] = ()
    restricted: tuple[RestrictedItem, ...] = ()
    rules_version: str = Field(min_length=1, max_length=80)

    @property
    def needs_skjerming(self) -> bool:
        return bool(self.hits or self.restricted)

    @property
    def restricted_ids(self) -> frozenset[str]:
        return frozenset(r.item_id for r in self.restricted)

    def counts(self) -> dict[str, int]:
        """Hits per kind (kind values), sorted by kind."""
        return dict(sorted(Counter(hit.kind.value for hit in self.hits).items()))

    def describe(self) -> str:
        """One safe line for logs and reports: counts only."""
        if not self.needs_skjerming:
            return f"ingen treff (regler {self.rules_version})"
        kinds = ", ".join(f"{kind}: {n}" for kind, n in self.counts().items()) or "ingen treff"
        return (
            f"{len(self.hits)} treff ({kinds}); {len(self.restricted)} element skjermet i sin helhet "
            f"(regler {self.rules_version})"
        )

    def to_bytes(self) -> bytes:
        """Canonical JSON (sorted keys, UTF-8, trailing newline) for ``screening.json``."""
        data = self.model_dump(mode="json")
        return (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> ScreeningResult:
        return cls.model_validate_json(raw)


def masked_display_title(thread: Thread, result: ScreeningResult, mask: str) -> str | None:
    """``thread.display_title`` with every hit in it replaced by ``mask``; None when no hit touches it.

    The display title is the thread's title, or else the post's first non-empty line (shortened), so hits in
    field ``title`` or in that line of the post's text count. A restricted post hides the whole title.
    """
    post = thread.post.id
    if post in result.restricted_ids and not thread.title:
        return mask
    if thread.title:
        spans = [(h.start, h.end) for h in result.hits if h.item_id == post and h.field == "title"]
        return _mask(thread.title, spans, mask) if spans else None
    offset = 0
    for line in thread.post.text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped:
            start = offset + len(line) - len(line.lstrip())
            shown = (stripped[:117], "...") if len(stripped) > 120 else (stripped, "")
            spans = [
                (max(h.start - start, 0), min(h.end - start, len(shown[0])))
                for h in result.hits
                if h.item_id == post and h.field == "text" and h.start < start + len(shown[0]) and h.end > start
            ]
            return _mask(shown[0], spans, mask) + shown[1] if spans else None
        offset += len(line)
    return None


def _mask(text: str, spans: list[tuple[int, int]], mask: str) -> str:
    out, cursor = [], 0
    for start, end in sorted(spans):
        if start < cursor:
            cursor = max(cursor, end)
            continue
        out += [text[cursor:start], mask]
        cursor = end
    return "".join([*out, text[cursor:]])
