"""End to end over a real RabbitMQ and local stand-ins for Fiks IO and the archive (pipeline/delivery.py).

One private RabbitMQ node per module (Debian's rabbitmq-server on free ports), the Fiks IO send endpoint
on 127.0.0.1 and a stand-in archive that decrypts, validates against KS's XSD and answers.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pika
import pytest
from pydantic import SecretStr

from delivery import messages
from delivery.asice import build_asice
from delivery.config import FiksConfig, queue_name
from delivery.crypto import encrypt
from delivery.fiksio import FiksIOError, FiksIOSender, IncomingMessage, Listener
from noark.testing import sample_context, sample_flag, sample_thread, write_package
from pipeline.delivery import (
    DeliveryContext,
    assigned_numbers,
    deliver,
    read_delivery,
    read_receipt,
)
from pipeline.review import ApprovalError
from schemas.thread import FlagKind
from storage.local import LocalSink
from tests.fiks.archive import Behaviour, kvittering_xml
from tests.fiks.environment import Environment, Identities, start

IDS = Identities()
TOKEN, ADMIN, ADMIN_PASSWORD = IDS.token, IDS.admin, IDS.admin_password
SA_ACCOUNT, ARKIV_ACCOUNT, SA_INT = IDS.sa_account, IDS.arkiv_account, IDS.sa_integration
SA_PASSWORD = IDS.sa_password
TIMEOUT = timedelta(seconds=4)
Setup = Environment


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, xsd_dir: Path) -> Iterator[Setup]:
    environment = start(tmp_path_factory.mktemp("fiks"), xsd_dir, ids=IDS, timeout=TIMEOUT)
    try:
        yield environment
    finally:
        environment.stop()


def _purge(setup: Setup) -> None:
    params = pika.URLParameters(setup.broker.url)
    params.credentials = pika.PlainCredentials(ADMIN, ADMIN_PASSWORD)
    with pika.BlockingConnection(params) as connection:
        channel = connection.channel()
        channel.queue_purge(queue_name(uuid.UUID(SA_ACCOUNT)))


@pytest.fixture
def fiks(setup: Setup) -> Iterator[Setup]:
    setup.archive.idle()
    setup.archive.behaviour = Behaviour()
    _purge(setup)
    yield setup
    setup.archive.idle()
    assert not [e for e in setup.archive.errors if "ignorerte" not in e], setup.archive.errors
    setup.archive.errors.clear()


def _bucket(tmp_path: Path, *threads: tuple[str, FlagKind, str | None]) -> tuple[LocalSink, list[str]]:
    ids = []
    for thread_id, kind, case in threads:
        thread = sample_thread(thread_id)
        manifest = write_package(
            tmp_path / "bucket",
            thread,
            sample_flag(thread, kind=kind, case_number=case),
            exported_at=datetime(2026, 3, 5, tzinfo=UTC),
            ctx=sample_context(),
            with_screenshot=True,
        )
        ids.append(manifest.package_id)
    return LocalSink(tmp_path / "bucket"), ids


def _context(
    setup: Setup, sink: LocalSink, config: FiksConfig | None = None, sender: FiksIOSender | None = None
) -> DeliveryContext:
    config = config or setup.config
    return DeliveryContext(
        sink=sink,
        config=config,
        schemas=setup.schemas,
        sender=sender or FiksIOSender(config),
        receiver=Listener(config, poll=0.1),
    )


def test_success_journal_numbers_from_the_receipt(fiks: Setup, tmp_path: Path) -> None:
    sink, (journal, new_case, archive_worthy) = _bucket(
        tmp_path,
        ("1_1", FlagKind.JOURNAL_REQUIRED, "2026/1042"),
        ("1_2", FlagKind.JOURNAL_REQUIRED, None),
        ("1_3", FlagKind.ARCHIVE_WORTHY, None),
    )
    run = deliver(_context(fiks, sink))
    by_id = {r.package_id: r for r in run.results}
    assert set(by_id) == {journal, new_case}, "archive-worthy packages are not journaled"
    assert by_id[journal].status == "kvittert" and by_id[journal].saksnummer == "2026/1042"
    assert by_id[new_case].status == "kvittert" and by_id[new_case].saksnummer.startswith("2026/5")
    numbers = assigned_numbers(sink, journal)
    assert numbers is not None and numbers.journalnummer == by_id[journal].journalnummer
    record = read_delivery(sink, journal)
    assert record and len(record.attempts) == 1 and record.attempts[0].outcome == "kvittert"
    receipt = read_receipt(sink, journal)
    assert receipt is not None and b"journalpostKvittering" in receipt
    assert assigned_numbers(sink, archive_worthy) is None
    # what went over the wire: encrypted, addressed to the archive, with the package as custom header
    sent = [m for m in fiks.fiks_io.sent if m["headere"].get("somearkiv-pakke") == journal]
    assert sent and sent[0]["meldingType"] == messages.OPPRETT and sent[0]["mottakerKontoId"] == ARKIV_ACCOUNT
    # the second run sends nothing: a package with a kvittering is never sent again
    before = len(fiks.fiks_io.sent)
    again = deliver(_context(fiks, sink))
    assert len(fiks.fiks_io.sent) == before and again.sent == 0
    assert {r.status for r in again.results} == {"kvittert"}
    assert "Journalført" in again.to_markdown()
    # fixity untouched: the side records live outside the package
    assert sorted(p.name for p in (tmp_path / "bucket").iterdir()) == sorted([*by_id, archive_worthy, "_deliveries"])


def test_feilmelding_marks_failed_and_next_run_retries(fiks: Setup, tmp_path: Path) -> None:
    sink, (package,) = _bucket(tmp_path, ("2_1", FlagKind.JOURNAL_REQUIRED, "2026/7"))
    fiks.archive.behaviour.serverfeil = 1
    run = deliver(_context(fiks, sink))
    assert run.results[0].status == "feilet" and "serverfeil" in run.results[0].message
    assert "Databasen er nede" in (read_delivery(sink, package).failure or "")
    assert "**Feilet**" in run.to_markdown()
    retry = deliver(_context(fiks, sink))
    assert retry.results[0].status == "kvittert" and retry.results[0].attempts == 2


def test_invalid_arkivmelding_gets_ugyldigforespoersel(fiks: Setup, tmp_path: Path) -> None:
    sink, (_package,) = _bucket(tmp_path, ("3_1", FlagKind.JOURNAL_REQUIRED, "2026/8"))

    class Tampering(FiksIOSender):  # the archive sees an arkivmelding that breaks its schema
        def send(self, melding_type, payload, **kwargs):  # type: ignore[no-untyped-def]
            bad = build_asice({messages.ARKIVMELDING_FILE: (b"<arkivmelding xmlns='x'/>", "application/xml")})
            return super().send(melding_type, encrypt(bad, fiks.arkiv.certificate), **kwargs)

    run = deliver(_context(fiks, sink, sender=Tampering(fiks.config)))
    assert run.results[0].status == "feilet"
    assert "ugyldigforespoersel" in run.results[0].message


def test_lost_receipt_times_out_then_retry_is_answered_eksisterende(fiks: Setup, tmp_path: Path) -> None:
    sink, (package,) = _bucket(tmp_path, ("4_1", FlagKind.JOURNAL_REQUIRED, "2026/9"))
    fiks.archive.behaviour.drop_kvittering = 1
    started = time.monotonic()
    run = deliver(_context(fiks, sink))
    assert time.monotonic() - started >= TIMEOUT.total_seconds() - 0.5
    record = read_delivery(sink, package)
    assert run.results[0].status == "feilet" and record and "ingen kvittering innen 4 s" in (record.failure or "")
    assert record.attempts[0].outcome == "feilet"
    retry = deliver(_context(fiks, sink))
    assert retry.results[0].status == "kvittert" and retry.results[0].attempts == 2
    receipt = read_receipt(sink, package)
    assert receipt and b"Eksisterende" in receipt  # the archive kept its first journalpost
    assert len(fiks.archive.journal) == len(set(fiks.archive.journal))


def test_duplicate_receipt_is_noted_not_applied_twice(fiks: Setup, tmp_path: Path) -> None:
    sink, (package,) = _bucket(tmp_path, ("5_1", FlagKind.JOURNAL_REQUIRED, "2026/10"))
    fiks.archive.behaviour.duplicate_kvittering = 1
    run = deliver(_context(fiks, sink))
    first = assigned_numbers(sink, package)
    assert run.results[0].status == "kvittert"
    deliver(_context(fiks, sink))  # takes in the duplicate if it came after the first run stopped listening
    record = read_delivery(sink, package)
    assert record and record.status == "kvittert" and assigned_numbers(sink, package) == first
    assert any("mottatt på nytt (samme numre)" in note for note in record.notes)
    assert len(record.attempts) == 1


def test_listener_restart_in_the_middle(fiks: Setup, tmp_path: Path) -> None:
    """The broker drops our connection after mottatt; the listener reconnects and gets the kvittering."""
    sink, (_package,) = _bucket(tmp_path, ("6_1", FlagKind.JOURNAL_REQUIRED, "2026/11"))
    closed = threading.Event()

    def drop_connections() -> None:
        if not closed.is_set():
            closed.set()
            done = fiks.broker.ctl("close_all_connections", "test: listener restart")
            assert done.returncode == 0, done.stderr

    fiks.archive.behaviour.before_kvittering = drop_connections
    config = replace(fiks.config, receipt_timeout=timedelta(seconds=60))
    listener = Listener(config, poll=0.1, reconnect_delay=0.2)
    ctx = DeliveryContext(
        sink=sink, config=config, schemas=fiks.schemas, sender=FiksIOSender(config), receiver=listener
    )
    stats: list[int] = []
    original = listener.run

    def run_and_count(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = original(*args, **kwargs)
        stats.append(result.reconnects)
        return result

    listener.run = run_and_count  # type: ignore[method-assign]
    run = deliver(ctx)
    assert closed.is_set()
    assert run.results[0].status == "kvittert", run
    assert sum(stats) >= 1


def test_crash_before_ack_redelivers(fiks: Setup, tmp_path: Path) -> None:
    """A handler that dies mid-message leaves it on the queue; the next listener gets it again."""
    sink, (package,) = _bucket(tmp_path, ("7_1", FlagKind.JOURNAL_REQUIRED, "2026/12"))
    fiks.archive.behaviour.drop_kvittering = 0
    ctx = _context(fiks, sink, config=replace(fiks.config, receipt_timeout=timedelta(seconds=30)))

    class CrashError(Exception):
        pass

    real = ctx.receiver
    crashed: list[IncomingMessage] = []

    class CrashOnce:
        def run(self, handle, *, done, timeout):  # type: ignore[no-untyped-def]
            def wrapped(message: IncomingMessage) -> None:
                record = read_delivery(sink, package)
                ours = record is not None and message.svar_til in {a.melding_id for a in record.attempts}
                if message.melding_type == messages.KVITTERING and ours and not crashed:
                    crashed.append(message)
                    raise CrashError
                handle(message)

            return real.run(wrapped, done=done, timeout=timeout)

    ctx.receiver = CrashOnce()
    with pytest.raises(CrashError):
        deliver(ctx)
    assert read_delivery(sink, package).status in ("sendt", "mottatt")
    ctx.receiver = real
    after = deliver(ctx)
    assert after.results[0].status == "kvittert" and after.sent == 0


# -- hostile answers -----------------------------------------------------------------------------------------


def _inject(setup: Setup, headers: dict[str, object], body: bytes) -> None:
    setup.fiks_io.publish(queue_name(uuid.UUID(SA_ACCOUNT)), headers, body)


def test_hostile_answers_never_stop_the_run(fiks: Setup, tmp_path: Path) -> None:
    sink, (package,) = _bucket(tmp_path, ("8_1", FlagKind.JOURNAL_REQUIRED, "2026/13"))
    first = deliver(_context(fiks, sink))
    assert first.results[0].status == "kvittert"
    numbers = assigned_numbers(sink, package)
    melding = read_delivery(sink, package).attempts[0].melding_id
    base = {"avsender-id": ARKIV_ACCOUNT}

    def hdr(**extra: object) -> dict[str, object]:
        return {**base, "melding-id": str(uuid.uuid4()), **extra}

    other = kvittering_xml(
        {
            "journalaar": 1999,
            "journalsekvensnummer": 1,
            "journalpostnummer": 1,
            "saksaar": 1999,
            "sakssekvensnummer": 1,
        },
        system_id=str(uuid.uuid4()),
        mappe_system_id=None,
        existing=False,
    )
    sealed_other = encrypt(build_asice({messages.KVITTERING_FILE: (other, "application/xml")}), fiks.sa.certificate)
    _inject(fiks, {"type": messages.KVITTERING}, b"no headers")  # no melding-id
    _inject(fiks, hdr(type="no.ks.fiks.arkiv.v1.innsyn.sok.resultat", **{"svar-til": melding}), b"")  # wrong type
    _inject(fiks, hdr(type=messages.KVITTERING, **{"svar-til": str(uuid.uuid4())}), sealed_other)  # unknown package
    _inject(fiks, hdr(type=messages.KVITTERING, **{"svar-til": "../../etc"}), b"")  # not a uuid
    _inject(fiks, hdr(type=messages.KVITTERING, **{"svar-til": melding}), b"\x30\x80garbage")  # malformed receipt
    _inject(fiks, hdr(type=messages.KVITTERING, **{"svar-til": melding}), sealed_other)  # a conflicting duplicate
    _inject(fiks, hdr(type="x\u202e\x07" * 100, **{"svar-til": melding}), b"")  # control chars, RTL, long
    _inject(fiks, hdr(type=messages.KVITTERING, **{"svar-til": melding}), b"\0" * (3 << 20))  # huge
    _inject(fiks, {**hdr(**{"svar-til": melding}), "type": b"\xff\xfe\xed\xa0\x80"}, b"")  # not UTF-8, surrogate
    _inject(fiks, {**hdr(type=messages.MOTTATT), "melding-id": b"\xff" * 40, "svar-til": melding}, b"")
    ctx = _context(fiks, sink, config=replace(fiks.config, max_message_bytes=1 << 20))
    run = deliver(ctx)
    assert run.received >= 10
    text = "\n".join(run.problems)
    assert "mangler header melding-id" in text
    assert "uventet meldingstype" in text
    assert "ukjent melding" in text
    assert "ikke en UUID" in text
    assert "ugyldig kvittering" in text
    assert "ugyldig meldingstype" in text
    assert "grensen er 1048576" in text
    assert text.count("ikke en UUID") >= 2
    record = read_delivery(sink, package)
    assert record and record.status == "kvittert" and assigned_numbers(sink, package) == numbers
    assert any("ANDRE numre" in note for note in record.notes)
    assert run.results[0].status == "kvittert"
    assert len(list((tmp_path / "bucket").iterdir())) == 2  # nothing written outside the records


def test_wrong_credentials_and_missing_queue_are_clear_errors(fiks: Setup, tmp_path: Path) -> None:
    bad = replace(fiks.config, integration_password=SecretStr("wrong-password"))
    with FiksIOSender(bad) as sender, pytest.raises(FiksIOError, match="avviste påloggingen"):
        sender.send(messages.OPPRETT, b"x", mottaker=uuid.UUID(ARKIV_ACCOUNT))
    with pytest.raises(FiksIOError, match="AMQP-påloggingen"):
        Listener(bad).run(lambda m: None, done=lambda: True, timeout=5)
    assert "wrong-password" not in repr(bad) and TOKEN not in repr(bad)
    elsewhere = replace(fiks.config, account_id=uuid.uuid4())  # a queue that isn't ours (or doesn't exist)
    with pytest.raises(FiksIOError, match=r"køen fiksio\.konto\."):
        Listener(elsewhere).run(lambda m: None, done=lambda: True, timeout=5)


# -- the Prefect flow ----------------------------------------------------------------------------------------


@pytest.mark.flowrun
@pytest.mark.usefixtures("prefect_harness")
def test_flow_exports_a_flagged_sample_thread_and_journals_it(
    fiks: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Done when: a journal-required sample thread is exported, delivered over RabbitMQ to the stand-in
    archive, and its package shows the assigned journal number; the run artifact shows the state."""
    from flows.deliver import export_then_deliver
    from pipeline.settings import Settings
    from sources.folder import load_catalog
    from tests.artifacts import latest_artifact

    samples = Settings().samples_dir
    item = next(f for f in load_catalog(samples).flagged if f.flag.kind == FlagKind.JOURNAL_REQUIRED)
    env = {
        "FIKS_BASE_URL": fiks.fiks_io.base_url,
        "FIKS_AMQP_URL": fiks.broker.url,
        "FIKS_ACCOUNT_ID": SA_ACCOUNT,
        "FIKS_INTEGRATION_ID": SA_INT,
        "FIKS_RECEIVER_ACCOUNT": ARKIV_ACCOUNT,
        "FIKS_PRIVATE_KEY": str(fiks.sa.key_path),
        "FIKS_RECEIPT_TIMEOUT_S": "20",
        "FIKS_SIGNING_CERTIFICATE": str(fiks.sa.certificate_path),
        "FIKS_SIGNING_KEY": str(fiks.sa.key_path),
    }
    for name, value in env.items():
        monkeypatch.setenv(f"SOMEARKIV_{name}", value)
    bucket = tmp_path / "bucket"
    from prefect.blocks.system import Secret

    Secret(value=TOKEN).save("fiks-token", overwrite=True)  # secrets from Prefect blocks, not the environment
    Secret(value=SA_PASSWORD).save("fiks-integrasjon", overwrite=True)
    monkeypatch.delenv("SOMEARKIV_FIKS_TOKEN", raising=False)
    summary = export_then_deliver(
        bucket=str(bucket),
        source_dir=str(samples),
        threads=[item.key],
        token_block="fiks-token",
        password_block="fiks-integrasjon",
    )
    (result,) = summary["results"]
    assert result["status"] == "kvittert" and result["journalnummer"].startswith("2026/")
    sink = LocalSink(bucket)
    numbers = assigned_numbers(sink, result["package_id"])
    assert numbers is not None and numbers.journalnummer == result["journalnummer"]
    assert numbers.saksnummer == item.flag.case_number
    markdown = latest_artifact("delivery-summary")
    assert result["package_id"] in markdown and result["journalnummer"] in markdown and "Journalført" in markdown


def test_late_kvittering_counts_and_nothing_is_resent(fiks: Setup, tmp_path: Path) -> None:
    sink, (package,) = _bucket(tmp_path, ("9_1", FlagKind.JOURNAL_REQUIRED, "2026/14"))
    fiks.archive.behaviour.before_kvittering = lambda: time.sleep(TIMEOUT.total_seconds() + 1)
    first = deliver(_context(fiks, sink))
    assert first.results[0].status == "feilet" and "ingen kvittering" in first.results[0].message
    fiks.archive.idle()
    fiks.archive.behaviour.before_kvittering = None
    before = len(fiks.fiks_io.sent)
    second = deliver(_context(fiks, sink))
    assert second.sent == 0 and len(fiks.fiks_io.sent) == before
    assert second.results[0].status == "kvittert" and second.results[0].attempts == 1
    record = read_delivery(sink, package)
    assert record and record.failure is None and record.attempts[0].outcome == "kvittert"


def test_approval_first_when_the_municipality_wants_it(fiks: Setup, tmp_path: Path) -> None:
    sink, (package,) = _bucket(tmp_path, ("10_1", FlagKind.JOURNAL_REQUIRED, "2026/15"))
    ctx = _context(fiks, sink, config=replace(fiks.config, require_approval=True))
    waiting = deliver(ctx, approved=lambda package_id: False)
    assert waiting.sent == 0 and waiting.results[0].status == "hoppet over"
    assert "godkjenning" in waiting.results[0].message and read_delivery(sink, package) is None
    approved = deliver(ctx, approved=lambda package_id: package_id == package)
    assert approved.results[0].status == "kvittert"


def test_secrets_never_reach_the_logs(fiks: Setup, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sink, _ = _bucket(tmp_path, ("11_1", FlagKind.JOURNAL_REQUIRED, "2026/16"))
    with caplog.at_level(logging.DEBUG):
        run = deliver(_context(fiks, sink))
        bad = replace(fiks.config, integration_password=SecretStr("wrong-" + SA_PASSWORD))
        with FiksIOSender(bad) as sender, pytest.raises(FiksIOError) as refused:
            sender.send(messages.OPPRETT, b"x", mottaker=uuid.UUID(ARKIV_ACCOUNT))
    assert run.results[0].status == "kvittert"
    assert caplog.records, "the run logs at DEBUG (pika, httpx, delivery)"
    for secret in (TOKEN, SA_PASSWORD):
        assert secret not in caplog.text and secret not in str(refused.value) and secret not in run.to_markdown()


def test_receiver_certificate_from_the_catalogue(fiks: Setup) -> None:
    with FiksIOSender(fiks.config) as sender:
        assert sender.public_certificate(uuid.UUID(ARKIV_ACCOUNT)) == fiks.arkiv.certificate
        with pytest.raises(FiksIOError, match="404"):
            sender.public_certificate(uuid.uuid4())


def test_unknown_and_hostile_package_ids_are_skipped_not_fatal(fiks: Setup, tmp_path: Path) -> None:
    sink, (package,) = _bucket(tmp_path, ("12_1", FlagKind.JOURNAL_REQUIRED, "2026/17"))
    (tmp_path / "bucket" / "_deliveries").mkdir()
    (tmp_path / "bucket" / "_deliveries" / "facebook-9-0123456789abcdef.json").write_text("{broken")
    hostile = ["../../etc/passwd", "_deliveries", "facebook-nope-0000000000000000", "x\u202e\x07"]

    def approved(package_id: str) -> bool:
        raise ApprovalError(f"vurderingsposten for {package_id} er ødelagt")

    run = deliver(_context(fiks, sink), [package, *hostile])
    by_id = {r.package_id: r for r in run.results}
    assert by_id[package].status == "kvittert"
    assert all(by_id[h].status == "hoppet over" for h in hostile)
    strict = _context(fiks, sink, config=replace(fiks.config, require_approval=True))
    assert deliver(strict, [package], approved=approved).results[0].message.endswith("er ødelagt")
    assert sorted(p.name for p in (tmp_path / "bucket").iterdir()) == sorted([package, "_deliveries"])
