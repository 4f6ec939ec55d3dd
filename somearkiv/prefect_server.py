"""Start a long-lived local Prefect server (``prefect server start``) as a child process.

Used by ``somearkiv serve`` when no ``PREFECT_API_URL`` is set (cron schedules never fire on Prefect's
ephemeral server) and by the tests that need a real server. The port is chosen by the OS; if another
process takes it between choosing and binding, the server exits and is started again on a new port.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from schemas.errors import ConfigError

PREFECT = str(Path(sys.executable).with_name("prefect"))
START_ATTEMPTS = 5
START_TIMEOUT_SECONDS = 90.0


@dataclass(frozen=True)
class PrefectServer:
    api_url: str  # http://127.0.0.1:<port>/api
    env: dict[str, str]  # the environment the server runs with (PREFECT_HOME, PREFECT_API_URL, no telemetry)
    process: subprocess.Popen[bytes]


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the parent dies, even by kill -9 (Linux prctl)."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


def _start_once(home: Path, host: str, base_env: Mapping[str, str]) -> PrefectServer | None:
    port = _free_port(host)
    api_url = f"http://{host}:{port}/api"
    env = {
        **base_env,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    process = subprocess.Popen(
        [PREFECT, "server", "start", "--host", host, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if _healthy(api_url):
            return PrefectServer(api_url=api_url, env=env, process=process)
        if process.poll() is not None:
            return None  # most likely the port was taken meanwhile: try another
        time.sleep(0.5)
    _stop(process)
    raise ConfigError(f"Prefect-serveren startet ikke innen {START_TIMEOUT_SECONDS:.0f} s (PREFECT_HOME={home})")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def local_prefect_server(
    home: Path, *, host: str = "127.0.0.1", env: Mapping[str, str] | None = None
) -> Iterator[PrefectServer]:
    """A running ``prefect server start`` with its own home and SQLite database, stopped on exit."""
    home.mkdir(parents=True, exist_ok=True)
    base = dict(os.environ if env is None else env)
    for _ in range(START_ATTEMPTS):
        server = _start_once(home, host, base)
        if server is not None:
            break
    else:
        raise ConfigError(f"Prefect-serveren startet ikke etter {START_ATTEMPTS} forsøk (PREFECT_HOME={home})")
    try:
        yield server
    finally:
        _stop(server.process)
