"""The workflow database on SQLite and PostgreSQL: migrations, the append-only audit chain, numbers given once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from schemas.errors import ConfigError
from workflow import audit
from workflow.audit import verify_audit
from workflow.db import Database, current_revision, head_revision, make_engine, upgrade
from workflow.numbers import assign_journal_number, journal_number, new_case


def test_upgrade_is_idempotent_and_an_old_schema_is_refused(workflow_url: str) -> None:
    engine = make_engine(workflow_url)
    try:
        with pytest.raises(ConfigError, match="somearkiv db upgrade"):
            Database(engine)
        assert upgrade(engine) == head_revision()
        assert upgrade(engine) == head_revision()  # a second run changes nothing
        assert current_revision(engine) == head_revision()
        Database(engine)  # now accepted
    finally:
        engine.dispose()


def test_bad_database_urls_are_config_errors(tmp_path) -> None:
    with pytest.raises(ConfigError, match="bare sqlite og postgresql"):
        make_engine("mysql://root@127.0.0.1/x")
    with pytest.raises(ConfigError, match="ugyldig database-URL"):
        make_engine("not a url")
    with pytest.raises(ConfigError, match="kan ikke åpne databasen"):
        upgrade("postgresql+psycopg://nobody:secret@127.0.0.1:1/none")


def test_audit_chain_appends_and_verifies(workflow_db: Database) -> None:
    with workflow_db.transaction() as session:
        first = audit.append(session, actor="ingrid", action="test.one", entity="flag:1", data={"a": "æøå\ud800"})
        second = audit.append(session, actor="arne", action="test.two", entity="flag:1", data={"b": [1, 2]})
    assert second.prev_hash == first.hash and second.seq == first.seq + 1
    with workflow_db.transaction() as session:
        assert verify_audit(session) == []
        listed = audit.events(session, entity="flag:1")
    assert [e.action for e in listed] == ["test.one", "test.two"]
    assert listed[0].data == {"a": "æøå\ud800"}


def test_a_rolled_back_change_leaves_no_audit_event(workflow_db: Database) -> None:
    with workflow_db.transaction() as session:
        before = len(audit.events(session))
    with pytest.raises(RuntimeError), workflow_db.transaction() as session:
        audit.append(session, actor="ingrid", action="test.lost", entity="x:1", data={})
        raise RuntimeError("the change failed")
    with workflow_db.transaction() as session:
        assert len(audit.events(session)) == before
        assert verify_audit(session) == []


def test_database_refuses_update_and_delete_of_audit_events(workflow_db: Database) -> None:
    with workflow_db.transaction() as session:
        audit.append(session, actor="ingrid", action="test.one", entity="x:1", data={})
    for statement in ("UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), workflow_db.engine.begin() as conn:
            conn.execute(text(statement))
    if workflow_db.dialect == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), workflow_db.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_events"))
    with workflow_db.transaction() as session:
        assert verify_audit(session) == []


def _drop_guards(db: Database) -> None:
    """What someone with the database owner's rights could do: remove the triggers."""
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))


def test_verify_finds_edited_removed_and_truncated_events(workflow_db: Database) -> None:
    with workflow_db.transaction() as session:
        for n in range(5):
            audit.append(session, actor="ingrid", action="test.n", entity=f"x:{n}", data={"n": n})
    _drop_guards(workflow_db)
    with workflow_db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET data = :d WHERE entity = 'x:1'"), {"d": '{"n":99}'})
        conn.execute(text("DELETE FROM audit_events WHERE entity = 'x:3'"))
    with workflow_db.transaction() as session:
        rules = Counter(f.rule for f in verify_audit(session))
    assert rules["audit-hash"] == 1 and rules["audit-hull"] == 1 and rules["audit-kjede"] == 1
    with workflow_db.engine.begin() as conn:  # cut the tail: the head row still remembers it
        conn.execute(text("DELETE FROM audit_events WHERE entity = 'x:4'"))
    with workflow_db.transaction() as session:
        assert "audit-hode" in {f.rule for f in verify_audit(session)}


def test_journal_number_is_assigned_once_and_kept(workflow_db: Database) -> None:
    first = assign_journal_number(workflow_db, "facebook-1", by="ingrid", year=2026)
    again = assign_journal_number(workflow_db, "facebook-1", by="ingrid", year=2027)
    other = assign_journal_number(workflow_db, "facebook-2", by="ingrid", year=2026)
    assert (first.journalaar, first.sekvensnummer, first.new) == (2026, 1, True)
    assert (again.journalaar, again.sekvensnummer, again.new) == (2026, 1, False)
    assert str(other) == "2026/2"
    assert journal_number(workflow_db, "facebook-1") == again
    assert journal_number(workflow_db, "facebook-9") is None
    assert str(assign_journal_number(workflow_db, "facebook-3", by="ingrid", year=2027)) == "2027/1"


def test_new_case_numbers_follow_known_cases(workflow_db: Database) -> None:
    from workflow.models import Case

    with workflow_db.transaction() as session:
        session.add(Case(saksaar=2026, sakssekvensnummer=41, title="kjent sak", created_by="ingrid"))
    with workflow_db.transaction() as session:
        a = new_case(session, title="Ny sak A", by="ingrid", year=2026)
        b = new_case(session, title="Ny sak B", by="ingrid", year=2026)
        c = new_case(session, title="Ny sak C", by="ingrid", year=2025)
    assert (a.number, b.number, c.number) == ("2026/42", "2026/43", "2025/1")


def test_parallel_writers_never_share_a_journal_number(workflow_db: Database) -> None:
    """6 threads, each with its own connection, assign 12 numbers each; 4 of the keys are shared by all."""
    writers, each = 6, 12
    shared = [f"shared-{n}" for n in range(4)]
    results: list[tuple[str, int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(writers)

    def work(w: int) -> None:
        try:
            start.wait()
            for n in range(each):
                key = shared[n % 4] if n % 5 == 0 else f"w{w}-{n}"
                number = assign_journal_number(workflow_db, key, by="ingrid", year=2026)
                with lock:
                    results.append((key, number.sekvensnummer))
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    by_key: dict[str, set[int]] = {}
    for key, number in results:
        by_key.setdefault(key, set()).add(number)
    assert all(len(numbers) == 1 for numbers in by_key.values()), "a thread got two numbers"
    numbers = sorted(next(iter(v)) for v in by_key.values())
    assert numbers == list(range(1, len(by_key) + 1)), "numbers are unique and without gaps"
    with workflow_db.transaction() as session:
        assert verify_audit(session) == []
        assert sum(1 for e in audit.events(session, limit=10000) if e.action == "journal.assign") == len(by_key)


def _assign_in_process(url: str, worker: int, count: int) -> list[tuple[str, int]]:
    """One export process: its own engine and connections (runs in a spawned interpreter)."""
    with Database(url) as db:
        out = []
        for n in range(count):
            key = "shared" if n == 0 else f"p{worker}-{n}"
            out.append((key, assign_journal_number(db, key, by="export", year=2026).sekvensnummer))
        return out


@pytest.mark.parametrize("seeded_url", ["postgresql"], indirect=True)
def test_parallel_processes_never_share_a_journal_number(seeded_url: str) -> None:
    """Two export processes (on PostgreSQL: as workers on several machines would) assign numbers at once."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        results = [r for chunk in pool.map(_assign_in_process, [seeded_url] * 2, range(2), [12] * 2) for r in chunk]
    shared = {number for key, number in results if key == "shared"}
    others = [number for key, number in results if key != "shared"]
    assert len(shared) == 1
    assert sorted([*shared, *others]) == list(range(1, 2 * 11 + 2))


def test_migrating_step_by_step_keeps_the_data(workflow_url: str) -> None:
    from alembic import command

    from workflow.db import _alembic_config

    engine = make_engine(workflow_url)
    try:
        command.upgrade(_alembic_config(engine), "0001")
        assert current_revision(engine) == "0001"
        with Database(engine, check_revision=False).transaction() as session:
            audit.append(session, actor="ingrid", action="test.before", entity="x:1", data={"kept": True})
        upgrade(engine)
        db = Database(engine)
        with db.transaction() as session:
            assert [e.action for e in audit.events(session)] == ["test.before"]
            assert verify_audit(session) == []
        command.downgrade(_alembic_config(engine), "0001")
        assert current_revision(engine) == "0001"
    finally:
        engine.dispose()
