"""``somearkiv doctor``: check that the configuration works on this machine and say what to fix.

Each check returns :class:`schemas.findings.Finding`s: ``error`` means the nightly export would fail,
``warning`` means it runs but something an operator should know is off, ``info`` reports what was found.
The checks touch the real things (they write and remove a probe file in the bucket, render a one-comment
PDF/A, connect to the Prefect API) and never print a secret.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from exporters.pdf import CoverInfo, check_pdfa, render_thread_pdf
from pipeline.settings import Settings
from schemas.errors import SomearkivError
from schemas.findings import Finding
from schemas.thread import Account, Author, Item, Platform, Thread
from storage.factory import open_sink
from storage.local import LocalSink
from storage.s3 import S3Sink, bucket_has_object_lock
from workflow.db import Database

HTTP_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class DoctorInput:
    """What the checks look at: the settings, plus Prefect's API URL as the CLI read it (None: ephemeral)."""

    settings: Settings
    prefect_api_url: str | None = None


Check = Callable[[DoctorInput], Iterator[Finding]]


def check_xsds(given: DoctorInput) -> Iterator[Finding]:
    try:
        path = given.settings.require_xsd_dir()
    except SomearkivError as exc:
        yield Finding("xsd-dir", str(exc), "SOMEARKIV_XSD_DIR")
        return
    yield Finding("xsd-dir", f"offisielle XSD-er funnet i {path}", "SOMEARKIV_XSD_DIR", "info")


def check_work_dir(given: DoctorInput) -> Iterator[Finding]:
    work = given.settings.work_dir
    try:
        work.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=work, prefix=".doctor-"):
            pass
    except OSError as exc:
        yield Finding(
            "work-dir",
            f"arbeidsmappen {work} er ikke skrivbar ({exc.strerror}); sett SOMEARKIV_WORK_DIR",
            "SOMEARKIV_WORK_DIR",
        )
        return
    yield Finding("work-dir", f"arbeidsmappen {work} er skrivbar", "SOMEARKIV_WORK_DIR", "info")


def check_renderer(given: DoctorInput) -> Iterator[Finding]:
    """Render a one-comment thread to PDF/A: proves that the fonts and the ICC profile are found."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    author = Author(id="doctor", display_name="Åse Ødegård")
    thread = Thread(
        platform=Platform.FACEBOOK,
        account=Account(id="doctor", name="Fjordvik kommune", owning_unit="Kommunikasjon"),
        thread_id="doctor",
        url="https://www.facebook.com/doctor/posts/1",
        post=Item(id="p", author=author, created_at=at, text="Prøve: æøå ÆØÅ – 👍"),
        comments=[Item(id="c", parent_id=None, author=author, created_at=at, text="Buorre beaivi! áčđŋšŧž")],
        captured_at=at,
    )
    part = given.settings.pdfa_part
    try:
        with tempfile.TemporaryDirectory(prefix="somearkiv-doctor-") as tmp:
            out = Path(tmp) / "doctor.pdf"
            cover = CoverInfo(flag_label=None, case_number=None, journalpost_id=None, capture_sha256="0" * 64)
            render_thread_pdf(thread, out, cover=cover, media_dir=None, pdfa_part=part)
            problems = check_pdfa(out, part=part)
    except (SomearkivError, OSError) as exc:
        yield Finding("renderer", f"tråddokumentet kan ikke lages: {exc}", "exporters/pdf")
        return
    for problem in problems:
        yield Finding("renderer", f"PDF/A-{part}b-kontroll: {problem}", "exporters/pdf")
    if not problems:
        yield Finding(
            "renderer", f"skrifter og fargeprofil funnet; PDF/A-{part}b laget og kontrollert", "exporters/pdf", "info"
        )


def check_bucket(given: DoctorInput) -> Iterator[Finding]:
    settings = given.settings
    try:
        sink = open_sink(settings.bucket, settings.s3())
    except SomearkivError as exc:
        yield Finding("bucket", str(exc), "SOMEARKIV_BUCKET")
        return
    if isinstance(sink, S3Sink):
        yield from _check_s3(sink)
    elif isinstance(sink, LocalSink):
        yield from _check_local(sink)
    else:  # pragma: no cover - every sink is one of the two
        yield Finding("bucket", f"ukjent bøttetype for {sink.url}", "SOMEARKIV_BUCKET", "warning")


def _check_local(sink: LocalSink) -> Iterator[Finding]:
    try:
        sink.root.mkdir(parents=True, exist_ok=True)
        probe = sink.root / f".doctor-{secrets.token_hex(4)}"
        probe.write_bytes(b"somearkiv doctor")
        probe.unlink()
    except OSError as exc:
        yield Finding("bucket", f"mappen {sink.root} er ikke skrivbar ({exc.strerror})", "SOMEARKIV_BUCKET")
        return
    yield Finding("bucket", f"lokal mappe {sink.url} er skrivbar", "SOMEARKIV_BUCKET", "info")
    yield Finding(
        "object-lock",
        "en lokal mappe gir ingen WORM-garanti: godkjente pakker blir bare skrivebeskyttet; bruk S3 med Object "
        "Lock i drift",
        "SOMEARKIV_BUCKET",
        "warning",
    )


def _check_s3(sink: S3Sink) -> Iterator[Finding]:
    credentials = sink.client._request_signer._credentials  # boto3 resolved them when the client was built
    if credentials is None:
        yield Finding(
            "credentials",
            "ingen S3-påloggingsopplysninger: sett SOMEARKIV_S3_ACCESS_KEY_ID og SOMEARKIV_S3_SECRET_ACCESS_KEY "
            "(eller AWS-kjeden: AWS_*-variabler, ~/.aws, instansrolle)",
            "SOMEARKIV_S3_ACCESS_KEY_ID",
        )
        return
    key = f"{sink._root}_doctor/probe-{secrets.token_hex(4)}"
    try:
        sink.client.put_object(Bucket=sink.bucket, Key=key, Body=b"somearkiv doctor", ChecksumAlgorithm="SHA256")
        sink.client.delete_object(Bucket=sink.bucket, Key=key)
    except Exception as exc:  # botocore raises many kinds; each one means the same to the operator
        yield Finding("bucket", f"{sink.url} kan ikke skrives til: {type(exc).__name__}: {exc}", "SOMEARKIV_BUCKET")
        return
    yield Finding("bucket", f"{sink.url} er nåbar og skrivbar", "SOMEARKIV_BUCKET", "info")
    try:
        locked = bucket_has_object_lock(sink.client, sink.bucket)
    except SomearkivError as exc:
        yield Finding("object-lock", str(exc), "SOMEARKIV_BUCKET")
        return
    if not locked:
        yield Finding(
            "object-lock",
            f"bøtta {sink.bucket} har ikke Object Lock: godkjenning kan ikke låse pakker; lag en ny bøtte med "
            "`somearkiv create-bucket` (Object Lock kan ikke slås på i ettertid hos alle leverandører)",
            "SOMEARKIV_BUCKET",
        )
    else:
        yield Finding("object-lock", f"bøtta {sink.bucket} har Object Lock", "SOMEARKIV_BUCKET", "info")


def check_database(given: DoctorInput) -> Iterator[Finding]:
    """The workflow database answers and its schema is the newest (else: run `somearkiv db upgrade`)."""
    url = given.settings.workflow().database_url
    try:
        db = Database(url)
    except SomearkivError as exc:
        yield Finding("database", str(exc), "SOMEARKIV_DATABASE_URL")
        return
    try:
        where = db.engine.url.render_as_string(hide_password=True)
    finally:
        db.dispose()
    yield Finding("database", f"arbeidsflytdatabasen {where} svarer og er oppdatert", "SOMEARKIV_DATABASE_URL", "info")


def check_prefect(given: DoctorInput) -> Iterator[Finding]:
    url = given.prefect_api_url
    if not url:
        yield Finding(
            "prefect-api",
            "PREFECT_API_URL er ikke satt: kjøringer bruker en midlertidig lokal Prefect-server, og planlagte "
            "kjøringer (nattlig eksport, fixitet) går ikke; se README «Drift»",
            "PREFECT_API_URL",
            "warning",
        )
        return
    try:
        response = httpx.get(url.rstrip("/") + "/health", timeout=HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        yield Finding(
            "prefect-api", f"Prefect-API-et på {_redact(url)} svarer ikke: {type(exc).__name__}", "PREFECT_API_URL"
        )
        return
    yield Finding("prefect-api", f"Prefect-API-et på {_redact(url)} svarer", "PREFECT_API_URL", "info")


def _redact(url: str) -> str:
    parsed = httpx.URL(url)
    return str(parsed.copy_with(username=None, password=None)) if parsed.userinfo else url


CHECKS: tuple[Check, ...] = (
    check_xsds, check_work_dir, check_renderer, check_bucket, check_database, check_prefect,
)


def run_checks(given: DoctorInput, checks: tuple[Check, ...] = CHECKS) -> list[Finding]:
    """Every check's findings; a check that fails unexpectedly is itself an error finding."""
    findings: list[Finding] = []
    for check in checks:
        try:
            findings.extend(check(given))
        except Exception as exc:  # one broken check must not hide the others
            findings.append(Finding(check.__name__.removeprefix("check_"), f"kontrollen feilet: {exc!r}", ""))
    return findings
