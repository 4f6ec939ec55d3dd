"""The accounts registry in the workflow database (migration 0005): import from the validated file, export
back, audit of every change, references only (never a token), and the Noark arkivdel/series of an account
reaching the package's metadata (settings' arkivdel as the fallback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree
from sqlalchemy.exc import IntegrityError

from noark.model import with_target
from noark.xsd import validate_xml
from pipeline.accounts import export_registry, import_registry, registry_from_db
from schemas.errors import ConfigError, InputError, WorkflowError
from sources.accounts import load_accounts
from workflow import audit
from workflow.accounts import account_records, add_account, noark_targets, upsert_accounts
from workflow.db import Database, _alembic_config, current_revision, make_engine, upgrade

TOKEN = "EAAGtopSecretToken123"
REGISTRY = {"accounts": [
    {"key": "fjordvik-facebook", "platform": "facebook", "platform_id": "100064123456789",
     "display_name": "Fjordvik kommune", "owning_unit": "Kommunikasjonsavdelingen", "editors": ["ingrid", "kari"],
     "credentials_ref": "env:SOMEARKIV_TOKEN_FJORDVIK_FB", "aliases": ["fjordvikkommune"],
     "noark": {"arkivdel": "Sosiale medier – Facebook", "series": "Kommunikasjon"}},
    {"key": "veg-x", "platform": "x", "platform_id": "1500000000000000001", "display_name": "Fjordvik veg",
     "owning_unit": "Veg og trafikk", "editors": ["ingrid"], "credentials_ref": "secret:x-veg",
     "aliases": ["FjordvikVeg"], "scopes": ["tweet.read", "users.read"]},
]}


def write(tmp_path: Path, data: object, name: str = "accounts.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")  # ASCII: a lone surrogate travels as an escape
    return path


def test_import_creates_updates_and_audits_every_change(workflow_db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, REGISTRY)
    changes = import_registry(workflow_db, path, by="ada")
    assert [(c.key, c.change) for c in changes] == [("fjordvik-facebook", "created"), ("veg-x", "created")]
    assert [c.change for c in import_registry(workflow_db, path, by="ada")] == ["unchanged", "unchanged"]
    changed = json.loads(json.dumps(REGISTRY))
    changed["accounts"][0]["editors"] = ["kari"]
    changed["accounts"][0]["noark"] = {"arkivdel": "Dialog"}
    changes = import_registry(workflow_db, write(tmp_path, changed), by="ada")
    assert changes[0].change == "updated" and changes[0].fields == ("editors", "noark_arkivdel", "noark_series")
    records = {r.key: r for r in account_records(workflow_db)}
    fb = records["fjordvik-facebook"]
    assert (fb.handle, fb.platform_id, fb.api_id) == ("fjordvikkommune", "100064123456789", "100064123456789")
    assert fb.editors == ("kari",) and fb.unknown_editors == ("kari",)  # kari is no workflow user (yet)
    assert (fb.noark_arkivdel, fb.noark_series) == ("Dialog", None)
    with workflow_db.transaction() as session:
        events = [e for e in audit.events(session) if e.entity.startswith("account:")]
        assert [e.action for e in events] == ["account.create", "account.create", "account.registry"]
        last = events[-1].data
        assert last["before"]["editors"] == ["ingrid", "kari"] and last["after"]["editors"] == ["kari"]
        assert audit.verify_audit(session) == []
    with pytest.raises(WorkflowError, match="rollen admin"):
        import_registry(workflow_db, path, by="ingrid")


def test_export_round_trips_through_the_file_format(workflow_db: Database, tmp_path: Path) -> None:
    import_registry(workflow_db, write(tmp_path, REGISTRY), by="ada")
    exported = tmp_path / "out.json"
    exported.write_text(export_registry(workflow_db), encoding="utf-8")
    again = load_accounts(exported)
    original = load_accounts(write(tmp_path, REGISTRY, "in.json"))
    assert sorted(again.accounts, key=lambda a: a.key) == sorted(original.accounts, key=lambda a: a.key)


def test_the_registry_for_capture_comes_from_the_database(workflow_db: Database, tmp_path: Path) -> None:
    import_registry(workflow_db, write(tmp_path, REGISTRY), by="ada")
    add_account(workflow_db, "tiktok", "fjordvik.ungdomsrad", name="Ungdomsrådet", owning_unit="Oppvekst", by="ada")
    found = registry_from_db(workflow_db)
    assert [a.key for a in found.registry.accounts] == ["fjordvik-facebook", "veg-x"]
    assert len(found.incomplete) == 1 and "tiktok-fjordvik.ungdomsrad" in found.incomplete[0]
    assert "tilgangsnøkkelreferanse" in found.incomplete[0] and "account import" in found.incomplete[0]
    entry = found.registry.find(found.registry.accounts[0].platform, "FjordvikKommune")
    assert entry is not None and entry.noark is not None and entry.noark.series == "Kommunikasjon"
    assert noark_targets(workflow_db) == {("facebook", "100064123456789"): ("Sosiale medier – Facebook",
                                                                             "Kommunikasjon")}


def test_an_account_added_by_hand_is_adopted_by_the_import(workflow_db: Database, tmp_path: Path) -> None:
    made = add_account(workflow_db, "facebook", "fjordvikkommune", name="Fjordvik", owning_unit="K", by="ada")
    changes = import_registry(workflow_db, write(tmp_path, REGISTRY), by="ada")
    assert changes[0].change == "updated" and "key" in changes[0].fields
    assert [r.key for r in account_records(workflow_db)] == ["fjordvik-facebook", "veg-x"]
    with workflow_db.transaction() as session:
        assert session.scalar(sa.text("SELECT key FROM accounts WHERE id = :i"), {"i": made.id}) == \
            "fjordvik-facebook"


@pytest.mark.parametrize(
    ("change", "match"),
    [({"credentials_ref": TOKEN}, "credentials_ref"),
     ({"credentials_ref": f"env:{TOKEN} extra"}, "credentials_ref"),
     ({"display_name": "Ond\u202enavn"}, "U\\+202E"),
     ({"owning_unit": "a\x00b"}, "U\\+0000"),
     ({"editors": ["kari\ud800"]}, "editors"),
     ({"editors": ["../../etc/passwd"]}, "gyldig navn"),
     ({"noark": {"arkivdel": "x" * 201}}, "arkivdel"),
     ({"platform_id": "a/b"}, "platform_id")],
)
def test_hostile_entries_change_nothing(workflow_db: Database, tmp_path: Path, change: dict[str, object],
                                        match: str) -> None:
    bad = json.loads(json.dumps(REGISTRY))
    bad["accounts"].append(bad["accounts"][0] | {"key": "ond", "platform_id": "100064999999999"} | change)
    bad["accounts"][2].pop("aliases")
    with pytest.raises((ConfigError, InputError), match=match):
        import_registry(workflow_db, write(tmp_path, bad), by="ada")
    assert account_records(workflow_db) == []  # one bad entry: nothing imported


def test_duplicates_deep_nesting_and_clashes(workflow_db: Database, tmp_path: Path) -> None:
    twice = {"accounts": [REGISTRY["accounts"][0], REGISTRY["accounts"][0]]}
    with pytest.raises(ConfigError, match="flere ganger"):
        import_registry(workflow_db, write(tmp_path, twice), by="ada")
    deep = tmp_path / "deep.json"
    deep.write_text('{"accounts": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"deep\.json"):
        import_registry(workflow_db, deep, by="ada")
    import_registry(workflow_db, write(tmp_path, REGISTRY), by="ada")
    clash = {"accounts": [REGISTRY["accounts"][1] | {"platform": "facebook", "platform_id": "100064123456789",
                                                   "aliases": []}]}  # veg-x's key, the Facebook page's id
    with pytest.raises(WorkflowError, match="fjordvik-facebook"):
        import_registry(workflow_db, write(tmp_path, clash), by="ada")
    assert upsert_accounts(workflow_db, [], by="ada") == []
    assert [r.key for r in account_records(workflow_db)] == ["fjordvik-facebook", "veg-x"]


def test_the_database_refuses_a_token_in_place_of_a_reference(workflow_db: Database) -> None:
    add_account(workflow_db, "x", "FjordvikVeg", name="V", owning_unit="V", by="ada", credentials_ref="env:T")
    with pytest.raises(InputError, match="aldri selve nøkkelen"):
        add_account(workflow_db, "x", "Annen", name="V", owning_unit="V", by="ada", credentials_ref=TOKEN)
    with pytest.raises(IntegrityError), workflow_db.transaction() as session:
        session.execute(sa.text("UPDATE accounts SET credentials_ref = :t"), {"t": TOKEN})


def test_migration_0005_keys_old_accounts_and_downgrades(workflow_url: str) -> None:
    from alembic import command

    engine = make_engine(workflow_url)
    try:
        command.upgrade(_alembic_config(engine), "0004")
        with engine.begin() as conn:
            for platform, handle in [("facebook", "Fjordvik Kommune"), ("x", "@FjordvikVeg"), ("x", "fjordvikveg!")]:
                conn.execute(sa.text("INSERT INTO accounts (platform, handle, name, owning_unit, active) "
                                     "VALUES (:p, :h, 'N', 'U', :a)"), {"p": platform, "h": handle, "a": True})
        upgrade(engine)
        records = account_records(Database(engine))
        assert [r.key for r in records] == ["facebook-fjordvik-kommune", "x-fjordvikveg", "x-fjordvikveg-3"]
        assert all(r.credentials_ref is None and r.editors == () and r.credential_kind == "bearer" for r in records)
        command.downgrade(_alembic_config(engine), "0004")
        assert current_revision(engine) == "0004"
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar() == 3
    finally:
        engine.dispose()


def test_the_accounts_arkivdel_and_series_reach_the_noark_metadata(tmp_path: Path, xsd_dir: Path) -> None:
    from datetime import UTC, datetime

    from exporters.package import BuiltPackage
    from pipeline.export import ExportConfig, stage_thread
    from pipeline.settings import Settings
    from storage.local import LocalSink
    from tests.factories import make_thread

    work = tmp_path / "work"
    ctx = Settings(_env_file=None, work_dir=work).noark()
    thread = make_thread(thread_id="777")
    targets = {(thread.platform.value, thread.account.id): ("Sosiale medier – Facebook", "Kommunikasjon")}
    config = ExportConfig(work_dir=work, noark=ctx, noark_targets=targets)
    built = stage_thread(thread, None, sink=LocalSink(tmp_path / "bucket"), media_dir=None, config=config,
                         exported_at=datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert isinstance(built, BuiltPackage)
    struktur = etree.parse(str(built.directory / "arkivstruktur.xml"))
    melding = etree.parse(str(built.directory / "arkivmelding.xml"))
    assert struktur.xpath("//*[local-name()='arkivdel']/*[local-name()='tittel']/text()") == [
        "Sosiale medier – Facebook"]
    assert melding.xpath("//*[local-name()='mappe']/*[local-name()='arkivdel']/*[local-name()='kode']/text()") == [
        "Sosiale medier – Facebook"]
    assert melding.xpath("//*[local-name()='klassifikasjon']/*[local-name()='klasseID']/text()") == ["Kommunikasjon"]
    assert validate_xml(built.directory / "arkivstruktur.xml", "arkivstruktur", xsd_dir) == []
    assert validate_xml(built.directory / "arkivmelding.xml", "arkivmelding", xsd_dir) == []
    other = make_thread(thread_id="778").model_copy(update={"account": thread.account.model_copy(
        update={"id": "someone-else"})})
    fallback = stage_thread(other, None, sink=LocalSink(tmp_path / "bucket"), media_dir=None, config=config,
                            exported_at=datetime(2026, 3, 2, 12, tzinfo=UTC))
    assert isinstance(fallback, BuiltPackage)
    tree = etree.parse(str(fallback.directory / "arkivstruktur.xml"))
    assert tree.xpath("//*[local-name()='arkivdel']/*[local-name()='tittel']/text()") == [ctx.arkivdel_title]
    assert not etree.parse(str(fallback.directory / "arkivmelding.xml")).xpath("//*[local-name()='klassifikasjon']")
    assert with_target(ctx, None) is ctx and with_target(ctx, "  ") is ctx
