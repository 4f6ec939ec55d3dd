"""Prefect servers the CLI starts itself, tied to the CLI process's life.

Two kinds: :func:`temporary_prefect_server` for one command's flow runs (what Prefect's ephemeral mode would
start), and :func:`local_prefect_server`, a full ``prefect server start`` (scheduler included, so cron
schedules fire) for ``somearkiv serve`` and the tests that need a real server.

The temporary server:

Without ``PREFECT_API_URL`` Prefect 3 starts an "ephemeral" API server itself
(``prefect.server.api.server.SubprocessASGIServer``: ``python -m uvicorn … create_app`` in a child
process, stopped by an ``atexit`` hook). A CLI killed with SIGKILL never runs that hook, so the server
outlives it. Prefect offers no way to change how it spawns that child, so the CLI starts the same server
itself, the same way, with two differences:

- the child asks the kernel for SIGKILL when its parent dies (Linux ``prctl(PR_SET_PDEATHSIG)``, set
  between fork and exec, and checked against a parent that died before it was set);
- the listening socket is bound by the CLI on a port the OS picks (127.0.0.1:0) and handed to uvicorn
  (``--fd``): no port race with other servers on the machine.

The CLI then points Prefect at it with ``prefect.settings.temporary_settings``. With ``PREFECT_API_URL``
set (a real server) or off Linux, nothing is started and Prefect behaves as before.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from schemas.errors import ConfigError

PR_SET_PDEATHSIG = 1
STARTUP_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 5.0
SERVER_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}


def _die_with_parent(parent: int, sig: int = signal.SIGKILL) -> None:
    """Runs in the child between fork and exec: ``sig`` when the parent dies (or has died already)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
        os._exit(70)
    if os.getppid() != parent:
        os._exit(71)


def server_command(fd: int) -> list[str]:
    """What Prefect's own ephemeral server runs, on an inherited listening socket."""
    import prefect

    return [
        sys.executable, "-m", "uvicorn", "--app-dir", str(Path(prefect.__file__).parent.parent),
        "--factory", "prefect.server.api.server:create_app", "--fd", str(fd),
        "--log-level", "error", "--lifespan", "on",
    ]


def _wait_healthy(process: subprocess.Popen[bytes], url: str) -> None:
    end = time.monotonic() + STARTUP_TIMEOUT_S
    with httpx.Client(timeout=5.0) as client:
        while time.monotonic() < end:
            if process.poll() is not None:
                raise ConfigError(f"den midlertidige Prefect-serveren stoppet ved oppstart (kode {process.returncode})")
            try:
                if client.get(f"{url}/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    raise ConfigError(f"den midlertidige Prefect-serveren svarte ikke innen {STARTUP_TIMEOUT_S:g} sekunder")


def _stop(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_S) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def temporary_prefect_server() -> Iterator[str | None]:
    """Run the block against a temporary Prefect server that dies with this process; yields its API URL.

    Yields None (and starts nothing) when ``PREFECT_API_URL`` names a server or the platform has no prctl.
    Prefect's log and event workers are drained before the server is stopped at the end of the block.
    """
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    if PREFECT_API_URL.value() or not sys.platform.startswith("linux"):
        yield None
        return
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    env = {**os.environ, **SERVER_ENV, **get_current_settings().to_environment_variables(exclude_unset=True)}
    env.pop("PREFECT_API_URL", None)
    parent = os.getpid()
    try:
        process = subprocess.Popen(
            server_command(listener.fileno()), env=env, pass_fds=(listener.fileno(),),
            preexec_fn=lambda: _die_with_parent(parent),
        )
    finally:
        listener.close()
    atexit.register(_stop, process)  # also on an exit from inside the block
    url = f"http://127.0.0.1:{port}/api"
    try:
        _wait_healthy(process, url)
    except BaseException:
        _stop(process)
        raise
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            try:
                yield url
            finally:
                _drain_prefect_workers()
    finally:
        _stop(process)


def _drain_prefect_workers() -> None:
    """Let Prefect send its last logs and events while the server is still up (as its exit hooks would)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=STOP_TIMEOUT_S)
    EventsWorker.drain_all(timeout=STOP_TIMEOUT_S)


# -- a full local server (scheduler included) --------------------------------------------------------

PREFECT = str(Path(sys.executable).with_name("prefect"))
START_ATTEMPTS = 5


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


def _start_full(home: Path, host: str, base_env: Mapping[str, str]) -> PrefectServer | None:
    port = _free_port(host)
    api_url = f"http://{host}:{port}/api"
    env = {**base_env, "PREFECT_HOME": str(home), "PREFECT_API_URL": api_url,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    parent = os.getpid()
    process = subprocess.Popen(
        [PREFECT, "server", "start", "--host", host, "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        # SIGTERM, not SIGKILL: `prefect server start` then stops its own services cleanly.
        preexec_fn=(lambda: _die_with_parent(parent, signal.SIGTERM)) if sys.platform.startswith("linux") else None,
    )
    try:
        _wait_healthy(process, api_url)
    except ConfigError:
        if process.poll() is not None:
            return None  # most likely the port was taken meanwhile: try another
        _stop(process)
        raise
    return PrefectServer(api_url=api_url, env=env, process=process)


@contextmanager
def local_prefect_server(
    home: Path, *, host: str = "127.0.0.1", env: Mapping[str, str] | None = None
) -> Iterator[PrefectServer]:
    """A running ``prefect server start`` with its own home and SQLite database, stopped on exit (and killed
    with this process if it dies)."""
    home.mkdir(parents=True, exist_ok=True)
    base = dict(os.environ if env is None else env)
    for _ in range(START_ATTEMPTS):
        server = _start_full(home, host, base)
        if server is not None:
            break
    else:
        raise ConfigError(f"Prefect-serveren startet ikke etter {START_ATTEMPTS} forsøk (PREFECT_HOME={home})")
    try:
        yield server
    finally:
        _stop(server.process, timeout=20.0)
