"""A private RabbitMQ node (Debian's ``rabbitmq-server``) for the tests: own node name, Erlang cookie, HOME,
data and log folders under a temporary directory, every port (AMQP, distribution, epmd) picked free on
127.0.0.1. Users, permissions and the accounts' queues come from a definitions file loaded at boot."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def password_hash(password: str) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + SHA-256(salt + password))."""
    salt = secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode("utf-8")).digest()).decode("ascii")


@dataclass(frozen=True)
class BrokerUser:
    name: str
    password: str
    queue: str | None = None  # the one queue it may consume; None: administrator


@dataclass
class RabbitMQ:
    folder: Path
    users: list[BrokerUser]
    queues: list[str]
    port: int = field(default_factory=free_port)
    node: str = field(default_factory=lambda: f"somearkiv-test-{secrets.token_hex(4)}@localhost")
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://127.0.0.1:{self.port}/"

    def _env(self) -> dict[str, str]:
        home = self.folder / "home"
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))},
            "HOME": str(home),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_USE_LONGNAME": "false",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self._dist_port),
            "ERL_EPMD_PORT": str(self._epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_MNESIA_BASE": str(self.folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.folder / "log"),
            "RABBITMQ_LOGS": "-",
            "RABBITMQ_CONFIG_FILE": str(self.folder / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.folder / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(self.folder / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.folder / "rabbitmq.pid"),
        }

    def start(self, timeout: float = 240.0) -> None:
        if not Path(SERVER).exists():
            raise RuntimeError("rabbitmq-server mangler: ./dev test installerer Debian-pakken rabbitmq-server")
        self._dist_port, self._epmd_port = free_port(), free_port()
        home = self.folder / "home"
        home.mkdir(parents=True, exist_ok=True)
        cookie = home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16))
        cookie.chmod(0o400)
        (self.folder / "enabled_plugins").write_text("[].\n")
        definitions = {
            "users": [
                {
                    "name": u.name,
                    "password_hash": password_hash(u.password),
                    "hashing_algorithm": "rabbit_password_hashing_sha256",
                    "tags": ["administrator"] if u.queue is None else [],
                }
                for u in self.users
            ],
            "vhosts": [{"name": "/"}],
            "permissions": [
                {
                    "user": u.name,
                    "vhost": "/",
                    "configure": ".*" if u.queue is None else f"^{u.queue.replace('.', '[.]')}$",
                    "write": ".*" if u.queue is None else "^$",
                    "read": ".*" if u.queue is None else f"^{u.queue.replace('.', '[.]')}$",
                }
                for u in self.users
            ],
            "queues": [
                {"name": q, "vhost": "/", "durable": True, "auto_delete": False, "arguments": {}} for q in self.queues
            ],
            "exchanges": [],
            "bindings": [],
        }
        (self.folder / "definitions.json").write_text(json.dumps(definitions))
        (self.folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
            "loopback_users = none\n"
            f"load_definitions = {self.folder / 'definitions.json'}\n"
            "log.console = true\nlog.console.level = warning\nlog.file = false\n"
        )
        self._log = (self.folder / "server.log").open("wb")
        self.process = subprocess.Popen(
            [SERVER], env=self._env(), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rabbitmq-server stoppet: {(self.folder / 'server.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"AMQP\x00\x00\x09\x01")
                    if sock.recv(1):  # connection.start: the broker is up, definitions loaded
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"rabbitmq-server startet ikke innen {timeout} s")

    def ctl(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CTL, "-n", self.node, *args],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None
        self._log.close()
        shutil.rmtree(self.folder / "mnesia", ignore_errors=True)
