"""The Graph API's own signals, shared by Facebook Pages and Instagram: error codes, usage headers, paging."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from schemas.errors import CredentialsError, SourceError
from sources.connectors.base import NotFoundError
from sources.connectors.common import dig
from sources.connectors.http import (
    ApiClient,
    Response,
    Verdict,
    error_text,
    next_link_params,
    paginate,
    retry_after_seconds,
)

THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 341})
TOKEN_CODES = frozenset({102, 190, 463, 467})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
TRANSIENT_CODES = frozenset({1, 2})


class CursorLimitError(SourceError):
    """Graph's ``(#100) The After Cursor specified exceeds the max limit supported by this endpoint``."""


class MissingObjectError(NotFoundError):
    """The object does not exist, is private, or the token may not see it (code 100 subcode 33, HTTP 404)."""


def usage_wait(response: Response) -> float | None:
    """Seconds to wait from ``X-Business-Use-Case-Usage`` (minutes to regain access) or ``X-App-Usage``."""
    waits: list[float] = []
    raw = response.headers.get("x-business-use-case-usage")
    if raw:
        try:
            usage = json.loads(raw)
        except ValueError:
            usage = None
        if isinstance(usage, dict):
            for entries in usage.values():
                for entry in entries if isinstance(entries, list) else []:
                    minutes = entry.get("estimated_time_to_regain_access") if isinstance(entry, dict) else None
                    if isinstance(minutes, int | float) and not isinstance(minutes, bool) and minutes > 0:
                        waits.append(float(minutes) * 60)
    raw = response.headers.get("x-app-usage")
    if raw and not waits:
        try:
            usage = json.loads(raw)
        except ValueError:
            usage = None
        if isinstance(usage, dict):
            peak = max((v for v in usage.values() if isinstance(v, int | float) and not isinstance(v, bool)), default=0)
            if peak >= 100:
                waits.append(60.0)
    return max(waits) if waits else None


PACE_AT_PERCENT = 95
PACE_SECONDS = 30.0


def usage_peak(response: Response) -> float:
    """The highest percentage in ``X-App-Usage`` / ``X-Business-Use-Case-Usage`` (0 when absent)."""
    peak = 0.0
    for name in ("x-app-usage", "x-business-use-case-usage"):
        raw = response.headers.get(name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
        except ValueError:
            continue
        entries = [usage] if name == "x-app-usage" else [e for v in usage.values() if isinstance(v, list)
                                                         for e in v] if isinstance(usage, dict) else []
        for entry in entries:
            if isinstance(entry, dict):
                for key in ("call_count", "total_time", "total_cputime"):
                    value = entry.get(key)
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        peak = max(peak, float(value))
    return peak


def graph_classifier(client_label: Callable[[], str], what_renew: str) -> Callable[[Response], Verdict | None]:
    """Classify a Graph API response by ``error.code`` (not the HTTP status) and the usage headers."""

    def classify(response: Response) -> Verdict | None:
        error = dig(response.data, "error")
        if not isinstance(error, dict):
            if response.status == 200:
                if usage_peak(response) >= PACE_AT_PERCENT:  # near the limit: slow down before being throttled
                    return Verdict("ok", usage_wait(response) or PACE_SECONDS, "Graph API-bruken er nær grensen")
                return Verdict("ok")
            return None
        code = error.get("code")
        subcode = error.get("error_subcode")
        message = str(error.get("message", ""))[:300]
        label = client_label()
        if code in THROTTLE_CODES:
            wait = usage_wait(response)
            if wait is None:
                wait = retry_after_seconds(response.headers, time.time())
            return Verdict("retry", wait, f"Graph API struper (kode {code})")
        if code in TRANSIENT_CODES or error.get("is_transient") is True:
            return Verdict("retry", None, f"midlertidig feil i Graph API (kode {code})")
        if code in TOKEN_CODES or response.status == 401:
            return Verdict("fail", error=CredentialsError(
                f"{label}: tilgangsnøkkelen er utløpt eller ugyldig (kode {code}/{subcode}: {message}) – {what_renew}"))
        if code in PERMISSION_CODES:
            return Verdict("fail", error=CredentialsError(
                f"{label}: nøkkelen mangler en tillatelse (kode {code}: {message}) – {what_renew}"))
        if code == 100 and "after cursor" in message.lower():
            return Verdict("fail", error=CursorLimitError(f"{label}: Graph API-ets grense for sidemarkører nådd"))
        if code == 100 and (subcode == 33 or "does not exist" in message):
            return Verdict("fail", error=MissingObjectError(
                f"{label}: objektet finnes ikke, er privat eller kan ikke leses med denne nøkkelen ({message})"))
        if response.status >= 500:
            return Verdict("retry", None, f"midlertidig feil i Graph API (HTTP {response.status})")
        return Verdict("fail", error=SourceError(f"{label}: Graph API-feil: {error_text(error)}"))

    return classify


def graph_pages(client: ApiClient, path: str, params: dict[str, str], *, what: str, max_pages: int) -> Iterator[
        tuple[list[Any], dict[str, Any]]]:
    """``(data, page)`` per page, following ``paging.next`` by its query only, re-sent to ``path`` on our host."""
    state: dict[str, Any] = {}

    def fetch(cursor: str | None) -> tuple[list[Any], str | None]:
        query = dict(params)
        if cursor:
            query = next_link_params(cursor)
        page = client.get_json(path, query, what=what)
        state["page"] = page
        data = page.get("data")
        if data is None:
            data = []
        if not isinstance(data, list):
            raise SourceError(f"{what}: 'data' er ikke en liste")
        next_url = dig(page, "paging", "next")
        return data, next_url if isinstance(next_url, str) and next_url else None

    for data in paginate(fetch, max_pages=max_pages, what=what):
        yield data, state["page"]
