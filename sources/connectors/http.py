"""The HTTP layer every connector shares: one httpx client, evidence recording, throttling and retries.

A platform plugs in a *classifier* that reads its own signals out of a response (Graph API error codes and
usage headers, X's ``x-rate-limit-reset``, YouTube's ``quotaExceeded``, TikTok's HTTP-200 error envelope);
this module does the rest the same way for all six: it records each exchange with secrets removed, waits
and retries on throttling and transient 5xx within a budget, and turns everything else into a
:class:`SourceError` (or :class:`CredentialsError`) that names the account and the thread.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from schemas.errors import CredentialsError, SourceError
from sources.connectors.base import Exchange
from sources.connectors.config import Credential, RetryPolicy

SECRET_PARAMS = frozenset(
    {"access_token", "appsecret_proof", "key", "client_secret", "refresh_token", "token", "api_key", "code",
     "oauth2_access_token", "input_token"}
)
# Response headers worth keeping as evidence (throttling, tracing, dates); everything else is dropped.
KEPT_HEADERS = frozenset(
    {"content-type", "date", "retry-after", "x-app-usage", "x-business-use-case-usage", "x-ad-account-usage",
     "x-page-usage", "x-fb-trace-id", "x-fb-rev", "x-fb-request-id", "x-rate-limit-limit",
     "x-rate-limit-remaining", "x-rate-limit-reset", "x-li-uuid", "x-restli-protocol-version", "etag",
     "x-tt-logid", "request-id", "x-request-id"}
)
KEPT_REQUEST_HEADERS = frozenset({"linkedin-version", "x-restli-protocol-version", "accept"})
REDACTED = "REDACTED"
# Only in URL query position (after "?" or "&", also JSON-escaped "\u0026"): "monkey=banana" in a comment stays.
_TOKEN_IN_TEXT = re.compile(
    rb"((?:[?&]|\\u0026)(?:access_token|appsecret_proof|key|oauth2_access_token)=)[^&\"'\s<>\\]+"
)


def redact_url(url: str) -> str:
    """``url`` with the values of secret query parameters replaced by ``REDACTED``."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, REDACTED if k.lower() in SECRET_PARAMS else v) for k, v in pairs]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def redact_body(body: bytes, secrets: list[str]) -> bytes:
    """Token values and ``access_token=…`` in a body (Graph ``paging.next`` links carry the token) removed."""
    for secret in secrets:
        if len(secret) >= 4:
            body = body.replace(secret.encode(), REDACTED.encode())
    return _TOKEN_IN_TEXT.sub(rb"\1" + REDACTED.encode(), body)


@dataclass(frozen=True)
class Verdict:
    """What a classifier makes of a response: use it, wait and retry, or fail with an error."""

    kind: Literal["ok", "retry", "fail"]
    wait: float | None = None
    reason: str = ""
    error: SourceError | None = None


OK = Verdict("ok")
Classifier = Callable[["Response"], Verdict | None]


@dataclass(frozen=True)
class Response:
    """A decoded response handed to a classifier."""

    status: int
    headers: httpx.Headers
    data: Any  # parsed JSON, or None when the body was not JSON
    url: str


def retry_after_seconds(headers: httpx.Headers, now: float) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP date) or ``x-rate-limit-reset`` (Unix seconds)."""
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - now)
    reset = headers.get("x-rate-limit-reset")
    if reset and reset.strip().isdigit():
        return max(0.0, float(reset) - now) + 1.0
    return None


class QueryTokenTransport(httpx.BaseTransport):
    """Adds the token as a query parameter on the wire only (platforms that take ``access_token=``/``key=``).

    The request httpx logs (``HTTP Request: GET <url>`` at INFO) and that the evidence records is the one
    without the token: the token is added to a copy here, so no log line or record can carry it.
    """

    def __init__(self, inner: httpx.BaseTransport, param: str, token: str) -> None:
        self._inner, self._param, self._token = inner, param, token

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        wire = httpx.Request(request.method, request.url.copy_add_param(self._param, self._token),
                             headers=request.headers, stream=request.stream, extensions=request.extensions)
        return self._inner.handle_request(wire)

    def close(self) -> None:
        self._inner.close()


class ApiClient:
    """An httpx client for one platform and one account, recording every exchange as evidence."""

    def __init__(
        self,
        *,
        platform_label: str,
        base_url: str,
        credential: Credential | None,
        classifier: Classifier,
        retry: RetryPolicy,
        timeout_s: float = 30.0,
        headers: Mapping[str, str] | None = None,
        token_param: str | None = None,
        token_header: tuple[str, str] | None = ("Authorization", "Bearer {token}"),
        max_response_bytes: int = 64 << 20,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.platform_label = platform_label
        self.base_url = base_url.rstrip("/")
        self.credential = credential
        self.classifier = classifier
        self.retry = retry
        self.exchanges: list[Exchange] = []
        self.max_response_bytes = max_response_bytes
        self.clock = clock
        self.waited = 0.0
        self._token_param = token_param
        all_headers = {"Accept": "application/json", "User-Agent": "somearkiv"}
        all_headers.update(headers or {})
        if credential is not None and token_header is not None:
            name, template = token_header
            all_headers[name] = template.format(token=credential.token.get_secret_value())
        transport: httpx.BaseTransport | None = None
        if credential is not None and token_param:
            transport = QueryTokenTransport(httpx.HTTPTransport(), token_param, credential.token.get_secret_value())
        self._client = httpx.Client(headers=all_headers, timeout=timeout_s, follow_redirects=False,
                                    transport=transport)

    def recorded_url(self, request: httpx.Request) -> str:
        """The request's URL as the evidence keeps it: as sent, with every secret (the query token too) REDACTED."""
        url = request.url
        if self._token_param and self.credential is not None:
            url = url.copy_add_param(self._token_param, REDACTED)
        return redact_url(str(url))

    @property
    def account(self) -> str:
        return self.credential.account if self.credential else "(ukjent konto)"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _where(self, what: str) -> str:
        """``what`` named with the platform and account (once)."""
        platform = self.platform_label.split(",")[0].split(" ")[0]
        return what if what.startswith(platform) else f"{self.platform_label}, {what}"

    def _sleep(self, seconds: float, what: str, reason: str) -> None:
        if seconds > self.retry.max_delay or self.waited + seconds > self.retry.max_total_wait:
            raise SourceError(
                f"{self._where(what)}: {reason}; plattformen ber oss vente "
                f"{seconds:.0f} s, mer enn grensen ({self.retry.max_delay:.0f} s per venting, "
                f"{self.retry.max_total_wait:.0f} s totalt) – prøv igjen senere"
            )
        self.waited += seconds
        (self.retry.sleep or time.sleep)(seconds)

    def _scrubbed(self, error: SourceError, what: str) -> SourceError:
        """``error`` naming the thread (``what``) and with the token removed (platforms may echo a request)."""
        secret = self.credential.token.get_secret_value() if self.credential else ""
        message = str(error)
        head, sep, rest = message.partition(": ")
        if sep and head.startswith(self.platform_label.split(",")[0]) and what not in message:
            message = f"{self._where(what)}: {rest}"
        cleaned = redact_body(message.encode(), [secret] if secret else []).decode("utf-8", "replace")
        if cleaned == str(error):
            return error
        scrubbed = type(error)(cleaned)
        scrubbed.__cause__ = error.__cause__
        return scrubbed

    def _backoff(self, attempt: int) -> float:
        return float(min(self.retry.max_delay, self.retry.base_delay * (2 ** (attempt - 1))))

    def get_json(self, path: str, params: Mapping[str, str | int] | None = None, *, what: str) -> Any:
        """GET ``path`` (relative to the base URL) and return the parsed JSON, after the platform's checks."""
        query = {k: str(v) for k, v in (params or {}).items()}
        url = self.base_url + path  # the token (``token_param``) is added on the wire: QueryTokenTransport
        last_reason = ""
        for attempt in range(1, self.retry.max_attempts + 1):
            response = self._send(url, query, what)
            if response is None:
                last_reason = "nettverksfeil"
                if attempt < self.retry.max_attempts:
                    self._sleep(self._backoff(attempt), what, last_reason)
                continue
            verdict = self.classifier(response) or default_verdict(response)
            if verdict.kind == "ok":
                if verdict.wait:  # usable, but the platform says we are close to its limit: pace the next call
                    self._sleep(verdict.wait, what, verdict.reason)
                return response.data
            if verdict.kind == "fail":
                error = verdict.error or SourceError(f"{self._where(what)}: feilet")
                raise self._scrubbed(error, what)
            last_reason = verdict.reason
            wait = verdict.wait if verdict.wait is not None else self._backoff(attempt)
            if attempt < self.retry.max_attempts or wait > self.retry.max_delay:
                self._sleep(wait, what, verdict.reason)
        raise SourceError(
            f"{self._where(what)}: ga opp etter {self.retry.max_attempts} forsøk "
            f"({last_reason})"
        )

    def _send(self, url: str, query: dict[str, str], what: str) -> Response | None:
        started = datetime.now(UTC)
        t0 = time.monotonic()
        request = self._client.build_request("GET", url, params=query)
        secrets = [self.credential.token.get_secret_value()] if self.credential else []
        recorded_url = self.recorded_url(request)
        request_headers = {k: v for k, v in request.headers.items() if k.lower() in KEPT_REQUEST_HEADERS}
        try:
            raw = self._client.send(request, stream=True)
            try:
                chunks: list[bytes] = []
                size = 0
                for chunk in raw.iter_bytes():
                    size += len(chunk)
                    if size > self.max_response_bytes:
                        raise SourceError(
                            f"{self._where(what)}: svaret er større enn "
                            f"{self.max_response_bytes} byte; ingenting er skrevet"
                        )
                    chunks.append(chunk)
            finally:
                raw.close()
        except httpx.TransportError as exc:
            self.exchanges.append(
                Exchange("GET", recorded_url, started, 0, {}, b"", request_headers,
                         int((time.monotonic() - t0) * 1000), note=f"nettverksfeil: {type(exc).__name__}")
            )
            return None
        body = b"".join(chunks)
        headers = {k.lower(): v for k, v in raw.headers.items() if k.lower() in KEPT_HEADERS}
        self.exchanges.append(
            Exchange("GET", recorded_url, started, raw.status_code, headers, redact_body(body, secrets),
                     request_headers, int((time.monotonic() - t0) * 1000))
        )
        data: Any = None
        try:
            data = json.loads(body) if body.strip() else None
        except (ValueError, RecursionError):
            if 200 <= raw.status_code < 300:
                raise SourceError(
                    f"{self._where(what)}: svaret (HTTP {raw.status_code}) er ikke gyldig JSON; ingenting er skrevet"
                ) from None
        if 200 <= raw.status_code < 300 and not isinstance(data, dict):
            raise SourceError(
                f"{self._where(what)}: svaret (HTTP {raw.status_code}) er ikke et JSON-objekt; ingenting er skrevet"
            )
        return Response(raw.status_code, raw.headers, data, recorded_url)

    def renew_error(self, what: str, detail: str) -> CredentialsError:
        hint = (self.credential.renew_hint if self.credential else "") or "forny tilgangsnøkkelen"
        return CredentialsError(f"{self._where(what)}: {detail} – {hint}")


def default_verdict(response: Response) -> Verdict:
    """HTTP-level handling shared by all platforms: 429 waits, 5xx retries, other 4xx fail."""
    status = response.status
    if 200 <= status < 300:
        return OK
    if status == 429:
        return Verdict("retry", retry_after_seconds(response.headers, time.time()), "for mange forespørsler (HTTP 429)")
    if status >= 500:
        return Verdict("retry", None, f"midlertidig feil hos plattformen (HTTP {status})")
    return Verdict("fail", reason=f"HTTP {status}")


def error_text(data: Any, limit: int = 300) -> str:
    """A short, printable description of an error body."""
    text = json.dumps(data, ensure_ascii=False) if data is not None else "(tomt svar)"
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return text[:limit]


def paginate(
    fetch: Callable[[str | None], tuple[list[Any], str | None]], *, max_pages: int, what: str
) -> Iterator[list[Any]]:
    """Pages from ``fetch(cursor)`` until it returns no cursor; a cursor seen twice stops with a SourceError."""
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(max_pages):
        items, cursor = fetch(cursor)
        yield items
        if not cursor:
            return
        if cursor in seen:
            raise SourceError(f"{what}: plattformen ga samme sidemarkør to ganger ({cursor[:40]!r}); henting stoppet")
        seen.add(cursor)
    raise SourceError(f"{what}: mer enn {max_pages} sider; henting stoppet")


def next_link_params(next_url: str) -> dict[str, str]:
    """The query of a ``paging.next`` link without secrets, to re-send to the configured host and path."""
    pairs = parse_qsl(urlsplit(next_url).query, keep_blank_values=True)
    return {k: v for k, v in pairs if k.lower() not in SECRET_PARAMS}
