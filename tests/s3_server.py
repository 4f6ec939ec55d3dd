"""Fixtures for the bucket tests: a moto S3 server on 127.0.0.1, Object Lock buckets, and test packages.

Registered with ``pytest_plugins = ["tests.s3_server"]`` in tests/conftest.py (which also brings the local TSA
fixtures of tests/tsa_server.py); test modules import the plain helpers (``make_package``, ``S3_SECRET``) directly.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from pipeline.settings import Settings
from schemas.package import Manifest, PackageFile, package_id_for, sha256_file, thread_key
from storage.base import Sink
from storage.local import LocalSink
from storage.s3 import S3Sink, create_lock_bucket, make_s3_client, parse_s3_url
from tests.tsa_server import tsa, tsa_config  # noqa: F401  (the local TSA fixtures, registered with this plugin)

S3_REGION = "eu-north-1"
S3_ACCESS_KEY_ID = "test-access-key-id"
S3_SECRET = "moto-SECRET-must-never-be-logged-7f3a9c"  # distinctive, so tests can assert it never leaks
MULTIPART_THRESHOLD_MB = 5


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server in a thread of this process, on a free port of 127.0.0.1."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_settings_for(endpoint: str, **overrides: object) -> Settings:
    """Settings for the moto server (a 5 MB multipart threshold, COMPLIANCE for one day)."""
    values: dict[str, object] = {
        "s3_endpoint_url": endpoint,
        "s3_region": S3_REGION,
        "s3_access_key_id": S3_ACCESS_KEY_ID,
        "s3_secret_access_key": SecretStr(S3_SECRET),
        "s3_addressing_style": "path",
        "s3_multipart_threshold_mb": MULTIPART_THRESHOLD_MB,
        "object_lock_mode": "COMPLIANCE",
        "object_lock_days": 1,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def s3_env_for(endpoint: str) -> dict[str, str]:
    """The same configuration as ``SOMEARKIV_*`` environment variables, for subprocesses."""
    return {
        "SOMEARKIV_S3_ENDPOINT_URL": endpoint,
        "SOMEARKIV_S3_REGION": S3_REGION,
        "SOMEARKIV_S3_ACCESS_KEY_ID": S3_ACCESS_KEY_ID,
        "SOMEARKIV_S3_SECRET_ACCESS_KEY": S3_SECRET,
        "SOMEARKIV_S3_ADDRESSING_STYLE": "path",
        "SOMEARKIV_S3_MULTIPART_THRESHOLD_MB": str(MULTIPART_THRESHOLD_MB),
    }


@pytest.fixture
def s3_settings(moto_endpoint: str) -> Settings:
    return s3_settings_for(moto_endpoint)


@pytest.fixture(scope="session")
def s3_client(moto_endpoint: str) -> Any:
    """One boto3 client for the session (building a client costs about 0.3 s)."""
    return make_s3_client(s3_settings_for(moto_endpoint).s3())


@pytest.fixture
def s3_bucket_url(s3_client: Any) -> str:
    """A fresh Object Lock bucket (unique name) and the ``s3://bucket/prefix`` URL of an archive in it."""
    bucket = f"test-{uuid.uuid4().hex[:16]}"
    create_lock_bucket(bucket, client=s3_client)
    return f"s3://{bucket}/archive"


@pytest.fixture
def s3_sink(s3_bucket_url: str, s3_client: Any, moto_endpoint: str) -> S3Sink:
    """An S3 sink on a fresh lock bucket; ``S3Sink.from_config`` would build the same with its own client."""
    bucket, prefix = parse_s3_url(s3_bucket_url)
    return S3Sink(
        bucket,
        prefix,
        client=s3_client,
        multipart_threshold_bytes=MULTIPART_THRESHOLD_MB * 1024 * 1024,
        endpoint_url=moto_endpoint,
    )


@pytest.fixture
def local_sink(tmp_path: Path) -> LocalSink:
    return LocalSink(tmp_path / "bucket")


@pytest.fixture(params=["local", "s3"])
def any_sink(request: pytest.FixtureRequest) -> Sink:
    """Each test using this runs once per sink kind; moto starts only when the S3 case runs."""
    return request.getfixturevalue(f"{request.param}_sink")


def write_random(path: Path, size: int) -> None:
    """Write ``size`` random (incompressible, never repeating) bytes, 1 MiB at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        remaining = size
        while remaining > 0:
            block = os.urandom(min(remaining, 1 << 20))
            handle.write(block)
            remaining -= len(block)


def make_package(
    root: Path,
    *,
    thread_id: str = "123_456",
    capture: bytes | None = None,
    created_at: datetime | None = None,
    files: dict[str, bytes] | None = None,
    big_files: dict[str, int] | None = None,
    previous_package_id: str | None = None,
) -> tuple[Path, Manifest]:
    """A staged package folder with real SHA-256s and its manifest (not written into the folder).

    ``files`` are small files with given contents; ``big_files`` maps paths to sizes of random data.
    """
    capture = capture if capture is not None else f'{{"thread": "{thread_id}"}}'.encode()
    capture_sha = hashlib.sha256(capture).hexdigest()
    package_id = package_id_for("facebook", thread_id, capture_sha)
    package_dir = root / package_id
    contents = {
        "capture/thread.json": capture,
        f"DOKUMENT/{package_id}.pdf": b"%PDF-1.7\n" + capture * 20,
        "arkivstruktur.xml": b"<arkivstruktur/>\n",
    }
    contents.update(files or {})
    for path, data in contents.items():
        (package_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (package_dir / path).write_bytes(data)
    for path, size in (big_files or {}).items():
        write_random(package_dir / path, size)
    entries = []
    for path in [*contents, *(big_files or {})]:
        file = package_dir / path
        role = "capture" if path.startswith("capture/") else "metadata" if path.endswith(".xml") else "vedlegg"
        entries.append(
            PackageFile(
                path=path,
                size=file.stat().st_size,
                sha256=sha256_file(file),
                role=role,
                mime_type="application/octet-stream",
            )
        )
    manifest = Manifest(
        package_id=package_id,
        platform="facebook",
        thread_id=thread_id,
        thread_url=f"https://www.facebook.com/{thread_id}",
        thread_key=thread_key("facebook", thread_id),
        capture_sha256=capture_sha,
        previous_package_id=previous_package_id,
        created_at=created_at or datetime.now(UTC),
        files=entries,
    )
    return package_dir, manifest


class FaultProxy:
    """A TCP proxy on a free port of 127.0.0.1 in front of the moto server that corrupts traffic on request.

    ``flip`` (bytes): in requests, the first occurrence of these bytes gets its last byte changed (the body
    arrives altered after the client computed its checksums). ``truncate`` (bytes): a response containing
    these bytes is cut off right after them and the connection closed (a truncated object on read).
    """

    def __init__(self, upstream: str) -> None:
        import socket
        import threading
        from urllib.parse import urlsplit

        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.flip: bytes | None = None
        self.truncate: bytes | None = None
        self.flipped = 0
        self.truncated = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._threading = threading
        self._socket = socket
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = self._socket.create_connection(self.upstream)
            self._threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            self._threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: Any, dest: Any, to_server: bool) -> None:
        try:
            while data := source.recv(1 << 16):
                marker = self.flip if to_server else self.truncate
                if marker and marker in data:
                    at = data.index(marker) + len(marker)
                    if to_server:
                        data = data[: at - 1] + bytes([data[at - 1] ^ 0x01]) + data[at:]
                        self.flip = None
                        self.flipped += 1
                    else:
                        dest.sendall(data[:at])
                        self.truncate = None
                        self.truncated += 1
                        return
                dest.sendall(data)  # a marker split across two reads is missed: tests use small bodies
        except OSError:
            pass
        finally:
            for sock in (source, dest):
                with suppress(OSError):
                    sock.shutdown(self._socket.SHUT_RDWR)
                sock.close()

    def close(self) -> None:
        self._closed = True
        self._listener.close()


@pytest.fixture
def fault_proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(moto_endpoint)
    try:
        yield proxy
    finally:
        proxy.close()


def proxied_sink(sink: S3Sink, proxy: FaultProxy, **overrides: object) -> S3Sink:
    """The same bucket as ``sink``, reached through ``proxy`` with its own client (fast timeouts, 1 attempt)."""
    settings = s3_settings_for(proxy.url, s3_max_attempts=1, s3_read_timeout_s=5, **overrides)
    return S3Sink.from_config(sink.url, settings.s3())
