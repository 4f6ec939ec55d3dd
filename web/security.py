"""Security headers on every response: no framing, no sniffing, a strict same-origin content policy; an address
that is not UTF-8 once percent-decoded is refused before it reaches the app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import unquote_to_bytes

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


NOT_UTF8 = "adressen inneholder ugyldige tegn (prosentkodingen er ikke gyldig UTF-8, f.eks. et ensomt surrogat)"


def valid_utf8_address(request: Request) -> bool:
    """False when the path or query string, percent-decoded, is not UTF-8: Starlette would otherwise hand the
    app U+FFFD in place of a lone surrogate such as ``%ED%A0%80``, and the value would be stored altered."""
    raw_path = request.scope.get("raw_path") or b""
    query = request.scope.get("query_string") or b""
    try:
        unquote_to_bytes(bytes(raw_path)).decode("utf-8")
        unquote_to_bytes(bytes(query).replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if valid_utf8_address(request):
            response = await call_next(request)
        else:
            response = PlainTextResponse(NOT_UTF8, status_code=400)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers["Cache-Control"] = "no-store"
        return response
