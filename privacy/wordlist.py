"""The configurable word list of special categories (GDPR art. 9 and 10), compiled to a few trie regexes.

Syntax of ``privacy/data/wordlist.toml`` (see the file's header): brace alternatives ``kreft{,en,a}``, a
leading ``*`` (may end a compound), a trailing ``*`` (may begin one), a space matches any whitespace,
``exclude`` lists whole words a starred term must not catch. Matching is case-insensitive on whole words.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from schemas.errors import ConfigError
from schemas.screening import HitKind

DEFAULT_WORDLIST = Path(__file__).resolve().parent / "data" / "wordlist.toml"
_BRACES = re.compile(r"\{([^{}]*)\}")
_TERM = re.compile(r"^\*?[\w][\w\- ]*\*?$")


@dataclass(frozen=True)
class Term:
    """One literal form and how it may touch the surrounding word."""

    form: str  # lower case, single spaces
    kind: HitKind
    open_start: bool  # leading "*": may end a compound
    open_end: bool  # trailing "*": may begin a compound / take any ending


def expand(term: str) -> list[str]:
    """``kreft{,en,a}`` → ``["kreft", "kreften", "krefta"]`` (several brace groups multiply)."""
    match = _BRACES.search(term)
    if match is None:
        return [term]
    head, tail = term[: match.start()], term[match.end() :]
    return [form for option in match.group(1).split(",") for form in expand(head + option + tail)]


@dataclass(frozen=True)
class WordList:
    version: str
    terms: tuple[Term, ...]
    exclude: frozenset[str]

    @classmethod
    def load(cls, path: Path = DEFAULT_WORDLIST) -> WordList:
        """Read and check a word list; a ConfigError names the file and the bad entry."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as problem:
            raise ConfigError(f"ordlisten {path} kan ikke leses: {problem}") from problem
        version = data.pop("version", None)
        if not isinstance(version, str) or not version.strip():
            raise ConfigError(f"ordlisten {path}: mangler 'version'")
        terms: list[Term] = []
        exclude: set[str] = set()
        for section, body in data.items():
            try:
                kind = HitKind(section)
            except ValueError:
                raise ConfigError(f"ordlisten {path}: ukjent kategori [{section}]") from None
            if not isinstance(body, dict) or not isinstance(body.get("terms"), list):
                raise ConfigError(f"ordlisten {path}: [{section}] mangler 'terms'")
            for raw in body["terms"]:
                for form in expand(raw) if isinstance(raw, str) else [None]:
                    if form is None or not _TERM.match(form) or len(form.strip("*")) < 2:
                        raise ConfigError(f"ordlisten {path}: [{section}] har et ugyldig ord: {raw!r}")
                    core = " ".join(form.strip("*").lower().split())
                    terms.append(Term(core, kind, form.startswith("*"), form.endswith("*")))
            exclude.update(word.lower() for word in body.get("exclude", []) if isinstance(word, str))
        if not terms:
            raise ConfigError(f"ordlisten {path}: ingen ord")
        return cls(version=version.strip(), terms=tuple(terms), exclude=frozenset(exclude))


class _Node(dict[str, "_Node"]):
    """A trie node: next character → node; the key "" marks the end of a form."""


def trie_pattern(forms: list[str]) -> str:
    """One regex alternation shaped as a trie (fast in ``re``: a position fails at its first character)."""
    trie = _Node()
    for form in forms:
        node = trie
        for char in form:
            node = node.setdefault(char, _Node())
        node[""] = _Node()

    def emit(node: _Node) -> str:
        ends = "" in node
        branches = [
            (r"\s+" if char == " " else re.escape(char)) + emit(child) for char, child in sorted(node.items()) if char
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return emit(trie)


@dataclass(frozen=True)
class CompiledWordList:
    """Two trie regexes: forms that start a word (anchored with ``\\b``, so ``re`` rejects positions inside
    words at once) and the few forms that may end a compound (``*kreft``, scanned only when the text holds
    one of them). ``forms`` maps a form to its (open_start, open_end, kind) entries, checked in Python."""

    version: str
    patterns: tuple[re.Pattern[str], ...]  # for lower-cased text: word-start forms, compound-end forms
    patterns_ignorecase: tuple[re.Pattern[str], ...]  # for text that lower() would lengthen
    open_forms: tuple[str, ...]  # the compound-end forms: a cheap substring test before the second regex
    forms: dict[str, tuple[tuple[bool, bool, HitKind], ...]]
    exclude: frozenset[str]

    @classmethod
    def build(cls, words: WordList) -> CompiledWordList:
        forms: dict[str, list[tuple[bool, bool, HitKind]]] = {}
        for term in words.terms:
            entry = (term.open_start, term.open_end, term.kind)
            if entry not in forms.setdefault(term.form, []):
                forms[term.form].append(entry)
        closed = sorted(form for form, entries in forms.items() if any(not e[0] for e in entries))
        opened = sorted(form for form, entries in forms.items() if any(e[0] for e in entries))
        sources = [r"\b" + f"(?:{trie_pattern(closed)})"] + ([trie_pattern(opened)] if opened else [])
        return cls(
            words.version,
            tuple(re.compile(source) for source in sources),
            tuple(re.compile(source, re.IGNORECASE) for source in sources),
            tuple(opened),
            {form: tuple(entries) for form, entries in forms.items()},
            words.exclude,
        )
