"""The candidates flow against the replay server, on the SQLite workflow database: posts that ask for input
become suggestions, ordinary posts don't, a second scan adds nothing, and one platform failing (500,
malformed answers) or hostile post texts never stop the other accounts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.candidates import AccountScan, scan_account, scan_candidates, summary_markdown
from pipeline.accounts import import_registry
from schemas.refs import ThreadRef
from schemas.thread import FlagKind, Platform
from sources.accounts import AccountRegistry
from tests.replay.demo import FB, serve_all
from tests.replay.helpers import TOKEN, Sleeps, config_for
from tests.replay.server import ReplayServer, Reply, fixture_data, replay_server
from workflow.db import Database
from workflow.flags import FlagRequest, create_flag
from workflow.models import Candidate
from workflow.suggestions import list_candidates

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
ACCOUNTS = [
    ("fjordvik-facebook", "facebook", "100064123456789"),
    ("fjordvik-instagram", "instagram", "17841400000000999"),
    ("fjordvik-x", "x", "900000000000000001"),
    ("fjordvik-youtube", "youtube", "UCexampleKommune00000000"),
]
FB_KEY = "facebook-100064123456789_1234567890123456"


def registry_data() -> dict[str, object]:
    return {"accounts": [
        {"key": key, "platform": platform, "platform_id": pid, "display_name": "Eksempel kommune",
         "owning_unit": "Kommunikasjon", "editors": ["ingrid"], "credentials_ref": "env:TOKEN",
         "noark": {"arkivdel": "Dialog i sosiale medier"}}
        for key, platform, pid in ACCOUNTS]}


def lookup(reference: str) -> str | None:
    return TOKEN if reference == "env:TOKEN" else None


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with replay_server() as running:
        serve_all(running)
        yield running


def fb_post(server: ReplayServer, message: str) -> None:
    post = fixture_data("facebook/post.json")
    post["message"] = message
    # ASCII escapes carry lone surrogates through JSON, as a platform could send them
    server.add(FB, Reply(200, json.dumps(post).encode(), {"Content-Type": "application/json"}))


def scan_all(db: Database, server: ReplayServer) -> dict[str, AccountScan]:
    registry = AccountRegistry.model_validate(registry_data())
    config = config_for(server.url, Sleeps(), max_attempts=2)
    return {entry.key: scan_account(entry, db, lookup, config, SINCE) for entry in registry.accounts}


def test_a_post_asking_for_input_is_suggested_and_an_ordinary_one_is_not(sqlite_db: Database,
                                                                         server: ReplayServer) -> None:
    scans = scan_all(sqlite_db, server)
    assert all(s.error is None for s in scans.values()), scans
    assert scans["fjordvik-facebook"].suggested == 1
    assert scans["fjordvik-instagram"] == AccountScan("fjordvik-instagram", "instagram", listed=1)
    assert scans["fjordvik-x"].suggested == 0 and scans["fjordvik-x"].listed == 1
    found = list_candidates(sqlite_db)
    assert [(c.thread_key, c.account) for c in found] == [(FB_KEY, "fjordvik-facebook")]
    assert "Høring" in found[0].excerpt and found[0].cues


def test_a_second_scan_adds_nothing_and_does_not_refetch(sqlite_db: Database, server: ReplayServer) -> None:
    scan_all(sqlite_db, server)
    fetched = sum(1 for r in server.requests if r.path == FB)
    again = scan_all(sqlite_db, server)
    assert again["fjordvik-facebook"].suggested == 0 and again["fjordvik-facebook"].skipped == 1
    assert sum(1 for r in server.requests if r.path == FB) == fetched
    assert len(list_candidates(sqlite_db, state=None)) == 1


def test_a_flagged_post_is_not_suggested(sqlite_db: Database, server: ReplayServer) -> None:
    ref = ThreadRef(Platform.FACEBOOK, "100064123456789_1234567890123456", "fjordvik-facebook")
    with sqlite_db.transaction() as session:
        create_flag(session, FlagRequest(ref=ref, kind=FlagKind.JOURNAL_REQUIRED, by="ingrid",
                                         new_case_title="Høring", reason="høringsinnspill"))
    scans = scan_all(sqlite_db, server)
    assert scans["fjordvik-facebook"].skipped == 1 and scans["fjordvik-facebook"].suggested == 0
    assert list_candidates(sqlite_db, state=None) == []


# The X connector reads a "data" that is not a list as no posts; the others are errors of the account.
@pytest.mark.parametrize("reply", [Reply.json({"title": "Internal"}, 500), Reply(200, b"{not json"),
                                   Reply.json({"data": "not a list"}), Reply.json([1, 2, 3])])
def test_one_platform_failing_does_not_stop_the_others(sqlite_db: Database, server: ReplayServer,
                                                       reply: Reply) -> None:
    server.add("/2/users/900000000000000001/tweets", reply)
    server.add("/youtube/v3/channels", Reply(502, b"<html>Bad gateway</html>"))
    scans = scan_all(sqlite_db, server)
    x = scans["fjordvik-x"]
    assert scans["fjordvik-youtube"].error and x.listed == 0 and x.suggested == 0
    assert scans["fjordvik-facebook"].suggested == 1 and scans["fjordvik-facebook"].error is None
    markdown = summary_markdown(list(scans.values()), 2)
    assert f"kontoer med feil: **{2 if x.error else 1}**" in markdown and "| fjordvik-x | x | 0 |" in markdown


def test_a_post_that_fails_to_fetch_is_counted_not_fatal(sqlite_db: Database, server: ReplayServer) -> None:
    server.add(FB, Reply.json({"error": {"message": "boom", "type": "OAuthException", "code": 1}}, 500))
    scans = scan_all(sqlite_db, server)
    assert scans["fjordvik-facebook"].failed_posts == 1 and scans["fjordvik-facebook"].error
    assert scans["fjordvik-instagram"].error is None
    assert "| fjordvik-facebook |" in summary_markdown(list(scans.values()), 2)


@pytest.mark.parametrize("message", [
    "Høring\x00\x1b[31m: si din mening om \u202ereguleringsplanen\u202c – innspill innen fredag\x07",
    "Innspill? " + "\u05e9\u05dc\u05d5\u05dd " * 20 + "hva mener du?",
    "Høring: gi innspill til planen. " + "x" * 100_000,
    "\ud800 høring \udfff innspill",
])
def test_hostile_post_texts_do_not_crash(sqlite_db: Database, server: ReplayServer, message: str) -> None:
    fb_post(server, message)
    scans = scan_all(sqlite_db, server)
    assert scans["fjordvik-instagram"].error is None and scans["fjordvik-x"].error is None
    assert scans["fjordvik-facebook"] == AccountScan("fjordvik-facebook", "facebook", listed=1, suggested=1)
    [candidate] = list_candidates(sqlite_db)
    assert len(candidate.excerpt) <= 500
    assert not any(ch in candidate.excerpt for ch in "\x00\x1b\x07\ud800\udfff")


def test_the_summary_escapes_table_breaking_reasons() -> None:
    scan = AccountScan("a", "x", error="ugyldig | svar\nandre linje \x1b[2J")
    markdown = summary_markdown([scan], 2)
    row = markdown.splitlines()[-1]
    assert "andre linje" not in markdown and "\x1b" not in markdown and "ugyldig \\| svar" in row


@pytest.mark.flowrun
def test_a_true_flow_run_suggests_and_publishes_the_summary(prefect_harness: None, sqlite_db: Database,
                                                            server: ReplayServer, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.artifacts import Artifact

    server.add("/2/users/900000000000000001/tweets", Reply.json({"title": "Internal"}, 500))
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps(registry_data()), encoding="utf-8")
    import_registry(sqlite_db, accounts, by="ada")  # the scan reads the registry from the database
    monkeypatch.setenv("TOKEN", TOKEN)
    monkeypatch.setenv("SOMEARKIV_DATABASE_URL", sqlite_db.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SOMEARKIV_REPLAY_BASE_URL", server.url)
    monkeypatch.setenv("SOMEARKIV_SOURCES_MAX_ATTEMPTS", "1")
    result = scan_candidates(days=365)
    by_account = {r["account"]: r for r in result}
    assert by_account["fjordvik-facebook"]["suggested"] == 1
    assert by_account["fjordvik-x"]["ok"] is False and by_account["fjordvik-instagram"]["ok"] is True
    artifact = Artifact.get("candidates-summary")
    assert artifact is not None and "fjordvik-x" in str(artifact.data)
    with sqlite_db.transaction() as session:
        assert session.query(Candidate).count() == 1


@pytest.mark.parametrize("days", [0, -1, 401])
def test_days_out_of_bounds_is_a_config_error(days: int) -> None:
    from schemas.errors import ConfigError

    with pytest.raises(ConfigError, match="days må være mellom 1 og 400"):
        scan_candidates.fn(days=days)
