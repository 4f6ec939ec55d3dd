"""A local replay server on 127.0.0.1 (a free port picked by the OS) that plays the platforms' APIs.

Routes match a path and, optionally, a subset of the query. A route answers with one reply, a *script*
(a list of replies consumed in order, the last one repeated: a 429 storm, a 500 then success) or a handler
function (pages generated on the fly). Every request is logged with its query and headers so tests can check
what the connector sent.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return cls(status, json.dumps(data, ensure_ascii=False).encode(), {"Content-Type": "application/json",
                                                                            **(headers or {})})


@dataclass(frozen=True)
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


Handler = Callable[[Request], Reply]


def fixture(name: str) -> Reply:
    """A recorded-shape response from ``fixtures/`` (``<platform>/<name>.json``)."""
    return Reply(200, (FIXTURES / name).read_bytes(), {"Content-Type": "application/json"})


def fixture_data(name: str) -> Any:
    return json.loads((FIXTURES / name).read_bytes())


@dataclass
class _Route:
    path: str
    query: dict[str, str]
    replies: list[Reply] | None
    handler: Handler | None
    served: int = 0


class ReplayServer:
    """The replay server; use :func:`replay_server` to run one for a test."""

    def __init__(self) -> None:
        self.routes: list[_Route] = []
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        server = self
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(server))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, path: str, reply: Reply | list[Reply] | Handler, query: dict[str, str] | None = None) -> None:
        """Answer GET ``path`` (decoded) when the query holds ``query``; newer routes win over older ones."""
        if isinstance(reply, Reply):
            route = _Route(path, query or {}, [reply], None)
        elif isinstance(reply, list):
            route = _Route(path, query or {}, list(reply), None)
        else:
            route = _Route(path, query or {}, None, reply)
        self.routes.insert(0, route)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            for route in self.routes:
                if route.path == request.path and all(request.query.get(k) == v for k, v in route.query.items()):
                    if route.handler is not None:
                        break
                    assert route.replies is not None
                    reply = route.replies[min(route.served, len(route.replies) - 1)]
                    route.served += 1
                    return reply
            else:
                return Reply.json({"error": {"message": f"replay: no route for {request.path}", "code": 803}}, 404)
        return route.handler(request)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _make_handler(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            request = Request(unquote(parts.path), dict(parse_qsl(parts.query, keep_blank_values=True)),
                              {k.lower(): v for k, v in self.headers.items()})
            reply = server.answer(request)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client stopped reading
                self.wfile.write(reply.body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return _Handler


@contextmanager
def replay_server() -> Iterator[ReplayServer]:
    server = ReplayServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
