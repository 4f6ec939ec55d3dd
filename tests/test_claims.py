"""Export claims on SQLite and PostgreSQL: one winner per package, expiry and take-over, and the export steps
(``stage_thread``/``upload_package``) that wait for another run's package instead of writing it again."""

from __future__ import annotations

import pickle
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from exporters.package import BuiltPackage
from pipeline.export import ExportConfig, ExportResult, planned_package_id, stage_thread, upload_package
from pipeline.settings import Settings
from schemas.errors import ConfigError, WorkflowError
from schemas.package import thread_key
from storage.factory import open_sink
from storage.local import LocalSink
from tests.factories import make_thread
from workflow.claims import ClaimRegistry, run_holder
from workflow.db import make_engine
from workflow.models import ExportClaim

BUCKET = "s3://arkiv/pakker"
EXPORTED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _registry(url: str, name: str, **options: object) -> ClaimRegistry:
    return ClaimRegistry(url, holder=f"test/{name}", **options)  # type: ignore[arg-type]


def _expire(url: str, bucket: str, package_id: str) -> None:
    """The holder's lease runs out (its heartbeat stopped) — set in the database, not waited for on a busy machine."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(update(ExportClaim).where(ExportClaim.bucket == bucket, ExportClaim.package_id == package_id)
                         .values(expires_at=datetime.now(UTC) - timedelta(hours=1)))
    finally:
        engine.dispose()


def test_the_first_claim_wins_and_the_others_see_who_holds_it(seeded_url: str) -> None:
    a, b = _registry(seeded_url, "a"), _registry(seeded_url, "b")
    try:
        assert a.acquire(BUCKET, "pkg-1", "facebook-1").won
        again = a.acquire(BUCKET, "pkg-1", "facebook-1")  # re-entrant for the holder
        assert again.won and again.taken_over_from is None
        held = b.acquire(BUCKET, "pkg-1", "facebook-1")
        assert (held.state, held.holder) == ("held", "test/a") and held.expires_at is not None
        assert b.acquire("s3://annen/bøtte", "pkg-1", "facebook-1").won  # another bucket: another claim
        assert not b.finish(BUCKET, "pkg-1") and not b.release(BUCKET, "pkg-1") and not b.owns(BUCKET, "pkg-1")
        assert a.owns(BUCKET, "pkg-1") and a.finish(BUCKET, "pkg-1")
        assert b.acquire(BUCKET, "pkg-1", "facebook-1").state == "done"
        assert not a.owns(BUCKET, "pkg-1")  # done: nothing left to hold
        retaken = b.acquire(BUCKET, "pkg-1", "facebook-1", retake_done=True)  # the package went missing
        assert retaken.won and retaken.taken_over_from == "test/a"
        assert b.release(BUCKET, "pkg-1")
        assert a.holder_of(BUCKET, "pkg-1") is None
        assert a.acquire(BUCKET, "pkg-1", "facebook-1").won  # released: free at once
    finally:
        a.close()
        b.close()


def test_an_expired_claim_is_taken_over_once_and_the_old_holder_cannot_finish(seeded_url: str) -> None:
    dead = _registry(seeded_url, "dead")
    takers = [_registry(seeded_url, f"taker{i}") for i in range(4)]
    try:
        assert dead.acquire(BUCKET, "pkg-2", "facebook-2").won
        assert takers[0].acquire(BUCKET, "pkg-2", "facebook-2").state == "held"
        _expire(seeded_url, BUCKET, "pkg-2")  # the dead holder's heartbeat stopped: the lease ran out
        outcomes = _race(lambda reg: reg.acquire(BUCKET, "pkg-2", "facebook-2").state, takers)
        assert Counter(outcomes.values()) == Counter({"won": 1, "held": 3})
        winner = next(r for r, state in outcomes.items() if state == "won")
        assert winner.holder_of(BUCKET, "pkg-2").taken_over_from == "test/dead"  # type: ignore[union-attr]
        assert not dead.owns(BUCKET, "pkg-2") and not dead.finish(BUCKET, "pkg-2")
        assert not dead.release(BUCKET, "pkg-2")
        assert winner.finish(BUCKET, "pkg-2")
    finally:
        for registry in [dead, *takers]:
            registry.close()


def _race(action, registries: list[ClaimRegistry]) -> dict[ClaimRegistry, object]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(registries))
    results: dict[ClaimRegistry, object] = {}
    errors: list[BaseException] = []

    def run(registry: ClaimRegistry) -> None:
        try:
            barrier.wait(timeout=30)
            results[registry] = action(registry)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(r,)) for r in registries]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not errors, errors
    return results


def test_racing_runs_each_package_is_won_exactly_once(seeded_url: str) -> None:
    registries = [_registry(seeded_url, f"run{i}") for i in range(6)]
    packages = [f"pkg-race-{n}" for n in range(15)]
    try:
        outcomes = _race(
            lambda reg: [p for p in packages if reg.acquire(BUCKET, p, "facebook-race").won], registries
        )
        won = Counter(p for got in outcomes.values() for p in got)  # type: ignore[attr-defined]
        assert won == Counter(packages)
        with registries[0].db.transaction() as session:
            holders = dict(session.execute(select(ExportClaim.package_id, ExportClaim.holder)
                                           .where(ExportClaim.package_id.in_(packages))).all())
        for registry, got in outcomes.items():
            assert all(holders[p] == registry.holder for p in got)  # type: ignore[attr-defined]
    finally:
        for registry in registries:
            registry.close()


def test_the_heartbeat_keeps_claims_alive_and_releases_them_at_the_end(seeded_url: str) -> None:
    lease = timedelta(milliseconds=600)
    holder, other = _registry(seeded_url, "beating", lease=lease), _registry(seeded_url, "other")
    try:
        with holder.kept_alive(interval=timedelta(milliseconds=100)):
            assert holder.acquire(BUCKET, "pkg-3", "facebook-3").won
            assert holder.acquire(BUCKET, "pkg-4", "facebook-4").won
            assert holder.finish(BUCKET, "pkg-4")
            time.sleep(1.5)  # well past the lease: renewed meanwhile
            assert other.acquire(BUCKET, "pkg-3", "facebook-3").state == "held"
        assert other.holder_of(BUCKET, "pkg-3") is None  # released when the run ended
        assert other.holder_of(BUCKET, "pkg-4").state == "done"  # type: ignore[union-attr]
        assert other.acquire(BUCKET, "pkg-3", "facebook-3").won
    finally:
        holder.close()
        other.close()


def test_hostile_keys_are_refused_and_a_registry_pickles(seeded_url: str) -> None:
    a = _registry(seeded_url, "a\x00\n")
    try:
        assert a.holder == "test/a??"
        hostile = [("s3://b/\x00", "p", "k"), ("s3://b", "p\ud800", "k"), ("s3://b", "p", "k\x1b[2J"),
                   ("s3://b", "p" * 301, "k"), ("s3://b", "", "k"), ("s" * 1001, "p", "k")]
        for bucket, package_id, key in hostile:
            with pytest.raises(WorkflowError, match="ugyldig"):
                a.acquire(bucket, package_id, key)
        rtl = "s3://بوتة/\u202eأرشيف"  # right-to-left and a bidi override: a key like any other, kept exactly
        assert a.acquire(rtl, "facebook-1-0123456789abcdef", "facebook-1").won
        assert a.holder_of(rtl, "facebook-1-0123456789abcdef").holder == "test/a??"  # type: ignore[union-attr]
        copy = pickle.loads(pickle.dumps(a))  # what a build process receives: no engine, the same holder
        try:
            assert copy.holder == a.holder and copy.owns(rtl, "facebook-1-0123456789abcdef")
        finally:
            copy.close()
    finally:
        a.close()
    with pytest.raises(ConfigError):
        ClaimRegistry(seeded_url, lease=timedelta(0))
    assert run_holder("flow-1").split("/")[2] == "flow-1" and run_holder() != run_holder()


# -- the export steps with claims ---------------------------------------------------------------------


def _config(tmp_path: Path, name: str) -> ExportConfig:
    settings = Settings(_env_file=None, work_dir=tmp_path / name)
    return ExportConfig(work_dir=settings.work_dir, noark=settings.noark(), pdfa_part=settings.pdfa_part)


def test_a_second_run_waits_for_the_first_runs_package_and_writes_nothing(seeded_url: str, tmp_path: Path) -> None:
    sink = open_sink(str(tmp_path / "bucket"))
    assert isinstance(sink, LocalSink)
    thread = make_thread()
    first, second = _registry(seeded_url, "first"), _registry(seeded_url, "second")
    try:
        built = stage_thread(thread, None, sink=sink, media_dir=None, config=_config(tmp_path, "w1"),
                             exported_at=EXPORTED, claims=first)
        assert isinstance(built, BuiltPackage)
        seen: list[BuiltPackage | ExportResult] = []
        waiter = threading.Thread(target=lambda: seen.append(stage_thread(
            thread, None, sink=sink, media_dir=None, config=_config(tmp_path, "w2"), exported_at=EXPORTED,
            claims=second)))
        waiter.start()
        time.sleep(1.0)
        assert not seen  # still waiting for the first run
        upload_package(built, sink, first)
        waiter.join(timeout=30)
        assert len(seen) == 1 and isinstance(seen[0], ExportResult)
        assert (seen[0].status, seen[0].package_id) == ("unchanged", built.package_id)
        assert not (tmp_path / "w2").exists() or not any((tmp_path / "w2").rglob("manifest.json"))
        assert second.holder_of(sink.url, built.package_id).state == "done"  # type: ignore[union-attr]
        assert sink.list_packages() == [built.package_id]
    finally:
        first.close()
        second.close()


def test_a_run_that_waits_too_long_fails_the_thread_naming_the_holder(seeded_url: str, tmp_path: Path) -> None:
    sink = open_sink(str(tmp_path / "bucket"))
    thread = make_thread()
    package_id = planned_package_id(thread)
    holder = _registry(seeded_url, "slow")
    impatient = _registry(seeded_url, "impatient", max_wait=timedelta(milliseconds=300))
    try:
        assert holder.acquire(sink.url, package_id, thread_key(thread.platform, thread.thread_id)).won
        with pytest.raises(WorkflowError, match="test/slow"):
            stage_thread(thread, None, sink=sink, media_dir=None, config=_config(tmp_path, "w"),
                         exported_at=EXPORTED, claims=impatient)
        assert holder.owns(sink.url, package_id)  # the holder keeps its claim
        assert sink.list_packages() == []
    finally:
        holder.close()
        impatient.close()


def test_a_failed_build_releases_and_a_lost_claim_uploads_nothing(seeded_url: str, tmp_path: Path) -> None:
    sink = open_sink(str(tmp_path / "bucket"))
    thread = make_thread()
    package_id = planned_package_id(thread)
    a = _registry(seeded_url, "a")
    b = _registry(seeded_url, "b")
    try:
        broken = _config(tmp_path, "w")
        (tmp_path / "w").write_text("not a folder")  # the build cannot stage anything
        with pytest.raises(Exception):  # noqa: B017  (whatever the build raises, the claim must go)
            stage_thread(thread, None, sink=sink, media_dir=None, config=broken, exported_at=EXPORTED, claims=a)
        assert a.holder_of(sink.url, package_id) is None

        built = stage_thread(thread, None, sink=sink, media_dir=None, config=_config(tmp_path, "w1"),
                             exported_at=EXPORTED, claims=a)
        assert isinstance(built, BuiltPackage)
        _expire(seeded_url, sink.url, package_id)  # a's lease runs out (no heartbeat) and b takes the package over
        assert b.acquire(sink.url, package_id, "k").won
        with pytest.raises(WorkflowError, match="overtatt"):
            upload_package(built, sink, a)
        assert sink.list_packages() == []
    finally:
        a.close()
        b.close()


def test_two_runs_indexing_the_same_new_packages_both_succeed(seeded_url: str) -> None:
    """``add_packages`` from two runs at once (two workers): no duplicate-key error, each package indexed once."""
    from workflow.db import Database
    from workflow.packages import PackageRow, add_packages, known_package_ids

    rows = [PackageRow(package_id=f"facebook-{n}-{n:016x}", thread_key=f"facebook-{n}", platform="facebook",
                       account="fjordvik", owning_unit="Kommunikasjon", title=f"Tråd {n}", case_number=None,
                       flag_kind="archive-worthy", comments=n, sensitive=False, exported_at=EXPORTED)
            for n in range(200)]
    databases = [Database(seeded_url) for _ in range(3)]
    try:
        barrier = threading.Barrier(len(databases))
        added: list[int] = []
        errors: list[BaseException] = []

        def index(db: Database) -> None:
            try:
                barrier.wait(timeout=30)
                added.append(add_packages(db, rows))
            except BaseException as exc:
                errors.append(exc)

        workers = [threading.Thread(target=index, args=(db,)) for db in databases]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert not errors, errors
        assert sum(added) == len(rows)
        assert known_package_ids(databases[0]) >= {row.package_id for row in rows}
    finally:
        for db in databases:
            db.dispose()


def test_a_run_whose_database_went_away_ends_its_block_quietly(tmp_path: Path) -> None:
    """Releasing at the end is best effort: a database gone by then must not fail a finished export run."""
    from workflow.db import upgrade

    url = f"sqlite:///{tmp_path / 'gone.sqlite3'}"
    upgrade(url)
    registry = ClaimRegistry(url, holder="test/gone", lease=timedelta(seconds=30))
    with registry.kept_alive():
        assert registry.acquire(BUCKET, "pkg-5", "facebook-5").won
        registry.close()
        (tmp_path / "gone.sqlite3").unlink()
        (tmp_path / "gone.sqlite3").mkdir()  # not a database any more
    assert registry._db is None


def test_a_crashed_workers_thread_is_taken_over_once_its_claim_expires(seeded_url: str, tmp_path: Path) -> None:
    sink = open_sink(str(tmp_path / "bucket"))
    thread = make_thread()
    package_id = planned_package_id(thread)
    crashed = _registry(seeded_url, "crashed", lease=timedelta(milliseconds=800))  # no heartbeat: it died
    survivor = _registry(seeded_url, "survivor")
    try:
        assert crashed.acquire(sink.url, package_id, thread_key(thread.platform, thread.thread_id)).won
        began = time.monotonic()
        built = stage_thread(thread, None, sink=sink, media_dir=None, config=_config(tmp_path, "w"),
                             exported_at=EXPORTED, claims=survivor)
        assert isinstance(built, BuiltPackage) and time.monotonic() - began >= 0.5  # waited for the lease
        assert survivor.holder_of(sink.url, package_id).taken_over_from == "test/crashed"  # type: ignore[union-attr]
        upload_package(built, sink, survivor)
        assert sink.list_packages() == [package_id]
        assert survivor.holder_of(sink.url, package_id).state == "done"  # type: ignore[union-attr]
    finally:
        crashed.close()
        survivor.close()
