"""``somearkiv moderate`` as an editor runs it: settings from the environment, the replay server as the platform."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.accounts import import_registry
from somearkiv.cli import app
from storage.audit import AuditLog
from storage.local import LocalSink
from tests.replay.demo import serve_all
from tests.replay.helpers import TOKEN
from tests.replay.methods import MethodReplayServer, method_replay_server
from tests.replay.server import Reply, fixture
from tests.test_moderation_flow import ACCOUNTS, FB_COMMENT, FB_URL
from workflow.db import Database

Run = tuple[int, str, str]


@pytest.fixture
def env(sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MethodReplayServer]:
    db = tmp_path / "workflow.sqlite3"
    shutil.copyfile(sqlite_template, db)
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps({"accounts": [
        {"key": key, "platform": platform, "platform_id": pid, "display_name": "Eksempel kommune",
         "owning_unit": "Kommunikasjon", "editors": ["ingrid"], "credentials_ref": "env:MOD_TEST_TOKEN",
         "aliases": aliases, "noark": {"arkivdel": "Dialog"}, **({"business_id": "o"} if platform == "tiktok" else {})}
        for key, platform, pid, aliases in ACCOUNTS]}), encoding="utf-8")
    registry = Database(f"sqlite:///{db}")  # moderation reads the accounts registry from the database
    import_registry(registry, accounts, by="ada")
    registry.dispose()
    with method_replay_server() as server:
        serve_all(server)
        for name, value in {"SOMEARKIV_DATABASE_URL": f"sqlite:///{db}",
                            "SOMEARKIV_CAPTURE_DIR": str(tmp_path / "captures"),
                            "SOMEARKIV_BUCKET": str(tmp_path / "bucket"), "SOMEARKIV_REPLAY_BASE_URL": server.url,
                            "MOD_TEST_TOKEN": TOKEN}.items():
            monkeypatch.setenv(name, value)
        yield server


def run(*args: str) -> Run:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_moderate_hides_after_keeping_the_evidence(env: MethodReplayServer, tmp_path: Path) -> None:
    env.add_action("POST", f"/v25.0/{FB_COMMENT}", fixture("facebook/moderation_ok.json"))
    code, out, err = run("moderate", FB_URL, "--action", "hide", "--reason", "personsjikane", "--by", "ingrid")
    assert code == 0, err
    assert "moderering #1" in out and "skjult av ingrid" in out and "skjermbilde:" in out
    assert len(env.actions) == 1
    chain, findings = AuditLog(LocalSink(tmp_path / "bucket")).events()
    assert findings == [] and [s.event.kind for s in chain] == ["moderation.hidden"]
    assert not chain[0].event.actor_verified  # --by is a claim


def test_moderate_platform_refusal_exits_2_and_says_the_evidence_is_kept(env: MethodReplayServer) -> None:
    env.add_action("POST", f"/v25.0/{FB_COMMENT}", Reply(400, fixture("facebook/moderation_permission.json").body))
    code, out, err = run("moderate", FB_URL, "--action", "hide", "--reason", "spam", "--by", "ingrid")
    assert code == 2 and "IKKE skjult" in err and "beviset er tatt vare på" in err
    assert "bevis:" in out


@pytest.mark.parametrize(("args", "message"), [
    (("--action", "hide", "--reason", "spam", "--by", "nobody"), "nobody"),
    (("--action", "erase", "--reason", "spam", "--by", "ingrid"), "hide eller delete"),
    (("--action", "hide", "--reason", "x\x00y", "--by", "ingrid"), "ukjent grunn"),
])
def test_moderate_bad_input_is_one_line_exit_2(env: MethodReplayServer, tmp_path: Path, args: tuple[str, ...],
                                               message: str) -> None:
    code, _, err = run("moderate", FB_URL, *args)
    assert code == 2 and message in err and err.count("\n") == 1
    assert env.actions == [] and not (tmp_path / "captures").exists()
