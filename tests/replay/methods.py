"""The replay server, also answering POST, PUT and DELETE (the platforms' moderation endpoints).

GET routes work exactly as in :mod:`tests.replay.server` (the same route table); other methods have their own
routes, added with :meth:`MethodReplayServer.add_action`. Every non-GET request is logged in ``actions``
with its method, path, query and body, so a test can show that no hide or delete reached the platform.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.replay.server import ReplayServer, Reply, Request


@dataclass(frozen=True)
class Action:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


class MethodReplayServer(ReplayServer):
    def __init__(self) -> None:
        self.routes = []
        self.requests = []
        self.actions: list[Action] = []
        self._action_routes: list[tuple[str, str, dict[str, str], list[Reply]]] = []
        self._served: dict[int, int] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    def add_action(self, method: str, path: str, reply: Reply | list[Reply],
                   query: dict[str, str] | None = None) -> None:
        """Answer ``method path`` (decoded) when the query holds ``query``; newer routes win."""
        self._action_routes.insert(0, (method, path, query or {}, [reply] if isinstance(reply, Reply) else reply))

    def answer_action(self, action: Action) -> Reply:
        with self._lock:
            self.actions.append(action)
            for method, path, query, replies in self._action_routes:
                if method == action.method and path == action.path and all(
                        action.query.get(k) == v for k, v in query.items()):
                    served = self._served.get(id(replies), 0)
                    self._served[id(replies)] = served + 1
                    return replies[min(served, len(replies) - 1)]
        return Reply.json({"error": {"message": f"replay: no route for {action.method} {action.path}",
                                     "code": 803}}, 404)


def _make_handler(server: MethodReplayServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _reply(self, reply: Reply) -> None:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(reply.body)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            request = Request(unquote(parts.path), dict(parse_qsl(parts.query, keep_blank_values=True)),
                              {k.lower(): v for k, v in self.headers.items()})
            self._reply(server.answer(request))

        def _action(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            action = Action(self.command, unquote(parts.path), dict(parse_qsl(parts.query, keep_blank_values=True)),
                            {k.lower(): v for k, v in self.headers.items()}, body)
            self._reply(server.answer_action(action))

        do_POST = do_PUT = do_DELETE = _action  # noqa: N815 (http.server's names)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return _Handler


@contextmanager
def method_replay_server() -> Iterator[MethodReplayServer]:
    server = MethodReplayServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
