"""ASiC-E containers (ETSI EN 319 162): the payload format of Fiks IO messages.

A container is a zip whose first entry is ``mimetype`` (stored, uncompressed, no extra field) with
``application/vnd.etsi.asic-e+zip``, then the data objects, then ``META-INF/asicmanifest.xml`` listing each
data object with its SHA-256. When a signer is given, ``META-INF/signature.p7s`` is a detached CMS signature
(CAdES) over the manifest, as the Fiks IO reference clients make with the sender's enterprise certificate.

Reading is defensive: entry names must be plain relative paths, the total size is bounded, every data
object must be listed in the manifest with a matching digest.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from lxml import etree

from schemas.errors import DeliveryError

MIMETYPE = "application/vnd.etsi.asic-e+zip"
MANIFEST = "META-INF/asicmanifest.xml"
SIGNATURE = "META-INF/signature.p7s"
ASIC_NS = "http://uri.etsi.org/02918/v1.2.1#"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # deterministic containers: the same files give the same bytes


class AsiceError(DeliveryError):
    """An ASiC-E container is malformed, too large or doesn't match its manifest."""


@dataclass(frozen=True)
class Signer:
    """The sender's signing certificate and key (Fiks IO: the enterprise certificate)."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


def check_entry_name(name: str) -> None:
    """A data object name must be a plain relative POSIX path inside the container."""
    pure = PurePosixPath(name)
    if (
        not name
        or len(name) > 255
        or "\\" in name
        or pure.is_absolute()
        or any(part in ("", ".", "..") for part in name.split("/"))
        or name == "mimetype"
        or name.startswith("META-INF/")
        or any(ord(c) < 0x20 or 0xD800 <= ord(c) <= 0xDFFF for c in name)
    ):
        raise AsiceError(f"ASiC-E: ugyldig filnavn {name!r}")


def _manifest(files: Mapping[str, tuple[bytes, str]], signed: bool) -> bytes:
    root = etree.Element(f"{{{ASIC_NS}}}ASiCManifest", nsmap={None: ASIC_NS, "ds": DS_NS})
    if signed:
        etree.SubElement(root, f"{{{ASIC_NS}}}SigReference", URI=SIGNATURE, MimeType="application/x-pkcs7-signature")
    for name, (data, mime) in files.items():
        ref = etree.SubElement(root, f"{{{ASIC_NS}}}DataObjectReference", URI=name, MimeType=mime)
        etree.SubElement(ref, f"{{{DS_NS}}}DigestMethod", Algorithm=SHA256_URI)
        value = etree.SubElement(ref, f"{{{DS_NS}}}DigestValue")
        value.text = base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def _write(archive: zipfile.ZipFile, name: str, data: bytes, compress: int) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.compress_type = compress
    archive.writestr(info, data)


def build_asice(files: Mapping[str, tuple[bytes, str]], signer: Signer | None = None) -> bytes:
    """A container of ``files`` (name → (bytes, MIME type)); signed when ``signer`` is given."""
    if not files:
        raise AsiceError("ASiC-E: en container må ha minst én fil")
    for name in files:
        check_entry_name(name)
    manifest = _manifest(files, signer is not None)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _write(archive, "mimetype", MIMETYPE.encode("ascii"), zipfile.ZIP_STORED)
        for name, (data, _mime) in files.items():
            _write(archive, name, data, zipfile.ZIP_DEFLATED)
        _write(archive, MANIFEST, manifest, zipfile.ZIP_DEFLATED)
        if signer is not None:
            signature = (
                pkcs7.PKCS7SignatureBuilder()
                .set_data(manifest)
                .add_signer(signer.certificate, signer.key, hashes.SHA256())
                .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])
            )
            _write(archive, SIGNATURE, signature, zipfile.ZIP_STORED)
    return buffer.getvalue()


@dataclass(frozen=True)
class Container:
    """The data objects of a read container (manifest order) and whether it carried a signature."""

    files: dict[str, bytes]
    signature: bytes | None

    def get(self, name: str) -> bytes:
        try:
            return self.files[name]
        except KeyError:
            raise AsiceError(f"ASiC-E: containeren mangler {name}") from None


def _digests(manifest: bytes) -> dict[str, str]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(manifest, parser)
    except etree.XMLSyntaxError as exc:
        raise AsiceError(f"ASiC-E: {MANIFEST} er ikke gyldig XML: {exc}") from exc
    if root.tag != f"{{{ASIC_NS}}}ASiCManifest":
        raise AsiceError(f"ASiC-E: {MANIFEST} har feil rotelement {root.tag!r}")
    digests: dict[str, str] = {}
    for ref in root.iter(f"{{{ASIC_NS}}}DataObjectReference"):
        uri = ref.get("URI") or ""
        value = ref.findtext(f"{{{DS_NS}}}DigestValue") or ""
        method = ref.find(f"{{{DS_NS}}}DigestMethod")
        if method is None or method.get("Algorithm") != SHA256_URI:
            raise AsiceError(f"ASiC-E: {uri!r} har ikke SHA-256 i manifestet")
        if uri in digests:
            raise AsiceError(f"ASiC-E: {uri!r} står to ganger i manifestet")
        digests[uri] = value.strip()
    return digests


def read_asice(data: bytes, *, max_bytes: int, max_files: int = 1000) -> Container:
    """Open a container, checking its layout, sizes and manifest digests (a zip bomb is refused unread)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise AsiceError(f"ASiC-E: ikke en zip-fil: {exc}") from exc
    with archive:
        infos = archive.infolist()
        if not infos or infos[0].filename != "mimetype" or infos[0].compress_type != zipfile.ZIP_STORED:
            raise AsiceError("ASiC-E: første oppføring må være 'mimetype', lagret ukomprimert")
        if len(infos) > max_files:
            raise AsiceError(f"ASiC-E: {len(infos)} oppføringer, grensen er {max_files}")
        if sum(info.file_size for info in infos) > max_bytes:
            raise AsiceError(f"ASiC-E: innholdet er større enn grensen på {max_bytes} byte")
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise AsiceError("ASiC-E: samme filnavn står flere ganger i containeren")
        try:
            if archive.read("mimetype") != MIMETYPE.encode("ascii"):
                raise AsiceError(f"ASiC-E: mimetype er ikke {MIMETYPE}")
            if MANIFEST not in names:
                raise AsiceError(f"ASiC-E: mangler {MANIFEST}")
            digests = _digests(archive.read(MANIFEST))
            signature = archive.read(SIGNATURE) if SIGNATURE in names else None
            files: dict[str, bytes] = {}
            for info in infos[1:]:
                name = info.filename
                if name.startswith("META-INF/") or info.is_dir():
                    continue
                check_entry_name(name)
                content = archive.read(info)
                expected = digests.get(name)
                if expected is None:
                    raise AsiceError(f"ASiC-E: {name!r} står ikke i manifestet")
                if base64.b64encode(hashlib.sha256(content).digest()).decode("ascii") != expected:
                    raise AsiceError(f"ASiC-E: {name!r} stemmer ikke med SHA-256 i manifestet")
                files[name] = content
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
            raise AsiceError(f"ASiC-E: kan ikke leses: {exc}") from exc
    missing = sorted(set(digests) - set(files))
    if missing:
        raise AsiceError(f"ASiC-E: manifestet lister filer som mangler: {', '.join(missing)}")
    return Container(files=files, signature=signature)
