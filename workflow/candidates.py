"""Candidates for flagging: posts in which the municipality asks for input (bokmål and nynorsk).

A transparent rule scorer, not a model: each cue found adds its weight (once per cue), counter-cues (a job
advert, a closed comment field, an invitation that is only information) subtract; a post scoring at least
:data:`THRESHOLD` is suggested, with the cues that made it. An editor confirms or dismisses every suggestion,
so the rules favour recall. Precision and recall on a labelled set: ``./dev bench candidates``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

THRESHOLD = 1.0


@dataclass(frozen=True, slots=True)
class Cue:
    name: str
    weight: float
    pattern: re.Pattern[str] | None = None
    test: Callable[[str], bool] | None = None

    def found_in(self, text: str) -> bool:
        if self.pattern is not None:
            return self.pattern.search(text) is not None
        return self.test is not None and self.test(text)


def _cue(name: str, weight: float, *patterns: str) -> Cue:
    return Cue(name, weight, pattern=re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE))


_SENTENCE = re.compile(r"[^.!?]*[.!?]+|[^.!?]+$")
_TO_YOU = re.compile(r"\b(?:du|dere|deg|dykk|de)\b|\b(?:hvordan|hvor|hva|korleis|kvar|kva) (?:bør|skal) vi\b")


def _question_to_the_public(text: str) -> bool:
    """A sentence ending in a question mark that speaks to the reader (linear time: one pass per sentence)."""
    return any(m.group().endswith("?") and _TO_YOU.search(m.group()) for m in _SENTENCE.finditer(text))


# Word starts are marked with \b; Norwegian compounds put the cue first or last, so some have no end mark.
CUES: tuple[Cue, ...] = (
    _cue("høring", 1.0, r"\bhøring", r"\bhøyring", r"høringsfrist", r"høyringsfrist", r"på høring\b",
         r"ut på høyring", r"høringsinnspill", r"høringsuttalelse"),
    _cue("offentlig ettersyn", 1.0, r"offentlig ettersyn", r"offentleg ettersyn", r"lagt ut til ettersyn"),
    _cue("innspill", 1.0, r"\binnspill", r"\binnspel", r"\binnspela", r"komme med innspill", r"kome med innspel"),
    _cue("medvirkning", 1.0, r"\bmedvirkning", r"\bmedverknad", r"medvirke\b", r"medverke\b"),
    _cue("si din mening", 1.2, r"si din mening", r"sei di meining", r"si meningen din", r"sei meininga di",
         r"si hva du mener", r"sei kva du meiner", r"gi din mening"),
    _cue("hva mener du", 1.2, r"hva mener (?:du|dere|folk)", r"kva meiner (?:du|de|dykk|folk)",
         r"hva synes (?:du|dere)", r"kva synest (?:du|de)", r"hva tenker (?:du|dere)", r"kva tenkjer (?:du|de)"),
    _cue("spørreundersøkelse", 1.0, r"spørreundersøkelse", r"spørjeundersøking", r"spørreskjema",
         r"spørjeskjema", r"\bsurvey\b", r"svar på undersøkelsen", r"svar på undersøkinga",
         r"delta i undersøkelsen", r"delta i undersøkinga", r"brukerundersøkelse", r"brukarundersøking"),
    _cue("synspunkter", 0.8, r"\bsynspunkt", r"\bmerknad(?:er)?\b", r"\bmerknader\b", r"\buttal(?:else|elser)\b",
         r"\bfråsegn", r"\btilbakemelding", r"\btilbakemelding(?:ar|er)\b"),
    _cue("vi vil høre fra deg", 1.0, r"vil (?:gjerne )?høre fra (?:deg|dere|innbyggerne)",
         r"vil (?:gjerne )?høyre frå (?:deg|dykk|innbyggjarane)", r"vil høre hva du", r"vil høyre kva du",
         r"fortell oss", r"fortel oss",
         r"del (?:dine|dykkar) (?:tanker|tankar|erfaringer|erfaringar|idéer|idear|ideer)",
         r"kom med (?:forslag|idéer|ideer|idear)", r"kom med (?:dine|dykkar) forslag", r"send oss (?:forslag|dine)",
         r"ønsker (?:dine|deres|innbyggernes) (?:forslag|synspunkter|innspill|meninger|tanker)",
         r"ønskjer (?:dine|dykkar) (?:forslag|synspunkt|innspel|meiningar|tankar)"),
    _cue("kommenter", 0.6, r"kommenter (?:gjerne|under|her)", r"skriv (?:gjerne )?i kommentarfeltet",
         r"skriv (?:gjerne )?(?:en |ein )?kommentar", r"legg igjen en kommentar", r"legg att ein kommentar",
         r"(?:svar|stem|røyst) i kommentarfeltet", r"\bstem (?:på|over)\b", r"\brøyst(?:ing)?\b", r"\bavstemning\b"),
    _cue("folkemøte", 0.6, r"\bfolkemøte", r"\binnbyggermøte", r"\binnbyggjarmøte", r"\bopent møte",
         r"\bope møte", r"\bdialogmøte", r"\bverkstad", r"\bverksted\b", r"\bworkshop\b"),
    _cue("frist", 0.3, r"\bfrist(?:en)?\b", r"\binnen\b \d{1,2}\.", r"\binnan\b \d{1,2}\.", r"\bsenest\b",
         r"\bseinast\b"),
    _cue("spørsmål til deg", 0.5, r"\?\s*$", r"\bhva vil du\b", r"\bkva vil du\b", r"\bhvilke(?:n|t)? .{0,40}\?",
         r"\bkva for (?:ein|ei|eit) .{0,40}\?"),
    _cue("påvirke", 0.5, r"\bpåvirke\b", r"\bpåverke\b", r"forslag (?:er|blir) velkomne",
         r"tar imot (?:ønsker|forslag|innspill)",
         r"tek imot (?:ønske|forslag|innspel)", r"(?:erfaringer|erfaringar) du vil dele"),
)

CUES = (*CUES, Cue("spørsmål til publikum", 0.5, test=_question_to_the_public))

COUNTER_CUES: tuple[Cue, ...] = (
    _cue("stillingsannonse", -1.2, r"ledig stilling", r"ledige stillinger", r"søknadsfrist", r"søk (?:på )?stillingen",
         r"vi søker (?:etter )?(?:en|ein|to|tre|flere|fleire)\b", r"\bsøkjarar\b", r"\bsøkere\b",
         r"ledig vikariat", r"søk jobben", r"send søknad"),
    _cue("bare informasjon", -0.6, r"kommentarfeltet er (?:stengt|stengd)", r"vi svarer ikke på",
         r"vi svarar ikkje på", r"kan ikke (?:kommenteres|behandles) her", r"henvendelser om enkeltsaker",
         r"fristen (?:er|har) (?:gått ut|passert)"),
    _cue("avsluttet", -1.5, r"(?:høringen|høyringa|undersøkelsen|undersøkinga|spørreundersøkelsen|spørjeundersøkinga"
         r"|avstemningen|røystinga)\b[^.!?]{0,60}\ber (?:avsluttet|avslutta|over|stengt|stengd)",
         r"takk for (?:alle )?(?:innspillene|innspill|innspela|innspel)\b"),
    _cue("sport", -0.5, r"\b(?:kampen|kamp|seier|seieren|tapte|vant|serien|kretsmesterskapet)\b"),
    _cue("annen betydning", -0.8, r"\bhøreapparat", r"\bhørsel", r"\bhøyrsel", r"\bhelseundersøkelse",
         r"\bhelseundersøking", r"\bkontrollundersøkelse", r"\bgrunnundersøkelse", r"\bgrunnundersøking",
         r"\bhøreskadd", r"\brettshøring", r"\bstortinget(?:s)? høring"),
)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The score of one post and the cues behind it."""

    score: float
    cues: tuple[str, ...]

    @property
    def suggested(self) -> bool:
        return self.score >= THRESHOLD


def normalise(text: str) -> str:
    """NFC, lower case, one space for any run of white space, typographic quotes as plain ones."""
    text = unicodedata.normalize("NFC", text).lower()
    text = text.translate({ord(c): '"' for c in "«»“”„"} | {ord("’"): "'", ord("\u00ad"): None})
    return " ".join(text.split())


def score_post(text: str) -> Suggestion:
    """Score one post's text (never raises; empty and hostile text score 0)."""
    plain = normalise(text[:20000])
    found: list[str] = []
    score = 0.0
    for cue in CUES + COUNTER_CUES:
        if cue.found_in(plain):
            score += cue.weight
            found.append(cue.name)
    return Suggestion(round(score, 2), tuple(found))


def is_candidate(text: str) -> bool:
    return score_post(text).suggested
