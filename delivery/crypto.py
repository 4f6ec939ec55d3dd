"""CMS EnvelopedData (RFC 5652) as Fiks IO uses it: the ASiC-E payload encrypted for the receiver.

Content encryption is AES-256-CBC with a fresh key and IV per message; the key travels RSAES-OAEP
encrypted (SHA-256, MGF1 with SHA-256) for the receiving account's certificate, issuer and serial number
as the recipient identifier — what KS's reference clients (BouncyCastle) produce and accept.
``cryptography``'s own PKCS#7 envelope builder only does RSA PKCS#1 v1.5 key transport, so the structure
is assembled with ``asn1crypto`` around ``cryptography``'s primitives.
"""

from __future__ import annotations

import os
from pathlib import Path

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from schemas.errors import ConfigError, DeliveryError

_OAEP = asym_padding.OAEP(mgf=asym_padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class CryptoError(DeliveryError):
    """A payload could not be encrypted or decrypted."""


def load_certificate(path: Path) -> x509.Certificate:
    """A PEM or DER X.509 certificate from a file (the receiving account's public certificate)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"sertifikatet {path} kan ikke leses: {exc}") from exc
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise ConfigError(f"{path} er ikke et gyldig X.509-sertifikat: {exc}") from exc


def load_private_key(path: Path) -> rsa.RSAPrivateKey:
    """An unencrypted PEM RSA private key (PKCS#8 or PKCS#1)."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"privatnøkkelen {path} kan ikke leses: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"privatnøkkelen {path} er ikke en RSA-nøkkel")
    return key


def _oaep_algorithm() -> cms.KeyEncryptionAlgorithm:
    sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
    params = algos.RSAESOAEPParams(
        {
            "hash_algorithm": sha256,
            "mask_gen_algorithm": algos.MaskGenAlgorithm({"algorithm": "mgf1", "parameters": sha256}),
        }
    )
    return cms.KeyEncryptionAlgorithm({"algorithm": "rsaes_oaep", "parameters": params})


def encrypt(data: bytes, certificate: x509.Certificate) -> bytes:
    """DER ``ContentInfo`` with ``EnvelopedData`` of ``data`` for the certificate's RSA key."""
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise CryptoError("mottakerens sertifikat har ikke en RSA-nøkkel")
    key, iv = os.urandom(32), os.urandom(16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    recipient = cms.KeyTransRecipientInfo(
        {
            "version": "v0",
            "rid": cms.RecipientIdentifier(
                name="issuer_and_serial_number",
                value=cms.IssuerAndSerialNumber({"issuer": cert.issuer, "serial_number": cert.serial_number}),
            ),
            "key_encryption_algorithm": _oaep_algorithm(),
            "encrypted_key": public_key.encrypt(key, _OAEP),
        }
    )
    enveloped = cms.EnvelopedData(
        {
            "version": "v0",
            "recipient_infos": [cms.RecipientInfo(name="ktri", value=recipient)],
            "encrypted_content_info": cms.EncryptedContentInfo(
                {
                    "content_type": "data",
                    "content_encryption_algorithm": cms.EncryptionAlgorithm(
                        {"algorithm": "aes256_cbc", "parameters": core.OctetString(iv)}
                    ),
                    "encrypted_content": ciphertext,
                }
            ),
        }
    )
    return bytes(cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped}).dump())


def decrypt(der: bytes, private_key: rsa.RSAPrivateKey) -> bytes:
    """The plaintext of a DER ``EnvelopedData`` (the first key-transport recipient, RSAES-OAEP or v1.5)."""
    try:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "enveloped_data":
            raise CryptoError(f"CMS-innholdet er {info['content_type'].native}, ikke enveloped_data")
        enveloped = info["content"]
        recipients = [r.chosen for r in enveloped["recipient_infos"] if r.name == "ktri"]
        if not recipients:
            raise CryptoError("CMS-meldingen har ingen mottaker med nøkkeltransport (RSA)")
        ktri = recipients[0]
        scheme = ktri["key_encryption_algorithm"]["algorithm"].native
        wrapped = ktri["encrypted_key"].native
        if scheme == "rsaes_oaep":
            key = private_key.decrypt(wrapped, _OAEP)
        elif scheme == "rsaes_pkcs1v15":
            key = private_key.decrypt(wrapped, asym_padding.PKCS1v15())
        else:
            raise CryptoError(f"ukjent nøkkelkryptering {scheme!r}")
        content = enveloped["encrypted_content_info"]
        algorithm = content["content_encryption_algorithm"]
        name = algorithm["algorithm"].native
        if name not in ("aes256_cbc", "aes128_cbc", "aes192_cbc"):
            raise CryptoError(f"ukjent innholdskryptering {name!r}")
        iv = algorithm["parameters"].native
        ciphertext = content["encrypted_content"].native or b""
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except CryptoError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise CryptoError(f"meldingen kan ikke dekrypteres: {exc}") from exc
