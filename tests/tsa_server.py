"""A local RFC 3161 time-stamping authority for the tests: Debian's ``openssl ts`` behind HTTP on 127.0.0.1.

``make_tsa(folder)`` creates a throwaway root CA and a TSA certificate (critical extendedKeyUsage
``timeStamping``) with ``openssl``; ``TsaServer`` answers ``POST`` bodies (``application/timestamp-query``) by
running ``openssl ts -reply``. Fixtures: ``tsa`` (one per session) and ``tsa_config`` (a TimestampConfig).
Registered with ``pytest_plugins`` in tests/conftest.py.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from storage.config import TimestampConfig

OPENSSL_CNF = """\
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = placeholder
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_tsa ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {folder}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _openssl(*args: str, cwd: Path, data: bytes | None = None) -> bytes:
    done = subprocess.run(["openssl", *args], cwd=cwd, input=data, capture_output=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


@dataclass(frozen=True)
class Tsa:
    folder: Path
    ca_file: Path
    cert_file: Path
    config: Path


def make_tsa(folder: Path, name: str = "Somearkiv Test TSA") -> Tsa:
    """A root CA and a TSA certificate it signed, with an ``openssl ts`` configuration."""
    folder.mkdir(parents=True, exist_ok=True)
    cnf = folder / "openssl.cnf"
    cnf.write_text(OPENSSL_CNF.format(folder=folder))
    (folder / "tsaserial").write_text("01\n")
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key", cwd=folder)
    _openssl(
        "req", "-new", "-x509", "-key", "ca.key", "-out", "ca.pem", "-days", "3650", "-subj", f"/CN={name} Root",
        "-config", str(cnf), "-extensions", "v3_ca", cwd=folder,
    )  # fmt: skip
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "tsa.key", cwd=folder)
    _openssl(
        "req", "-new", "-key", "tsa.key", "-out", "tsa.csr", "-subj", f"/CN={name}", "-config", str(cnf), cwd=folder
    )
    _openssl(
        "x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tsa.pem",
        "-days", "3650", "-extfile", str(cnf), "-extensions", "v3_tsa", cwd=folder,
    )  # fmt: skip
    return Tsa(folder, folder / "ca.pem", folder / "tsa.pem", cnf)


class TsaServer:
    """HTTP front of ``openssl ts -reply`` on a free port of 127.0.0.1; ``mode`` injects faults."""

    def __init__(self, tsa: Tsa) -> None:
        self.tsa = tsa
        self.mode = "ok"  # "ok", "garbage", "huge", "http500", "other-tsa"
        self.other: Tsa | None = None
        self.requests = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                query = self.rfile.read(min(length, 1 << 16))
                status, body = server.answer(query)
                self.send_response(status)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/tsa"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, query: bytes) -> tuple[int, bytes]:
        with self._lock:
            self.requests += 1
            if self.mode == "http500":
                return 500, b"broken"
            if self.mode == "garbage":
                return 200, b"\x30\x03\x02\x01\x00 not a token"
            if self.mode == "huge":
                return 200, b"\x30" * (1 << 20)
            tsa = self.other if self.mode == "other-tsa" and self.other else self.tsa
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "q.tsq").write_bytes(query)
                _openssl(
                    "ts", "-reply", "-config", str(tsa.config), "-queryfile", "q.tsq", "-out", "r.tsr", cwd=Path(tmp)
                )
                return 200, (Path(tmp) / "r.tsr").read_bytes()

    def start(self) -> TsaServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TsaServer]:
    folder = tmp_path_factory.mktemp("tsa")
    server = TsaServer(make_tsa(folder / "good")).start()
    server.other = make_tsa(folder / "other", "Impostor TSA")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def tsa_config(tsa: TsaServer) -> Iterator[TimestampConfig]:
    tsa.mode = "ok"
    yield TimestampConfig(url=tsa.url, ca_file=tsa.tsa.ca_file, tsa_cert_file=tsa.tsa.cert_file, timeout_s=10)
    tsa.mode = "ok"
