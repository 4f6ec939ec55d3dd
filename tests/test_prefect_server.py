"""The CLI's temporary Prefect server ends with the CLI, even after kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

READY_TIMEOUT_S = 180.0


def _children(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _server_of(cli: subprocess.Popen[bytes]) -> int | None:
    """The pid of the CLI's uvicorn child (started on an inherited socket: ``--fd``)."""
    for pid in _children(cli.pid):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"uvicorn" in args and b"--fd" in args:
            return pid
    return None


def test_kill_9_of_the_cli_takes_its_temporary_prefect_server_with_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), SOMEARKIV_WORK_DIR=str(tmp_path / "work"))
    cli = subprocess.Popen(
        [str(Path(sys.executable).parent / "somearkiv"), "demo", "--bucket", str(tmp_path / "bucket")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        end = time.monotonic() + READY_TIMEOUT_S
        server = None
        while server is None and time.monotonic() < end and cli.poll() is None:
            server = _server_of(cli)
            time.sleep(0.2)
        assert server is not None, "the CLI started no temporary Prefect server"
        pid = server
        _wait_listening(pid, end)
        time.sleep(2)  # the CLI is talking to it now; kill it without warning
        os.kill(cli.pid, signal.SIGKILL)
        cli.wait(timeout=30)
        gone_by = time.monotonic() + 15
        while _alive(pid) and time.monotonic() < gone_by:
            time.sleep(0.1)
        assert not _alive(pid), f"the temporary Prefect server (pid {pid}) outlived the killed CLI"
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()


def _wait_listening(pid: int, end: float) -> None:
    """Until the server answers on the port its inherited socket listens on."""
    port = _listening_port(pid)
    while time.monotonic() < end:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the temporary Prefect server never answered")


def _listening_port(pid: int) -> int:
    """The TCP port of a socket ``pid`` listens on (from /proc/net/tcp and the process's fds)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # state LISTEN
            return int(fields[1].split(":")[1], 16)
    raise AssertionError(f"pid {pid} listens on no TCP port")
