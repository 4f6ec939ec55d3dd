"""ASiC-E, CMS encryption and Fiks Arkiv message parsing, without a broker (delivery/)."""

from __future__ import annotations

import io
import shutil
import subprocess
import warnings
import zipfile
from pathlib import Path

import pytest

from delivery import messages
from delivery.asice import MIMETYPE, AsiceError, Signer, build_asice, read_asice
from delivery.crypto import CryptoError, decrypt, encrypt
from delivery.messages import MessageError, Schemas
from tests.fiks.archive import feilmelding_xml, kvittering_xml
from tests.fiks.certs import make_keypair

MB = 1 << 20


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("keys")
    return make_keypair(folder, "arkiv"), make_keypair(folder, "somearkiv")


@pytest.fixture(scope="module")
def schemas(xsd_dir: Path) -> Schemas:
    return Schemas(xsd_dir)


FILES = {
    "arkivmelding.xml": (b"<arkivmelding/>", "application/xml"),
    "DOKUMENT/tråd ✓.pdf": (b"%PDF-1.7 fake", "application/pdf"),
}


def test_asice_layout_and_round_trip(keys) -> None:
    data = build_asice(FILES, Signer(keys[1].certificate, keys[1].key))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED and not first.extra
        assert archive.read("mimetype") == MIMETYPE.encode()
        assert "META-INF/asicmanifest.xml" in archive.namelist() and "META-INF/signature.p7s" in archive.namelist()
    # the mimetype is readable at a fixed offset, as ASiC requires
    assert data[30:38] == b"mimetype" and data[38 : 38 + len(MIMETYPE)] == MIMETYPE.encode()
    container = read_asice(data, max_bytes=MB)
    assert container.files == {name: content for name, (content, _) in FILES.items()}
    assert container.signature and container.signature[:1] == b"\x30"
    assert build_asice(FILES) == build_asice(FILES)  # deterministic


def test_asice_signature_verifies_with_openssl(keys, tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.fail("openssl mangler")
    data = build_asice(FILES, Signer(keys[1].certificate, keys[1].key))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (tmp_path / "m.xml").write_bytes(archive.read("META-INF/asicmanifest.xml"))
        (tmp_path / "s.p7s").write_bytes(archive.read("META-INF/signature.p7s"))
    done = subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            tmp_path / "s.p7s",
            "-content",
            tmp_path / "m.xml",
            "-noverify",
            "-out",
            "/dev/null",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _zip(entries: list[tuple[str, bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore")  # duplicate names are the point of some tests
        for name, data, method in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = method
            archive.writestr(info, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name", ["../evil.txt", "/etc/passwd", "a/../../b", "a\\b", "", "mimetype", "META-INF/x", "bell\x07", "\udc80x"]
)
def test_asice_refuses_path_tricks(name: str) -> None:
    with pytest.raises(AsiceError):
        build_asice({name: (b"x", "text/plain")})


def test_asice_reader_refuses_hostile_containers() -> None:
    good = build_asice(FILES)
    with pytest.raises(AsiceError, match="zip"):
        read_asice(b"not a zip", max_bytes=MB)
    with pytest.raises(AsiceError, match="mimetype"):
        read_asice(_zip([("a.xml", b"x", zipfile.ZIP_STORED)]), max_bytes=MB)
    with pytest.raises(AsiceError, match="mimetype"):  # compressed mimetype
        read_asice(_zip([("mimetype", MIMETYPE.encode(), zipfile.ZIP_DEFLATED)]), max_bytes=MB)
    bomb = _zip(
        [("mimetype", MIMETYPE.encode(), zipfile.ZIP_STORED), ("big.xml", b"\0" * (20 * MB), zipfile.ZIP_DEFLATED)]
    )
    assert len(bomb) < MB
    with pytest.raises(AsiceError, match="grensen"):
        read_asice(bomb, max_bytes=10 * MB)
    # a file not in the manifest, a changed file, a path trick inside the zip
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        entries = [(i.filename, archive.read(i), i.compress_type) for i in archive.infolist()]
    extra = [*entries, ("../x.xml", b"x", zipfile.ZIP_STORED)]
    with pytest.raises(AsiceError):
        read_asice(_zip(extra), max_bytes=MB)
    changed = [(n, b"tampered" if n == "arkivmelding.xml" else d, m) for n, d, m in entries]
    with pytest.raises(AsiceError, match="SHA-256"):
        read_asice(_zip(changed), max_bytes=MB)
    duplicate = [*entries, entries[1]]
    with pytest.raises(AsiceError):
        read_asice(_zip(duplicate), max_bytes=MB)


def test_cms_round_trip_and_openssl_interop(keys, tmp_path: Path) -> None:
    archive, other = keys
    plain = build_asice(FILES)
    sealed = encrypt(plain, archive.certificate)
    assert plain not in sealed
    assert decrypt(sealed, archive.key) == plain
    with pytest.raises(CryptoError):
        decrypt(sealed, other.key)
    # OpenSSL reads our EnvelopedData (RSAES-OAEP/SHA-256 + AES-256-CBC) ...
    (tmp_path / "in.der").write_bytes(sealed)
    done = subprocess.run(
        [
            "openssl",
            "cms",
            "-decrypt",
            "-binary",
            "-inform",
            "DER",
            "-in",
            tmp_path / "in.der",
            "-inkey",
            archive.key_path,
            "-recip",
            archive.certificate_path,
            "-out",
            tmp_path / "out.bin",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.bin").read_bytes() == plain
    # ... and we read OpenSSL's (as BouncyCastle-based senders produce it)
    (tmp_path / "plain.bin").write_bytes(plain)
    done = subprocess.run(
        [
            "openssl",
            "cms",
            "-encrypt",
            "-binary",
            "-aes256",
            "-outform",
            "DER",
            "-in",
            tmp_path / "plain.bin",
            "-recip",
            archive.certificate_path,
            "-keyopt",
            "rsa_padding_mode:oaep",
            "-keyopt",
            "rsa_oaep_md:sha256",
            "-keyopt",
            "rsa_mgf1_md:sha256",
            "-out",
            tmp_path / "ossl.der",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert decrypt((tmp_path / "ossl.der").read_bytes(), archive.key) == plain


@pytest.mark.parametrize("junk", [b"", b"\x30\x03\x02\x01\x00", b"\xff" * 100, b"0" * 5000])
def test_cms_decrypt_refuses_junk(keys, junk: bytes) -> None:
    with pytest.raises(CryptoError):
        decrypt(junk, keys[0].key)


JP, SAK = "8f0c1b5e-1d2a-4c3b-9e4f-0a1b2c3d4e5f", "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
NUMBERS = {
    "journalaar": 2026,
    "journalsekvensnummer": 117,
    "journalpostnummer": 3,
    "saksaar": 2026,
    "sakssekvensnummer": 1042,
}


def test_kvittering_parsed_after_xsd_validation(schemas: Schemas) -> None:
    xml = kvittering_xml(NUMBERS, system_id=JP, mappe_system_id=SAK, existing=False)
    kvittering = messages.parse_kvittering(xml, schemas)
    assert kvittering.numbers.journalnummer == "2026/117"
    assert kvittering.numbers.saksnummer == "2026/1042"
    assert kvittering.numbers.journalpostnummer == 3
    assert kvittering.registrering_failed is None


def test_feilmelding_parsed(schemas: Schemas) -> None:
    xml = feilmelding_xml(messages.FEIL_UGYLDIG, "f-1", "Ugyldig arkivmelding: «tittel» mangler")
    feil = messages.parse_feilmelding(messages.FEIL_UGYLDIG, xml, schemas)
    assert (feil.kind, feil.feil_id, feil.melding) == (
        "ugyldigforespoersel",
        "f-1",
        "Ugyldig arkivmelding: «tittel» mangler",
    )
    with pytest.raises(MessageError):  # the right XML under the wrong type
        messages.parse_feilmelding(messages.FEIL_SERVER, xml, schemas)
    with pytest.raises(MessageError):
        messages.parse_feilmelding(messages.KVITTERING, xml, schemas)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<not-closed",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b"<a>" * 300 + b"</a>" * 300,
        kvittering_xml(NUMBERS, system_id=JP, mappe_system_id=None, existing=False).replace(b"117", b"elleve"),
        kvittering_xml(NUMBERS, system_id=JP, mappe_system_id=None, existing=False).replace(
            b"Opprettet", b"Opprettet\xe2\x80\x8f\x07"
        ),
        b"<x>" + b"A" * (messages.MAX_XML_BYTES + 1) + b"</x>",
    ],
)
def test_malformed_kvittering_refused(schemas: Schemas, data: bytes) -> None:
    with pytest.raises(MessageError):
        messages.parse_kvittering(data, schemas)
