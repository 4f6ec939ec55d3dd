"""Post URLs as editors paste them → :class:`schemas.refs.ThreadRef`, for all six platforms.

One strict parser: only ``http``/``https`` (a missing scheme means ``https``), only the platforms' own host
names (ASCII, no user info, no port other than the default, no backslashes, no control or invisible
characters), only the path shapes listed below; every id is checked against the platform's id alphabet.
Anything else is an :class:`InputError` saying in Norwegian what is wrong. Short links (``fb.watch``,
``vm.tiktok.com``, ``t.co``, ``lnkd.in``, Facebook ``/share/`` links …) only redirect and carry no post id:
the editor must open them and paste the full address (the parser never goes on the network).

``post_id`` per platform (what the flag database keys on, ``ThreadRef.key``):

- Facebook: the numeric post/story/video/photo id or a ``pfbid…`` id; ``account`` is the page name or
  numeric page id when the URL carries it (the connector builds ``{page-id}_{post-id}`` for the Graph API).
- Instagram: the shortcode from the URL (``DFk2bZsNq7x``); ``account`` the user name when the URL has it.
  The Graph API's media id is not derivable from it; the connector finds the media by its permalink.
- X: the status id; ``account`` the user name (not for ``/i/web/status/``).
- YouTube: the 11-character video id.
- LinkedIn: the URN, ``urn:li:activity:<id>``, ``urn:li:share:<id>`` or ``urn:li:ugcPost:<id>``.
- TikTok: the numeric video (or photo post) id; ``account`` the user name without ``@``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote, urlsplit

from schemas.errors import InputError
from schemas.refs import ThreadRef
from schemas.text import escape_unsafe
from schemas.thread import PLATFORM_LABELS, Platform

__all__ = ["MAX_URL_LENGTH", "parse_thread_url", "thread_ref"]

MAX_URL_LENGTH = 2048

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")

_FB_POST_ID = re.compile(r"^(?:[0-9]{1,25}|pfbid0[0-9A-Za-z]{20,80})$")
_FB_PAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,99}$")
_IG_CODE = re.compile(r"^[A-Za-z0-9_\-]{5,64}$")
_IG_USER = re.compile(r"^[A-Za-z0-9._]{1,30}$")
_X_ID = re.compile(r"^[0-9]{1,20}$")
_X_USER = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_YT_ID = re.compile(r"^[A-Za-z0-9_\-]{11}$")
_LI_URN = re.compile(r"^urn:li:(activity|share|ugcPost):([0-9]{1,25})$", re.IGNORECASE)
_LI_SLUG = re.compile(r"^(?P<slug>.*?)-?(?P<type>activity|share|ugcPost)-(?P<id>[0-9]{1,25})(?:-[A-Za-z0-9_\-]{1,8})?$")
_TT_ID = re.compile(r"^[0-9]{1,20}$")
_TT_USER = re.compile(r"^[A-Za-z0-9._]{1,64}$")

_ID_PATTERNS: dict[Platform, tuple[re.Pattern[str], str]] = {
    Platform.FACEBOOK: (_FB_POST_ID, "et tall eller en pfbid-id"),
    Platform.INSTAGRAM: (_IG_CODE, "en kortkode som DFk2bZsNq7x"),
    Platform.X: (_X_ID, "et tall"),
    Platform.YOUTUBE: (_YT_ID, "en video-id på 11 tegn"),
    Platform.LINKEDIN: (_LI_URN, "en URN som urn:li:activity:123"),
    Platform.TIKTOK: (_TT_ID, "et tall"),
}

_SHORT_LINK_HOSTS = {
    "fb.watch": Platform.FACEBOOK,
    "fb.me": Platform.FACEBOOK,
    "vm.tiktok.com": Platform.TIKTOK,
    "vt.tiktok.com": Platform.TIKTOK,
    "t.co": Platform.X,
    "lnkd.in": Platform.LINKEDIN,
}

_HOSTS: dict[str, Platform] = {
    **{h: Platform.FACEBOOK for h in ("facebook.com", "www.facebook.com", "m.facebook.com", "mbasic.facebook.com",
                                      "web.facebook.com", "touch.facebook.com", "fb.com", "www.fb.com")},
    **{h: Platform.INSTAGRAM for h in ("instagram.com", "www.instagram.com", "m.instagram.com", "instagr.am",
                                       "www.instagr.am")},
    **{h: Platform.X for h in ("x.com", "www.x.com", "mobile.x.com", "twitter.com", "www.twitter.com",
                               "mobile.twitter.com")},
    **{h: Platform.YOUTUBE for h in ("youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be",
                                     "www.youtube-nocookie.com")},
    **{h: Platform.LINKEDIN for h in ("linkedin.com", "www.linkedin.com", "m.linkedin.com")},
    **{h: Platform.TIKTOK for h in ("tiktok.com", "www.tiktok.com", "m.tiktok.com")},
}
_LINKEDIN_COUNTRY = re.compile(r"^[a-z]{2}\.linkedin\.com$")


class _RefusedError(Exception):
    """Internal: the reason a URL is refused; turned into one InputError by :func:`parse_thread_url`."""


def _shown(text: str) -> str:
    """The input as it may appear in a message: unsafe characters escaped, long input shortened."""
    cut = text if len(text) <= 100 else text[:80] + f"… ({len(text)} tegn)"
    return escape_unsafe(cut)


def _check_characters(text: str) -> None:
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}:
            raise _RefusedError(f"inneholder det usynlige tegnet U+{ord(ch):04X}; lim inn adressen på nytt")
        if ch.isspace():
            raise _RefusedError("inneholder mellomrom; lim inn bare adressen til innlegget")
        if ch == "\\":
            raise _RefusedError("inneholder omvendt skråstrek (\\)")


def _segments(path: str) -> list[str]:
    """Non-empty, percent-decoded path segments (a decoded segment may not hide a slash)."""
    out: list[str] = []
    for raw in path.split("/"):
        if not raw:
            continue
        seg = unquote(raw, errors="strict")
        if "/" in seg or "\\" in seg:
            raise _RefusedError("inneholder en kodet skråstrek i stien")
        _check_characters(seg)
        out.append(seg)
    return out


def _query(query: str) -> dict[str, str]:
    """Query parameters; a parameter given twice is ambiguous and refused."""
    out: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True, errors="strict"):
        if key in out:
            raise _RefusedError(f"parameteren {key!r} står flere ganger")
        _check_characters(value)
        out[key] = value
    return out


def _need(value: str | None, pattern: re.Pattern[str], what: str) -> str:
    if value is None or not pattern.match(value):
        raise _RefusedError(f"{what} {_shown(value)!r} har ikke riktig form" if value else f"mangler {what}")
    return value


_NOT_A_POST = "peker ikke på ett innlegg (en side, profil eller feed?); åpne innlegget og kopier adressen"


def _facebook(seg: list[str], q: dict[str, str]) -> tuple[str, str | None]:
    low = [s.lower() for s in seg]
    if low and low[0] == "share":
        raise _RefusedError("er en delingslenke (facebook.com/share/…) som bare videresender; åpne den og lim inn "
                   "den fulle adressen til innlegget")
    if low in (["permalink.php"], ["story.php"]):
        post = _need(q.get("story_fbid"), _FB_POST_ID, "story_fbid")
        page = q.get("id")
        return post, _need(page, _FB_PAGE, "side-id (id=)") if page is not None else None
    if low in (["photo"], ["photo.php"]):
        return _need(q.get("fbid"), _FB_POST_ID, "bilde-id (fbid=)"), None
    if low in (["watch"], ["watch", "live"]):
        return _need(q.get("v"), _FB_POST_ID, "video-id (v=)"), None
    if len(low) == 2 and low[0] in {"reel", "reels"}:
        return _need(seg[1], _FB_POST_ID, "reel-id"), None
    if len(low) >= 4 and low[0] == "groups" and low[2] in {"posts", "permalink"}:
        return _need(seg[3], _FB_POST_ID, "innleggs-id"), _need(seg[1], _FB_PAGE, "gruppenavn")
    if len(low) >= 3 and low[1] in {"posts", "videos", "photos"}:
        page = _need(seg[0], _FB_PAGE, "sidenavn")
        tail = seg[2:]
        # /<page>/photos/a.<album>/<photo id>/ and /<page>/videos/<title-slug>/<id>/
        if len(tail) >= 2 and (low[1] == "photos" or not _FB_POST_ID.match(tail[0])):
            tail = tail[1:]
        return _need(tail[0], _FB_POST_ID, "innleggs-id"), page
    raise _RefusedError(_NOT_A_POST)


def _instagram(seg: list[str], q: dict[str, str]) -> tuple[str, str | None]:
    kinds = {"p", "reel", "reels", "tv"}
    if len(seg) >= 2 and seg[0].lower() in kinds:
        return _need(seg[1], _IG_CODE, "kortkode"), None
    if len(seg) >= 3 and seg[1].lower() in kinds:  # /<user>/p/<code>/
        return _need(seg[2], _IG_CODE, "kortkode"), _need(seg[0], _IG_USER, "brukernavn")
    raise _RefusedError(_NOT_A_POST)


def _x(seg: list[str], q: dict[str, str]) -> tuple[str, str | None]:
    low = [s.lower() for s in seg]
    if len(low) >= 4 and low[:3] == ["i", "web", "status"]:
        return _need(seg[3], _X_ID, "status-id"), None
    if len(low) >= 3 and low[1] in {"status", "statuses"}:
        if low[0] == "i":
            return _need(seg[2], _X_ID, "status-id"), None
        return _need(seg[2], _X_ID, "status-id"), _need(seg[0], _X_USER, "brukernavn")
    raise _RefusedError(_NOT_A_POST)


def _youtube(seg: list[str], q: dict[str, str], host: str) -> tuple[str, str | None]:
    if host == "youtu.be":
        if len(seg) != 1:
            raise _RefusedError("youtu.be-lenken mangler video-id")
        return _need(seg[0], _YT_ID, "video-id"), None
    low = [s.lower() for s in seg]
    if low == ["watch"]:
        return _need(q.get("v"), _YT_ID, "video-id (v=)"), None
    if len(low) == 2 and low[0] in {"shorts", "live", "embed", "v"}:
        return _need(seg[1], _YT_ID, "video-id"), None
    raise _RefusedError("peker ikke på én video (en kanal eller spilleliste?); åpne videoen og kopier adressen")


def _linkedin(seg: list[str], q: dict[str, str]) -> tuple[str, str | None]:
    low = [s.lower() for s in seg]
    if low[:1] == ["embed"]:
        seg, low = seg[1:], low[1:]
    if len(low) == 3 and low[:2] == ["feed", "update"]:
        match = _LI_URN.match(seg[2])
        if not match:
            raise _RefusedError(f"URN-en {_shown(seg[2])!r} har ikke formen urn:li:activity|share|ugcPost:<tall>")
        return _canonical_urn(match.group(1), match.group(2)), None
    if len(low) == 2 and low[0] == "posts":
        slug = _LI_SLUG.match(seg[1])
        if not slug:
            raise _RefusedError("innleggsadressen mangler activity-<tall> (linkedin.com/posts/…-activity-<tall>-…)")
        name = slug.group("slug")
        account = name.split("_", 1)[0] if "_" in name else None
        return _canonical_urn(slug.group("type"), slug.group("id")), account or None
    raise _RefusedError(_NOT_A_POST)


def _canonical_urn(kind: str, number: str) -> str:
    kind = {"activity": "activity", "share": "share", "ugcpost": "ugcPost"}[kind.lower()]
    return f"urn:li:{kind}:{number}"


def _tiktok(seg: list[str], q: dict[str, str]) -> tuple[str, str | None]:
    low = [s.lower() for s in seg]
    if low[:1] == ["t"]:
        raise _RefusedError("er en kortlenke (tiktok.com/t/…) som må utvides: åpne den og lim inn den fulle adressen")
    if len(seg) >= 3 and seg[0].startswith("@") and low[1] in {"video", "photo"}:
        return _need(seg[2], _TT_ID, "video-id"), _need(seg[0][1:], _TT_USER, "brukernavn")
    if len(seg) == 2 and low[0] == "v" and low[1].endswith(".html"):  # m.tiktok.com/v/<id>.html
        return _need(seg[1][: -len(".html")], _TT_ID, "video-id"), None
    if len(seg) >= 2 and low[0] == "embed":
        return _need(seg[-1], _TT_ID, "video-id"), None
    raise _RefusedError(_NOT_A_POST)


_PARSERS: dict[Platform, Callable[[list[str], dict[str, str]], tuple[str, str | None]]] = {
    Platform.FACEBOOK: _facebook,
    Platform.INSTAGRAM: _instagram,
    Platform.X: _x,
    Platform.LINKEDIN: _linkedin,
    Platform.TIKTOK: _tiktok,
}


def _host_platform(host: str) -> Platform:
    if host in _SHORT_LINK_HOSTS:
        label = PLATFORM_LABELS[_SHORT_LINK_HOSTS[host]]
        raise _RefusedError(f"er en kortlenke ({host}) som må utvides: åpne den i nettleseren og lim inn den fulle "
                   f"{label}-adressen til innlegget")
    if host in _HOSTS:
        return _HOSTS[host]
    if _LINKEDIN_COUNTRY.match(host):
        return Platform.LINKEDIN
    known = ", ".join(PLATFORM_LABELS.values())
    raise _RefusedError(f"vertsnavnet {host!r} hører ikke til en kjent plattform ({known})")


def _with_scheme(text: str) -> str:
    """``text`` with ``https://`` in front when the editor left the scheme out; other schemes are refused."""
    if text.startswith("//"):
        return "https:" + text
    scheme = _SCHEME.match(text)
    if scheme is None or "." in scheme.group(1):  # no scheme, or "facebook.com:443/…"
        return "https://" + text
    name = scheme.group(1).lower()
    if name not in {"http", "https"}:
        raise _RefusedError(f"bruker {_shown(name)}: – bare http- og https-adresser godtas")
    if not text[scheme.end():].startswith("//"):
        raise _RefusedError(f"mangler // etter {name}:")
    return text


def _parse(text: str) -> ThreadRef:
    if len(text) > MAX_URL_LENGTH:
        raise _RefusedError(f"er for lang ({len(text)} tegn; høyst {MAX_URL_LENGTH})")
    _check_characters(text)
    text = _with_scheme(text)
    parts = urlsplit(text)
    if parts.scheme.lower() not in {"http", "https"}:
        raise _RefusedError(f"bruker {parts.scheme.lower()}: – bare http- og https-adresser godtas")
    netloc = parts.netloc
    if "@" in netloc:
        raise _RefusedError("inneholder brukernavn før vertsnavnet (…@…), et kjent forfalskningstriks")
    if not netloc.isascii():
        raise _RefusedError("vertsnavnet inneholder tegn utenfor ASCII (mulig forfalsket domene)")
    host, _, port = netloc.partition(":")
    if port and port not in {"443", "80"}:
        raise _RefusedError(f"har et uvanlig portnummer ({_shown(port)})")
    host = host.lower().removesuffix(".")
    if host.startswith("xn--") or ".xn--" in host:
        raise _RefusedError(f"vertsnavnet {host!r} er et internasjonalisert domene (mulig forfalsket)")
    platform = _host_platform(host)
    try:
        seg = _segments(parts.path)
        query = _query(parts.query)
    except UnicodeDecodeError as exc:
        raise _RefusedError("inneholder prosentkoding som ikke er gyldig UTF-8") from exc
    if platform is Platform.YOUTUBE:
        post_id, account = _youtube(seg, query, host)
    else:
        post_id, account = _PARSERS[platform](seg, query)
    return ThreadRef(platform=platform, post_id=post_id, account=account, url=text)


def parse_thread_url(url: object) -> ThreadRef:
    """The thread a pasted post URL points at, or an InputError naming what is wrong with it."""
    if not isinstance(url, str):
        raise InputError(f"ugyldig innleggsadresse: forventet tekst, fikk {type(url).__name__}")
    text = url.strip()
    if not text:
        raise InputError("ugyldig innleggsadresse: adressen er tom")
    try:
        return _parse(text)
    except _RefusedError as exc:
        raise InputError(f"ugyldig innleggsadresse {_shown(text)!r}: {exc}") from None


def thread_ref(platform: str, post_id: str, account: str | None = None) -> ThreadRef:
    """A reference from platform + id (no URL), with the id checked against the platform's id form."""
    try:
        plat = Platform(platform.strip().lower())
    except ValueError:
        known = ", ".join(p.value for p in Platform)
        raise InputError(f"ukjent plattform {_shown(platform)!r}; bruk en av {known}") from None
    pattern, form = _ID_PATTERNS[plat]
    ident = post_id.strip()
    if not pattern.match(ident):
        raise InputError(f"ugyldig {PLATFORM_LABELS[plat]}-id {_shown(ident)!r}: forventet {form}")
    if plat is Platform.LINKEDIN:
        match = _LI_URN.match(ident)
        if match:
            ident = _canonical_urn(match.group(1), match.group(2))
    if account is not None and (not account.strip() or any(not ch.isprintable() for ch in account)):
        raise InputError(f"ugyldig konto {_shown(account)!r} for {PLATFORM_LABELS[plat]}-id {ident}")
    return ThreadRef(platform=plat, post_id=ident, account=account.strip() if account else None)
