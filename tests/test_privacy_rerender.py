"""A screening decision makes a new package version (pipeline.rerender): the redacted variant re-rendered from the
stored package shows the cleared hit and still hides the confirmed and undecided ones; both variants pass the
PDF/A checks, the version validates against the XSDs, the audit log names the new version without the matched
text; deciding the same again builds nothing; an approved (locked) package stays untouched; the nightly export
finds the decided version as current; hostile input is refused before anything is written."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exporters.pdf import check_pdfa
from noark.validate import validate_path
from noark.xsd import validate_xml
from pipeline.audit import verify_archive
from pipeline.export import ExportConfig, ExportResult, stage_thread, upload_package
from pipeline.package_index import sync_index
from pipeline.rerender import (
    REVIEW_FILE,
    SCREENING_DIR,
    DecisionOutcome,
    RerenderConfig,
    apply_decision,
    read_record,
    version_id,
)
from pipeline.review import approve_package
from pipeline.settings import Settings
from privacy.screen import thread_texts
from schemas.errors import InputError, IntegrityError, SomearkivError
from schemas.package import MANIFEST_NAME, Manifest, sha256_file
from schemas.screening import SCREENING_FILE, ScreeningResult
from schemas.thread import Flag, Item, Thread
from storage.config import RetentionPolicy
from storage.local import LocalSink
from tests.factories import INNBYGGER, T0, make_thread
from tests.test_privacy_redact import image_count, leaks, pdf_texts
from workflow import audit
from workflow.db import Database, upgrade
from workflow.packages import get_package

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
DEMO = "facebook-hoering-reguleringsplan-sentrum"
EXPORTED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PHONE, EMAIL, HEALTH = "41234567", "kari.nordmann@gmail.com", "demens"
SECRETS = (PHONE, EMAIL, HEALTH)


def demo_thread() -> tuple[Thread, Flag]:
    """The demo thread (restricted items, images) with one more comment: a phone number, an e-mail, a diagnosis."""
    thread = Thread.model_validate_json((SAMPLES / "threads" / f"{DEMO}.json").read_bytes())
    flags = [Flag.model_validate(f) for f in json.loads((SAMPLES / "flags.json").read_text(encoding="utf-8"))]
    extra = Item(id="c-kontakt", author=INNBYGGER, created_at=T0,
                 text=f"Ring meg på {PHONE} eller skriv til {EMAIL}. Mora mi har {HEALTH} og bur i sentrum.")
    return thread.model_copy(update={"comments": [*thread.comments, extra]}), next(
        f for f in flags if f.thread_url == thread.url)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rerender")
    thread, flag = demo_thread()
    settings = Settings(_env_file=None, work_dir=root / "work")
    config = ExportConfig(work_dir=root / "work", noark=settings.noark(), pdfa_part="2")
    sink = LocalSink(root / "bucket")
    built = stage_thread(thread, flag, sink=sink, media_dir=SAMPLES / "media", config=config, exported_at=EXPORTED)
    assert not isinstance(built, ExportResult)
    upload_package(built, sink)
    url = f"sqlite:///{root / 'workflow.sqlite3'}"
    upgrade(url)
    with Database(url) as db:
        sync_index(db, sink)
    return root


@dataclass
class World:
    bucket: Path
    sink: LocalSink
    db: Database
    base: str
    config: RerenderConfig
    thread: Thread
    flag: Flag

    def keys(self) -> dict[str, str]:
        """Hit key per secret text of the extra comment."""
        result = ScreeningResult.from_bytes((self.bucket / self.base / SCREENING_FILE).read_bytes())
        texts = {(item_id, name): text for item_id, name, text in thread_texts(self.thread)}
        return {texts[(h.item_id, h.field)][h.start:h.end]: h.key for h in result.hits if h.item_id == "c-kontakt"}

    def decide(self, package_id: str, hit: str, decision: str, comment: str | None = None) -> DecisionOutcome:
        return apply_decision(self.db, self.sink, package_id, hit=hit, decision=decision, by="arne",
                              comment=comment, config=self.config)

    def events(self) -> list[audit.AuditRecord]:
        with self.db.transaction() as session:
            return [e for e in audit.events(session) if e.action.startswith("screening.")]

    def snapshot(self) -> dict[str, str]:
        """Every object in the bucket with its SHA-256 (what "nothing was written" compares)."""
        return {str(p.relative_to(self.bucket)): sha256_file(p) for p in sorted(self.bucket.rglob("*")) if p.is_file()}


@pytest.fixture
def world(template: Path, tmp_path: Path) -> Iterator[World]:
    bucket = tmp_path / "bucket"
    shutil.copytree(template / "bucket", bucket)
    shutil.copyfile(template / "workflow.sqlite3", tmp_path / "workflow.sqlite3")
    db = Database(f"sqlite:///{tmp_path / 'workflow.sqlite3'}")
    sink = LocalSink(bucket)
    settings = Settings(_env_file=None, work_dir=tmp_path / "work")
    thread, flag = demo_thread()
    made = World(bucket, sink, db, sink.list_packages()[0], RerenderConfig(settings.noark(), tmp_path / "work"),
                 thread, flag)
    yield made
    db.dispose()


def _files(world: World, package_id: str) -> tuple[Manifest, Path, Path]:
    root = world.bucket / package_id
    manifest = Manifest.model_validate_json((root / MANIFEST_NAME).read_bytes())
    full = root / next(f.path for f in manifest.files if f.role == "hoveddokument")
    redacted = root / next(f.path for f in manifest.files if f.role == "skjermet")
    return manifest, full, redacted


def test_a_decision_makes_a_new_version_showing_the_cleared_hit_only(world: World, xsd_dir: Path,
                                                                     tmp_path: Path) -> None:
    keys = world.keys()
    assert set(keys) == set(SECRETS)
    first = world.decide(world.base, keys[PHONE], "clear", comment="Kommunens sentralbord")
    assert first.built and first.changed and first.decided_on == world.base and first.package_id != world.base
    second = world.decide(first.package_id, keys[EMAIL], "confirm")
    assert second.built and second.decided_on == first.package_id
    manifest, full, redacted = _files(world, second.package_id)
    assert manifest.previous_package_id == first.package_id
    assert world.sink.latest_package_for(manifest.thread_key).package_id == second.package_id  # type: ignore[union-attr]

    texts = pdf_texts(redacted)
    assert PHONE in texts["pdftotext"] and PHONE in texts["pypdf"]  # cleared: shown again
    assert "[skjermet: e-postadresse]" in texts["pdftotext"] and "[skjermet: helseopplysning]" in texts["pdftotext"]
    hidden = {EMAIL, HEALTH, "010120 12345", "Camilla Sæther"}  # confirmed, undecided, restricted items
    assert leaks(redacted, tmp_path, hidden) == []
    assert leaks(full, tmp_path, hidden)  # the check can fail: the full version holds them
    _, base_full, base_redacted = _files(world, world.base)
    assert full.read_bytes() == base_full.read_bytes()  # the archival version is kept byte for byte
    assert PHONE not in pdf_texts(base_redacted)["pdftotext"]
    assert image_count(redacted) == image_count(base_redacted) > 0  # the media came from the stored package
    assert check_pdfa(full) == [] and check_pdfa(redacted) == []
    root = world.bucket / second.package_id
    assert validate_xml(root / "arkivstruktur.xml", "arkivstruktur", xsd_dir) == []
    report = validate_path(root, xsd_dir)
    assert report.ok, report.to_text()
    for entry in manifest.files:
        assert sha256_file(root / entry.path) == entry.sha256

    review = json.loads((root / REVIEW_FILE).read_text(encoding="utf-8"))
    assert review["follows_package_id"] == first.package_id
    assert {(d["hit_key"], d["decision"]) for d in review["decisions"]} == {(keys[PHONE], "clear"),
                                                                          (keys[EMAIL], "confirm")}
    record = json.loads((world.bucket / SCREENING_DIR / f"{second.package_id}.json").read_text())
    assert record["package_id"] == second.package_id and len(record["decisions"]) == 2  # carried over
    events = world.events()
    assert [(e.action, e.actor, e.entity, e.data["new_package_id"]) for e in events] == [
        ("screening.clear", "arne", f"package:{world.base}", first.package_id),
        ("screening.confirm", "arne", f"package:{first.package_id}", second.package_id),
    ]
    dumped = json.dumps([e.data for e in events], ensure_ascii=False) + (root / REVIEW_FILE).read_text()
    assert not any(secret in dumped for secret in SECRETS)
    row = get_package(world.db, second.package_id)  # indexed: the archivist lands on it
    assert row is not None and row.previous_package_id == first.package_id and row.status == "pending"


def test_the_same_decision_again_builds_nothing_and_ids_follow_the_decisions(world: World) -> None:
    keys = world.keys()
    first = world.decide(world.base, keys[PHONE], "clear")
    before, audited = world.snapshot(), len(world.events())
    for page in (world.base, first.package_id):  # a stale page decides on the current version
        again = world.decide(page, keys[PHONE], "clear")
        assert (again.built, again.changed, again.package_id) == (False, False, first.package_id)
        assert "allerede avkreftet" in again.message
    assert world.snapshot() == before and len(world.events()) == audited
    base = Manifest.model_validate_json((world.bucket / world.base / MANIFEST_NAME).read_bytes())
    result = ScreeningResult.from_bytes((world.bucket / world.base / SCREENING_FILE).read_bytes())
    record = read_record(world.sink, first.package_id, result)
    assert version_id(base, base.file(SCREENING_FILE).sha256, record) == first.package_id  # deterministic
    back = world.decide(first.package_id, keys[PHONE], "confirm")  # changing one's mind is a new version
    assert back.built and back.package_id not in (world.base, first.package_id)
    assert PHONE not in pdf_texts(_files(world, back.package_id)[2])["pdftotext"]


def test_a_decision_on_an_approved_package_leaves_the_locked_version_untouched(world: World) -> None:
    approve_package(world.sink, world.base, approved=True, by="arne", comment="ok",
                    retention=RetentionPolicy("COMPLIANCE", 1), by_verified=True)
    locked = {p: sha256_file(p) for p in (world.bucket / world.base).rglob("*") if p.is_file()}
    outcome = world.decide(world.base, world.keys()[PHONE], "clear")
    assert outcome.built and outcome.package_id != world.base
    assert {p: sha256_file(p) for p in (world.bucket / world.base).rglob("*") if p.is_file()} == locked
    report = verify_archive(world.sink)
    assert report.ok and report.packages == 2, report.to_text()


def test_the_nightly_export_finds_the_decided_version_as_current(world: World, tmp_path: Path) -> None:
    outcome = world.decide(world.base, world.keys()[PHONE], "clear")
    config = ExportConfig(work_dir=tmp_path / "nightly", noark=world.config.noark, pdfa_part="2")
    again = stage_thread(world.thread, world.flag, sink=world.sink, media_dir=SAMPLES / "media", config=config,
                         exported_at=datetime.now(UTC))
    assert isinstance(again, ExportResult) and again.status == "unchanged"
    assert again.package_id == outcome.package_id  # not the base: the decisions stay in force


def _tamper_record(world: World, data: dict[str, object]) -> None:
    (world.bucket / SCREENING_DIR).mkdir(exist_ok=True)
    (world.bucket / SCREENING_DIR / f"{world.base}.json").write_text(json.dumps(data))


@pytest.mark.parametrize(("case", "error", "text"), [
    ("unknown number", InputError, "finnes ikke"),
    ("unknown key", InputError, "ukjent"),
    ("bad decision", InputError, "ukjent beslutning"),
    ("control characters in the comment", InputError, "kommentar"),
    ("record for another package", IntegrityError, "annen pakke"),
    ("record deciding unknown hits", IntegrityError, "endret"),
    ("record that is not JSON", IntegrityError, "kan ikke leses"),
    ("capture missing", SomearkivError, "capture/thread.json"),
    ("capture altered", IntegrityError, "capture/thread.json"),
])
def test_hostile_decisions_are_refused_and_write_nothing(world: World, case: str, error: type[Exception],
                                                         text: str) -> None:
    hit, decision, comment = "1", "clear", None
    result = ScreeningResult.from_bytes((world.bucket / world.base / SCREENING_FILE).read_bytes())
    record = {"package_id": world.base, "rules_version": result.rules_version, "decisions": []}
    decided = {"hit_key": result.hits[0].key, "decision": "clear", "decided_by": "x",
               "decided_at": "2026-01-01T00:00:00Z"}
    capture = world.bucket / world.base / "capture" / "thread.json"
    if case == "unknown number":
        hit = "999"
    elif case == "unknown key":
        hit = "c-kontakt/text/0:4/helse"
    elif case == "bad decision":
        decision = "slett"
    elif case == "control characters in the comment":
        comment = "skjult\u202etekst"
    elif case == "record for another package":
        _tamper_record(world, {**record, "package_id": "facebook-annen-0000000000000000", "decisions": [decided]})
    elif case == "record deciding unknown hits":
        _tamper_record(world, {**record, "decisions": [{**decided, "hit_key": "c9/text/0:4/helse"}]})
    elif case == "record that is not JSON":
        _tamper_record(world, {"ikke": "en post"})
        (world.bucket / SCREENING_DIR / f"{world.base}.json").write_bytes(b"{\xff")
    elif case == "capture missing":
        capture.chmod(0o600)
        capture.unlink()
    else:
        capture.chmod(0o600)
        capture.write_bytes(capture.read_bytes().replace(b"Fjordvik", b"Fjordvig", 1))
    before = world.snapshot()
    with pytest.raises(error) as raised:
        world.decide(world.base, hit, decision, comment=comment)
    message = str(raised.value)
    assert text in message and not any(secret in message for secret in SECRETS)
    assert world.snapshot() == before and world.events() == []
    assert world.sink.list_packages() == [world.base]


def test_a_decision_on_an_older_capture_is_refused(world: World, tmp_path: Path) -> None:
    newer = world.thread.model_copy(update={"comments": world.thread.comments[:-1]})
    config = ExportConfig(work_dir=tmp_path / "nightly", noark=world.config.noark, pdfa_part="2")
    built = stage_thread(newer, world.flag, sink=world.sink, media_dir=SAMPLES / "media", config=config,
                         exported_at=datetime.now(UTC))
    assert not isinstance(built, ExportResult)
    upload_package(built, world.sink)
    before = world.snapshot()
    with pytest.raises(InputError, match="nyere innsamling"):
        world.decide(world.base, world.keys()[PHONE], "clear")
    assert world.snapshot() == before


def test_all_hits_cleared_means_no_skjerming_and_no_redacted_variant(tmp_path: Path, xsd_dir: Path) -> None:
    comment = Item(id="c1", author=INNBYGGER, created_at=T0, text=f"Sentralbordet har nummer {PHONE}.")
    thread = make_thread(comments=[comment])
    settings = Settings(_env_file=None, work_dir=tmp_path / "work")
    sink = LocalSink(tmp_path / "bucket")
    built = stage_thread(thread, None, sink=sink, media_dir=None,
                         config=ExportConfig(work_dir=tmp_path / "work", noark=settings.noark()), exported_at=EXPORTED)
    assert not isinstance(built, ExportResult) and built.screening is not None and len(built.screening.hits) == 1
    upload_package(built, sink)
    url = f"sqlite:///{tmp_path / 'workflow.sqlite3'}"
    upgrade(url)
    with Database(url) as db:
        outcome = apply_decision(db, sink, built.package_id, hit="1", decision="clear", by="arne", comment=None,
                                 config=RerenderConfig(settings.noark(), tmp_path / "work"))
    root = tmp_path / "bucket" / outcome.package_id
    manifest = Manifest.model_validate_json((root / MANIFEST_NAME).read_bytes())
    assert [f.role for f in manifest.files].count("skjermet") == 0
    assert b"<skjerming>" not in (root / "arkivstruktur.xml").read_bytes()
    assert b"<skjerming>" in (tmp_path / "bucket" / built.package_id / "arkivstruktur.xml").read_bytes()
    report = validate_path(root, xsd_dir)
    assert report.ok, report.to_text()


def test_a_new_version_keeps_the_accounts_arkivdel(world: World) -> None:
    """The account's registry target (arkivdel) reaches the decided version as it reaches an exported one."""
    target = {(world.thread.platform.value, world.thread.account.id): ("Sosiale medier – Fjordvik", None)}
    world.config = replace(world.config, noark_targets=target)
    made = world.decide(world.base, world.keys()[PHONE], "clear")
    arkivstruktur = (world.bucket / made.package_id / "arkivstruktur.xml").read_text(encoding="utf-8")
    assert "Sosiale medier – Fjordvik" in arkivstruktur
    assert "Sosiale medier – Fjordvik" not in (world.bucket / world.base / "arkivstruktur.xml").read_text("utf-8")
