"""The accounts registry: validated file, lookups, credentials by reference (never the token itself)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas.errors import ConfigError, CredentialsError
from schemas.thread import Platform
from sources.accounts import load_accounts, resolve_credential

ENTRY = {
    "key": "fjordvik-facebook", "platform": "facebook", "platform_id": "100064123456789",
    "display_name": "Fjordvik kommune", "owning_unit": "Kommunikasjonsavdelingen", "editors": ["kari.nordmann"],
    "credentials_ref": "env:SOMEARKIV_TOKEN_FJORDVIK_FB", "noark": {"arkivdel": "Sosiale medier", "series": "Facebook"},
    "aliases": ["fjordvikkommune"],
}


def write(tmp_path: Path, data: object, name: str = "accounts.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if name.endswith(".json") else str(data), encoding="utf-8")
    return path


def test_json_and_yaml_registries(tmp_path: Path) -> None:
    registry = load_accounts(write(tmp_path, {"accounts": [ENTRY]}))
    entry = registry.find(Platform.FACEBOOK, "@FjordvikKommune")
    assert entry is not None and entry.noark.arkivdel == "Sosiale medier"
    assert registry.find(Platform.FACEBOOK, None) is entry and registry.find(Platform.X, None) is None
    assert entry.thread_account().owning_unit == "Kommunikasjonsavdelingen"
    yaml_text = """
accounts:
  - key: biblioteket-instagram
    platform: instagram
    platform_id: "17841400000000999"
    display_name: Fjordvik bibliotek
    owning_unit: Biblioteket
    editors: [ola]
    credentials_ref: secret:ig-biblioteket
    noark: {arkivdel: Sosiale medier}
"""
    registry = load_accounts(write(tmp_path, yaml_text, "accounts.yaml"))
    assert registry.accounts[0].platform is Platform.INSTAGRAM


@pytest.mark.parametrize(
    ("change", "match"),
    [({"credentials_ref": "EAAGrawtokenpasted"}, "credentials_ref"),
     ({"editors": []}, "editors"),
     ({"platform_id": "../../etc"}, "platform_id"),
     ({"platform": "myspace"}, "platform"),
     ({"key": "Has Spaces"}, "key"),
     ({"token": "x"}, "token")],
)
def test_bad_entries_name_the_field(tmp_path: Path, change: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_accounts(write(tmp_path, {"accounts": [ENTRY | change]}))


def test_duplicates_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="står flere ganger"):
        load_accounts(write(tmp_path, {"accounts": [ENTRY, ENTRY | {"key": "other"}]}))
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff{")
    with pytest.raises(ConfigError, match="ikke gyldig"):
        load_accounts(bad)
    with pytest.raises(ConfigError, match="kan ikke lese"):
        load_accounts(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="YAML"):
        load_accounts(write(tmp_path, "accounts: [unclosed", "a.yml"))


def test_credentials_are_resolved_by_reference_and_never_shown(tmp_path: Path) -> None:
    entry = load_accounts(write(tmp_path, {"accounts": [ENTRY]})).accounts[0]
    credential = resolve_credential(entry, {"env:SOMEARKIV_TOKEN_FJORDVIK_FB": " EAAGsecret "}.get)
    assert credential.token.get_secret_value() == "EAAGsecret"
    assert "EAAGsecret" not in repr(credential) and "EAAGsecret" not in str(credential)
    expected = r"Fjordvik kommune.*env:SOMEARKIV_TOKEN_FJORDVIK_FB.*sidetilgangsnøkkel"
    with pytest.raises(CredentialsError, match=expected):
        resolve_credential(entry, lambda ref: None)
