"""The ``somearkiv`` command line (messages for editors and archivists in Norwegian bokmål)."""

from __future__ import annotations

import errno
import os
import re

# Keep Prefect on this machine and quiet, before anything imports it.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from pipeline.settings import Settings
from schemas.errors import InputError, SomearkivError
from schemas.text import escape_unsafe

if TYPE_CHECKING:
    from enum import StrEnum

    from schemas.refs import ThreadRef
    from storage.base import Sink
    from workflow.db import Database
    from workflow.flags import FlagView

EXIT_PROBLEMS_FOUND = 1  # the check ran and found problems
EXIT_OPERATIONAL = 2  # bad configuration or input, unreachable bucket, missing file
MAX_ARGUMENT_CHARS = 4096
OS_ERRORS = {  # the common OSErrors in Norwegian (strerror is English)
    errno.ENOENT: "finnes ikke", errno.ENOTDIR: "er ikke en mappe", errno.EISDIR: "er en mappe",
    errno.EACCES: "ingen tilgang", errno.EPERM: "ikke tillatt", errno.ENOSPC: "disken er full",
    errno.EROFS: "skrivebeskyttet filsystem", errno.EEXIST: "finnes allerede",
    errno.ENAMETOOLONG: "navnet er for langt",
    errno.ELOOP: "for mange symbolske lenker", errno.ENOTEMPTY: "mappen er ikke tom",
}


class _ErrorBoundary(TyperGroup):
    """The CLI's one error boundary: a known error is one Norwegian line on stderr and exit status 2."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context
        try:
            return super().invoke(ctx)
        except SomearkivError as exc:
            typer.echo(f"feil: {_one_line(str(exc))}", err=True)
            raise typer.Exit(code=EXIT_OPERATIONAL) from None
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            reason = OS_ERRORS.get(exc.errno or 0) or exc.strerror or str(exc)
            typer.echo(f"feil: {_one_line(f'{reason}{where}')}", err=True)
            raise typer.Exit(code=EXIT_OPERATIONAL) from None
        except TyperException as exc:  # a usage error (bad option, missing file): one line, not a framed box
            if exc.exit_code != EXIT_OPERATIONAL or type(exc).__name__ == "NoArgsIsHelpError":
                raise
            where = getattr(getattr(exc, "ctx", None), "command_path", None) or "somearkiv"
            typer.echo(f"feil: ugyldig bruk av {where}: {_one_line(_usage_reason(exc.format_message()))} "
                       f"(se {where} --help)",
                       err=True)
            raise typer.Exit(code=EXIT_OPERATIONAL) from None


USAGE_PHRASES = [  # the command-line parser's English reasons, in Norwegian (what is not listed stays as is)
    (r"Invalid value for ('[^']*'): ", r"ugyldig verdi for \1: "),
    (r"Invalid value: ", "ugyldig verdi: "),
    (r"\b(?:[Ff]ile|[Dd]ir(?:ectory)?|[Pp]ath) ('[^']*') does not exist\.", r"\1 finnes ikke"),
    (r"\b(?:[Ff]ile|[Dd]ir(?:ectory)?|[Pp]ath) ('[^']*') is a directory\.", r"\1 er en mappe, ikke en fil"),
    (r"\b(?:[Ff]ile|[Dd]ir(?:ectory)?|[Pp]ath) ('[^']*') is a file\.", r"\1 er en fil, ikke en mappe"),
    (r"(?:Value error, )?('[^']*') does not match the formats (.+?)\.", r"\1 har feil form (bruk \2)"),
    (r"Input should be a valid integer[^(]*", "må være et heltall"),
    (r"Value ('[^']*') is not a valid [^.]+\.", r"\1 er ikke en gyldig verdi"),
    (r"No such option: (\S+)", r"ukjent valg \1"),
    (r"No such command ('[^']*')\.", r"ukjent kommando \1"),
    (r"Missing option ('[^']*')\.", r"mangler valget \1"),
    (r"Missing argument ('[^']*')\.", r"mangler argumentet \1"),
    (r"Missing parameter: (.+)", r"mangler \1"),
    (r"Missing command\.", "mangler kommando"),
    (r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", r"uventede ekstra argumenter (\1)"),
    (r"Option ('[^']*') requires an argument\.", r"valget \1 trenger en verdi"),
]


def _usage_reason(text: str) -> str:
    for pattern, norwegian in USAGE_PHRASES:
        text = re.sub(pattern, norwegian, text)
    return text


def _one_line(text: str) -> str:
    """An error message as one terminal-safe line (control characters from an input shown as escapes)."""
    return " ".join(escape_unsafe(text).split())


app = typer.Typer(
    cls=_ErrorBoundary,
    help="somearkiv: arkivering og journalføring av kommunens dialog i sosiale medier.",
    no_args_is_help=True,
    add_completion=False,
)

BucketOption = Annotated[
    str | None,
    typer.Option("--bucket", help="Arkivbøtte: mappe, file:///sti eller s3://bøtte/prefiks"),
]


@contextmanager
def _progress_bar() -> Iterator[None]:
    """A progress bar on stderr while the export runs, on a terminal only (pipes and logs stay clean)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from pipeline.batch import progress_listener

    console = Console(stderr=True)
    if not console.is_terminal:
        yield
        return
    columns = (TextColumn("Eksporterer tråder"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("eksport", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        with progress_listener(update):
            yield


def _run_export(bucket: str | None, source: Path | None, threads: list[str] | None) -> None:
    """Run the export flow (on a temporary Prefect server that ends with this process) and print its summary."""
    from flows.export import export_threads
    from pipeline.export import ExportRun, summary_lines
    from somearkiv.prefect_server import temporary_prefect_server
    from storage.factory import open_sink

    settings = Settings()
    for name, value in [("--thread", t) for t in threads or []] + [("--source", str(source or "")),
                                                                  ("--bucket", bucket or "")]:
        if not value.isprintable() or len(value) > MAX_ARGUMENT_CHARS:  # flow parameters travel as JSON text
            raise InputError(f"{name} {escape_unsafe(value[:200])!r}: ugyldige tegn eller for lang verdi")
    if source is not None and not (source / "threads").is_dir():
        raise InputError(f"{source}: mangler mappen threads/ (--source skal være en innsamlingsmappe)")
    bucket_url = open_sink(bucket or settings.bucket, settings.s3()).url
    with temporary_prefect_server(), _progress_bar():
        state = export_threads(
            bucket=bucket_url, source_dir=str(source) if source else None, threads=threads or None, return_state=True
        )
        if not state.is_completed():
            raise InputError(state.message or "eksporten stoppet")
        run = state.result()
    if not isinstance(run, ExportRun):
        raise InputError(getattr(run, "message", None) or "eksporten stoppet")
    for line, to_stderr in summary_lines(run, bucket_url):
        typer.echo(line, err=to_stderr)
    if run.failures:
        raise typer.Exit(code=EXIT_PROBLEMS_FOUND)


@app.command()
def demo(bucket: BucketOption = None) -> None:
    """Eksporter de medfølgende eksempeltrådene til arkivbøtta (Prefect-flyt, lokal som standard).

    Arbeidsflytdatabasen (SQLite som standard) opprettes eller oppgraderes først, så pakkene havner i
    arkivarens oversikt i nettløsningen (somearkiv web)."""
    from workflow.db import upgrade

    upgrade(Settings().workflow().database_url)
    _run_export(bucket, None, None)


@app.command()
def export(
    bucket: BucketOption = None,
    source: Annotated[Path | None, typer.Option(help="Mappe med threads/, flags.json og media/")] = None,
    thread: Annotated[list[str] | None, typer.Option(help="Bare denne tråden (nøkkel eller id); kan gjentas")] = None,
) -> None:
    """Eksporter flaggede tråder fra en innsamlingsmappe."""
    _run_export(bucket, source, thread)


def _sink(bucket: str | None) -> tuple[Sink, Settings]:
    from storage.factory import open_sink

    settings = Settings()
    if bucket is not None and not bucket.strip():
        raise _fail("tom bøtte-URL: oppgi en mappe, file:///sti eller s3://bøtte/prefiks")
    return open_sink(settings.bucket if bucket is None else bucket, settings.s3()), settings


def _fail(message: str) -> typer.Exit:
    typer.echo(f"feil: {message}", err=True)
    return typer.Exit(code=EXIT_OPERATIONAL)


@app.command()
def approve(
    package_id: Annotated[str, typer.Argument(help="Pakke-id, f.eks. facebook-123_456-0a1b2c3d4e5f6a7b")],
    comment: Annotated[str, typer.Option(help="Arkivarens kommentar")] = "",
    by: Annotated[str, typer.Option(help="Hvem som godkjenner")] = os.environ.get("USER", "arkivar"),
    reject: Annotated[bool, typer.Option("--reject", help="Avvis pakken i stedet for å godkjenne")] = False,
    bucket: BucketOption = None,
) -> None:
    """Godkjenn (eller avvis) en pakke; godkjenning låser den (S3 Object Lock / skrivebeskyttet mappe)."""
    from pipeline.review import approve_package
    from storage.timestamp import timestamper_for

    sink, settings = _sink(bucket)
    record = approve_package(
        sink,
        package_id,
        approved=not reject,
        by=by,
        comment=comment,
        retention=settings.retention(),
        timestamper=timestamper_for(settings.timestamps()),
    )
    claimed = "" if record.by_verified else " (navnet er oppgitt, ikke autentisert)"
    if record.approved and record.retention:
        lock = (
            f"låst ({record.retention.mode}) til {record.retention.retain_until:%d.%m.%Y}"
            if sink.worm
            else "skrivebeskyttet (ingen WORM-garanti)"
        )
        typer.echo(f"godkjent: {package_id} av {record.by}; {lock}, {len(record.locked)} objekter{claimed}")
    else:
        typer.echo(f"avvist: {package_id} av {record.by}: {record.comment}{claimed}")


@app.command()
def verify(bucket_url: Annotated[str | None, typer.Argument(help="Arkivbøtte å kontrollere")] = None) -> None:
    """Fixitetskontroll: les alle pakker på nytt og sammenlign SHA-256 med manifestet."""
    from pipeline.audit import verify_archive
    from storage.timestamp import timestamper_for

    sink, settings = _sink(bucket_url)
    report = verify_archive(sink, timestamper_for(settings.timestamps()))
    typer.echo(report.to_text())
    if not report.ok:
        raise typer.Exit(code=EXIT_PROBLEMS_FOUND)


@app.command()
def uttrekk(
    out: Annotated[Path, typer.Option("--out", help="Tom mappe for avleveringspakken")],
    date_from: Annotated[datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="Fra dato")] = None,
    date_to: Annotated[datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Til dato")] = None,
    status: Annotated[str, typer.Option(help="all, approved, rejected eller pending")] = "all",
    bucket: BucketOption = None,
    journal_numbers: Annotated[str, typer.Option(
        "--journal-numbers",
        help="database: journal- og saksnumre tildeles én gang i arbeidsflytdatabasen og beholdes; "
        "extraction: nummerert innenfor dette uttrekket; auto (standard): database når den kan åpnes",
    )] = "auto",
) -> None:
    """Lag et Noark 5-arkivuttrekk (avleveringspakke) av pakkene i perioden, og valider det."""
    from noark.uttrekk import build_uttrekk
    from noark.uttrekk.numbering import ExtractionNumbering
    from pipeline.archive_numbers import ReceiptNumbering, receipts_by_journalpost
    from pipeline.numbering import DatabaseNumbering, ManifestIndex
    from pipeline.review import LockedView, load_ledger
    from schemas.findings import errors
    from storage.fixity import finding_text

    if status not in {"all", "approved", "rejected", "pending"}:
        raise _fail(f"--status {status!r}: bruk all, approved, rejected eller pending")
    if journal_numbers not in {"auto", "database", "extraction"}:
        raise _fail(f"--journal-numbers {journal_numbers!r}: bruk auto, database eller extraction")
    sink, settings = _sink(bucket)
    xsd_dir = settings.require_xsd_dir()
    ledger = load_ledger(sink)  # review decisions from the audit chain; approved packages read as locked
    view = LockedView(sink, ledger)
    source = ManifestIndex(view)
    db = _numbers_database(journal_numbers)
    try:
        result = build_uttrekk(
            source,
            out,
            date_from=(date_from or datetime(1900, 1, 1)).date(),
            date_to=(date_to or datetime.now()).date(),
            status=status,
            status_of=ledger.status_of,
            ctx=settings.noark(),
            xsd_dir=xsd_dir,
            numbering=ReceiptNumbering(
                receipts_by_journalpost(sink, sink.list_packages()),
                DatabaseNumbering(db, source.threads) if db is not None else ExtractionNumbering(),
            ),
        )
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    finally:
        if db is not None:
            db.dispose()
    for warning in result.warnings:
        typer.echo(f"advarsel: {escape_unsafe(str(warning))}")
    trust = [finding for finding in [*ledger.findings, *view.findings] if finding.severity != "info"]
    for finding in trust:
        typer.echo(f"advarsel: {finding_text(finding)}", err=True)
    typer.echo(
        f"uttrekk i {result.out_dir}: {len(result.package_ids)} pakker, {result.mapper} mapper, "
        f"{result.journalposter} journalposter, {result.dokumentfiler} dokumentfiler"
    )
    if result.report is not None:
        typer.echo(result.report.to_text())
        if not result.report.ok:
            raise typer.Exit(code=EXIT_PROBLEMS_FOUND)
    if errors(trust):
        raise typer.Exit(code=EXIT_PROBLEMS_FOUND)


def _numbers_database(mode: str) -> Database | None:
    """The workflow database for lasting journal numbers; None: numbers within the extraction."""
    if mode == "extraction":
        return None
    try:
        db = _database()
    except SomearkivError as exc:
        if mode == "database":
            raise
        typer.echo(f"advarsel: journalnumre innenfor dette uttrekket, arbeidsflytdatabasen kan ikke brukes: {exc}",
                   err=True)
        return None
    return db


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="En pakkemappe eller et uttrekk", exists=True, file_okay=False)],
    json_out: Annotated[bool, typer.Option("--json", help="Rapport som JSON")] = False,
) -> None:
    """Valider en pakke eller et uttrekk: XSD og Arkade-lignende kontroller."""
    from noark.validate import validate_path

    report = validate_path(path, Settings().require_xsd_dir())
    typer.echo(report.to_json() if json_out else report.to_text())
    if not report.ok:
        raise typer.Exit(code=EXIT_PROBLEMS_FOUND)


@app.command()
def pdf(
    capture: Annotated[Path, typer.Argument(help="En trådinnsamling (JSON), f.eks. capture/thread.json i en pakke")],
    out: Annotated[Path, typer.Option("--out", help="PDF/A-filen som skal skrives")],
    media: Annotated[Path | None, typer.Option("--media", help="Mappen bildene i innsamlingen viser til")] = None,
    case_number: Annotated[str | None, typer.Option("--saksnummer", help="Saksnummer på forsiden")] = None,
    flag_label: Annotated[str | None, typer.Option("--merking", help="Merking på forsiden")] = None,
) -> None:
    """Lag tråddokumentet (PDF/A) av en innsamlingsfil, lest strømmende: minnebruken vokser ikke med tråden."""
    from exporters.pdf import CoverInfo, render_capture_pdf
    from schemas.package import sha256_file

    if not capture.is_file():
        raise InputError(f"{capture}: innsamlingen må være en vanlig fil")
    if out.exists() and (out.is_symlink() or not out.is_file()):  # never replace a folder, device or link
        raise InputError(f"{out}: finnes allerede og er ikke en vanlig fil; velg et annet navn for --out")
    settings = Settings()
    cover = CoverInfo(
        flag_label=flag_label, case_number=case_number, journalpost_id=None, capture_sha256=sha256_file(capture)
    )
    result = render_capture_pdf(capture, out, cover=cover, media_dir=media, pdfa_part=settings.pdfa_part)
    for warning in result.warnings:
        typer.echo(f"advarsel: {escape_unsafe(str(warning))}")
    typer.echo(f"skrev {out}: {result.pages} sider, {result.size} byte, PDF/A-{settings.pdfa_part}b")


@app.command()
def doctor() -> None:
    """Kontroller oppsettet: bøtte, Object Lock, påloggingsopplysninger, XSD-er, skrifter, Prefect-API."""
    from prefect.settings import PREFECT_API_URL

    from pipeline.doctor import DoctorInput, run_checks
    from schemas.findings import SEVERITY_LABELS, errors

    findings = run_checks(DoctorInput(settings=Settings(), prefect_api_url=PREFECT_API_URL.value()))
    for finding in findings:
        typer.echo(f"{SEVERITY_LABELS[finding.severity]:<9} [{finding.rule}] {finding.message}")
    failed = errors(findings)
    typer.echo(f"\n{len(failed)} feil: {'rett opp feilene over' if failed else 'oppsettet er i orden'}")
    if failed:
        raise typer.Exit(code=EXIT_PROBLEMS_FOUND)


@app.command()
def serve(
    limit: Annotated[int, typer.Option(min=1, max=16, help="Flyt-kjøringer samtidig i denne prosessen")] = 2,
    prefect_home: Annotated[
        Path | None, typer.Option(help="Mappe for den lokale Prefect-serverens database (uten PREFECT_API_URL)")
    ] = None,
) -> None:
    """Kjør alle jobbene (nattlig eksport, eksport ved flagging, ukentlig fixitet) i én prosess.

    Uten PREFECT_API_URL starter kommandoen sin egen lokale Prefect-server (SQLite), som stoppes med den.
    """
    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    from flows.deployments import served_deployments
    from somearkiv.prefect_server import local_prefect_server

    if PREFECT_API_URL.value():
        typer.echo(f"Prefect-server: {PREFECT_API_URL.value()}")
        prefect_serve(*served_deployments(), limit=limit)
        return
    home = prefect_home or Path(PREFECT_HOME.value()) / "serve"
    with local_prefect_server(home) as server, temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        typer.echo(f"Prefect-server: {server.api_url} (lokal, database i {home})")
        prefect_serve(*served_deployments(), limit=limit)


@app.command()
def screening(
    package_id: Annotated[str, typer.Argument(help="Pakke-id")],
    hit: Annotated[str | None, typer.Option("--treff", help="Treffets nummer (eller nøkkel) som skal avgjøres")] = None,
    decision: Annotated[str | None, typer.Option("--beslutning", help="confirm (bekreft) eller clear")] = None,
    comment: Annotated[str | None, typer.Option("--comment", help="Arkivarens kommentar")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Brukernavnet ditt (standard: $USER)")] = None,
    bucket: BucketOption = None,
) -> None:
    """Vis personopplysningene screeningen fant i en pakke (maskert), og bekreft eller avkreft ett treff.

    En beslutning lager en ny versjon av pakken med den skjermede varianten laget på nytt; listen som vises
    etterpå er den nye versjonens.
    """
    from pipeline.rerender import RerenderConfig
    from web.package_view import local_copy
    from web.screening_view import load_thread, record_hit_decision, screening_view
    from workflow.accounts import noark_targets

    sink, settings = _sink(bucket)
    if hit is not None or decision is not None:
        if hit is None or decision not in {"confirm", "clear"}:
            raise InputError("oppgi både --treff og --beslutning confirm|clear")
        db = _database()
        try:
            config = RerenderConfig(settings.noark(), settings.work_dir, noark_targets(db))
            outcome = record_hit_decision(db, sink, package_id, hit=hit, decision=decision, by=_by(by),
                                          comment=comment, config=config)
        finally:
            db.dispose()
        typer.echo(outcome.message)
        package_id = outcome.package_id
    _, folder = local_copy(sink, package_id, settings.work_dir / "web-cache")
    view = screening_view(sink, package_id, folder, load_thread(folder), show_restricted_context=True)
    if not view.present:
        typer.echo(f"{package_id}: ingen screening i pakken")
        return
    if view.problem:
        raise InputError(f"{package_id}: {view.problem}")
    typer.echo(f"{package_id}: {len(view.rows)} treff, {view.undecided} ubehandlet, "
               f"{len(view.restricted)} innlegg skjermet i sin helhet (regler {view.rules_version})")
    for row in view.rows:
        typer.echo(f"{row.number:>4}  {row.status:<11} {row.kind:<16} {row.rule:<28} {row.item_id}: {row.context}")


@app.command("create-bucket")
def create_bucket(name: Annotated[str, typer.Argument(help="S3-bøttenavn")]) -> None:
    """Opprett en S3-bøtte med Object Lock (for prøving mot moto/MinIO; se README)."""
    from storage.s3 import create_lock_bucket

    create_lock_bucket(name, Settings().s3())
    typer.echo(f"opprettet s3://{name} med Object Lock")


# --- the editors' workflow: flags, users, accounts, crisis periods (workflow database) -------------------------

db_app = typer.Typer(help="Arbeidsflytdatabasen (flagg, saker, journalnummer, revisjonslogg).", no_args_is_help=True)
user_app = typer.Typer(help="Brukere og roller i arbeidsflyten.", no_args_is_help=True)
account_app = typer.Typer(help="Kommunens kontoer (sider, kanaler) og ansvarlig enhet.", no_args_is_help=True)
crisis_app = typer.Typer(
    help="Kriseperioder: alle tråder fra kontoene i perioden er arkivverdige.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(account_app, name="account")
app.add_typer(crisis_app, name="crisis")

ByOption = Annotated[str | None, typer.Option("--by", help="Brukernavnet ditt (standard: $USER)")]


def _by(by: str | None) -> str:
    return by or os.environ.get("USER") or "ukjent"


def _database() -> Database:
    from workflow.db import Database

    return Database(Settings().workflow().database_url)


def _date(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d")
    except ValueError:
        raise _fail(f"{option} {value!r}: bruk formen ÅÅÅÅ-MM-DD, f.eks. 2026-03-15") from None


def _moment(value: str, option: str) -> datetime:
    from datetime import UTC
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _fail(f"{option} {value!r}: bruk formen ÅÅÅÅ-MM-DD eller ÅÅÅÅ-MM-DDTTT:MM") from None
    try:
        return (moment.replace(tzinfo=ZoneInfo("Europe/Oslo")) if moment.tzinfo is None else moment).astimezone(UTC)
    except OverflowError:  # year 1 or 9999 at the edge of what a datetime holds
        raise _fail(f"{option} {value!r}: utenfor gyldige datoer") from None


def _thread(url: str | None, platform: str | None, post_id: str | None) -> ThreadRef:
    from sources.urls import parse_thread_url, thread_ref

    if url and (platform or post_id):
        raise _fail("oppgi enten en adresse eller --platform og --id, ikke begge")
    if url:
        return parse_thread_url(url)
    if platform and post_id:
        return thread_ref(platform, post_id)
    raise _fail("oppgi adressen til innlegget, eller --platform og --id")


_E = TypeVar("_E", bound="StrEnum")


def _pick(enum: type[_E], value: str | None, option: str) -> _E | None:
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        raise _fail(f"{option} {value!r}: bruk en av {', '.join(e.value for e in enum)}") from None


def _show_flag(v: FlagView) -> str:
    from schemas.thread import FLAG_KIND_LABELS, FlagKind
    from workflow.models import FLAG_STATUS_LABELS, FlagStatus

    case = v.case_number or "ny sak" if v.kind == "journal-required" else v.case_number or "–"
    frist = f"  frist {v.deadline:%d.%m.%Y}" if v.deadline else ""
    return (f"#{v.id:<5} {FLAG_STATUS_LABELS[FlagStatus(v.status)]:<28} {FLAG_KIND_LABELS[FlagKind(v.kind)]:<14} "
            f"sak {case:<10} {v.thread_key}  ({v.flagged_by}, {v.flagged_at:%d.%m.%Y}){frist}")


@app.command()
def flag(
    url: Annotated[str | None, typer.Argument(help="Adressen til innlegget, slik du limer den inn")] = None,
    case: Annotated[str | None, typer.Option("--case", help="Saksnummer ÅÅÅÅ/NNNN")] = None,
    new_case: Annotated[str | None, typer.Option("--new-case", help="Ny sak med denne tittelen")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Begrunnelse, f.eks. høringsinnspill")] = None,
    kind: Annotated[str, typer.Option("--kind", help="journal-required eller archive-worthy")] = "journal-required",
    frist: Annotated[str | None, typer.Option("--frist", help="Høringsfrist ÅÅÅÅ-MM-DD")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Merknad")] = None,
    platform: Annotated[str | None, typer.Option("--platform", help="Plattform (i stedet for adresse)")] = None,
    post_id: Annotated[str | None, typer.Option("--id", help="Innleggets id på plattformen")] = None,
    by: ByOption = None,
    now: Annotated[bool, typer.Option("--now", help="Eksporter tråden med en gang (uten Prefect-server)")] = False,
    source: Annotated[
        Path | None, typer.Option(help="Innsamlingsmappe for --now (standard: SOMEARKIV_SAMPLES_DIR)")
    ] = None,
    bucket: BucketOption = None,
) -> None:
    """Flagg en tråd som journalpliktig eller arkivverdig.

    Med --now eksporteres tråden straks (fra innsamlingsmappa). Ellers, når PREFECT_API_URL peker på en
    Prefect-server, sender flagget hendelsen somearkiv.thread.flagged, og on-demand-utrullingen eksporterer
    tråden; uten server tar nattkjøringen den."""
    from schemas.thread import FlagKind
    from workflow.flags import FlagRequest, flag_thread

    if kind not in {k.value for k in FlagKind}:
        raise _fail(f"--kind {kind!r}: bruk journal-required eller archive-worthy")
    deadline = _date(frist, "--frist")
    ref = _thread(url, platform, post_id)
    with _database() as db:
        view = flag_thread(db, FlagRequest(
            ref=ref, kind=FlagKind(kind), by=_by(by), case_number=case, new_case_title=new_case, reason=reason,
            note=note, deadline=deadline.date() if deadline else None, origin="cli",
        ))
    typer.echo(f"flagget: {_show_flag(view)}")
    if now:
        _run_export(bucket, source, [view.thread_key])
        return
    _announce(view)


def _announce(view: FlagView) -> None:
    """Tell the Prefect server (PREFECT_API_URL) that a thread was flagged; its trigger starts the export."""
    from prefect.settings import PREFECT_API_URL

    from flows.flag_events import emit_flagged

    if not PREFECT_API_URL.value():
        typer.echo("eksporteres ved neste nattkjøring (ingen Prefect-server; bruk --now for å eksportere straks)")
        return
    try:
        emit_flagged(view)
    except SomearkivError as exc:  # the flag is saved either way
        typer.echo(f"advarsel: {exc}; flagget er lagret og eksporteres ved neste nattkjøring", err=True)
        return
    typer.echo(f"hendelse sendt til {escape_unsafe(str(PREFECT_API_URL.value()))}: eksporten starter snart")


@app.command()
def flags(
    status: Annotated[
        str | None, typer.Option(help="pending, exported, approved, rejected, re-flagged, withdrawn")
    ] = None,
    platform: Annotated[str | None, typer.Option(help="facebook, instagram, x, tiktok, linkedin, youtube")] = None,
    kind: Annotated[str | None, typer.Option(help="journal-required eller archive-worthy")] = None,
    by: Annotated[str | None, typer.Option("--flagged-by", help="Bare flagg satt av denne brukeren")] = None,
    case: Annotated[str | None, typer.Option("--case", help="Bare flagg i denne saken (ÅÅÅÅ/NNNN)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Som JSON")] = False,
) -> None:
    """List flaggede tråder (nyeste først), filtrert."""
    import json
    from dataclasses import asdict

    from schemas.thread import FlagKind, Platform
    from workflow.flags import FlagFilter, list_flags
    from workflow.models import FlagStatus

    wanted = FlagFilter(
        status=_pick(FlagStatus, status, "--status"), platform=_pick(Platform, platform, "--platform"),
        kind=_pick(FlagKind, kind, "--kind"), flagged_by=by, case_number=case, limit=1000,
    )
    with _database() as db:
        found = list_flags(db, wanted)
    if json_out:
        typer.echo(json.dumps([asdict(v) for v in found], default=str, ensure_ascii=False, indent=1))
        return
    for view in found:
        typer.echo(_show_flag(view))
    typer.echo(f"{len(found)} flagg")


@app.command()
def unflag(
    url: Annotated[str | None, typer.Argument(help="Adressen til innlegget")] = None,
    flag_id: Annotated[int | None, typer.Option("--flag", help="Flagg-id i stedet for adresse")] = None,
    comment: Annotated[str | None, typer.Option("--comment", help="Hvorfor")] = None,
    by: ByOption = None,
) -> None:
    """Trekk tilbake flagget på en tråd (historikken beholdes)."""
    from workflow.flags import unflag as withdraw

    target = flag_id if flag_id is not None else _thread(url, None, None)
    with _database() as db:
        view = withdraw(db, target, by=_by(by), comment=comment)
    typer.echo(f"trukket tilbake: {_show_flag(view)}")


@app.command("import-flags")
def import_flags(
    path: Annotated[Path, typer.Argument(help="flags.json (liste med flagg)", exists=True, dir_okay=False)],
    by: ByOption = None,
) -> None:
    """Importer en flags.json inn i arbeidsflytdatabasen (eksisterende flagg dupliseres ikke)."""
    from sources.urls import parse_thread_url
    from workflow.importer import import_flags_file

    with _database() as db:
        report = import_flags_file(db, path, parse_url=parse_thread_url, by=_by(by))
    for finding in report.findings:
        typer.echo(str(finding), err=finding.severity == "error")
    errors = sum(1 for f in report.findings if f.severity == "error")
    typer.echo(f"{len(report.created)} flagg importert, {len(report.existing)} fantes fra før, {errors} feil")
    if errors:
        raise typer.Exit(code=EXIT_PROBLEMS_FOUND)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Opprett eller oppgrader arbeidsflytdatabasen til nyeste skjema."""
    from sqlalchemy.engine import make_url

    from workflow.db import upgrade

    url = Settings().workflow().database_url
    revision = upgrade(url)
    typer.echo(f"databasen {make_url(url).render_as_string()} er på skjemaversjon {revision}")


@db_app.command("verify")
def db_verify() -> None:
    """Kontroller revisjonsloggens hash-kjede; exit 1 ved brudd."""
    from workflow.audit import verify_audit

    with _database() as db, db.transaction() as session:
        findings = verify_audit(session)
    for finding in findings:
        typer.echo(str(finding))
    if findings:
        raise typer.Exit(code=EXIT_PROBLEMS_FOUND)
    typer.echo("revisjonsloggen er hel")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Brukernavn (f.eks. e-postadressen)")],
    name: Annotated[str, typer.Option("--name", help="Fullt navn")],
    role: Annotated[list[str], typer.Option("--role", help="editor, archivist eller admin; kan gjentas")],
    unit: Annotated[str | None, typer.Option("--unit", help="Enhet")] = None,
    by: ByOption = None,
) -> None:
    """Legg til en bruker."""
    from workflow.users import add_user

    with _database() as db:
        view = add_user(db, username, display_name=name, roles=role, unit=unit, by=f"cli:{_by(by)}")
    typer.echo(f"bruker lagt til: {view.username} ({view.display_name}; {', '.join(view.roles)})")


@user_app.command("list")
def user_list() -> None:
    """List brukerne."""
    from workflow.users import list_users

    with _database() as db:
        users = list_users(db)
    for view in users:
        typer.echo(f"{view.username:<40} {view.display_name:<30} {', '.join(view.roles):<20} {view.unit or ''}")


@account_app.command("add")
def account_add(
    platform: Annotated[str, typer.Argument(help="facebook, instagram, x, tiktok, linkedin, youtube")],
    handle: Annotated[str, typer.Argument(help="Kontoens navn slik adressene viser den")],
    name: Annotated[str, typer.Option("--name", help="Visningsnavn")],
    unit: Annotated[str, typer.Option("--unit", help="Enhet med redaktøransvar")],
    key: Annotated[str | None, typer.Option("--key", help="Lokal nøkkel (standard plattform-konto)")] = None,
    platform_id: Annotated[str | None, typer.Option("--id", help="Plattformens id for kontoen (API-et)")] = None,
    editor: Annotated[list[str] | None, typer.Option("--editor", help="Ansvarlig redaktør; kan gjentas")] = None,
    credentials: Annotated[str | None, typer.Option(
        "--credentials", help="Referanse til nøkkelen: env:NAVN, secret:NAVN eller settings:NAVN")] = None,
    arkivdel: Annotated[str | None, typer.Option("--arkivdel", help="Noark-arkivdel (standard innstillingen)")] = None,
    series: Annotated[str | None, typer.Option("--series", help="Noark-serie/klasse")] = None,
    by: ByOption = None,
) -> None:
    """Registrer en av kommunens kontoer (admin). Hele registeret: «somearkiv account import FIL»."""
    from workflow.accounts import add_account

    with _database() as db:
        view = add_account(db, platform, handle, name=name, owning_unit=unit, by=_by(by), key=key,
                           platform_id=platform_id, editors=tuple(editor or ()), credentials_ref=credentials,
                           noark_arkivdel=arkivdel, noark_series=series)
    typer.echo(f"konto lagt til: {view.platform}/{view.handle} ({view.name}, {view.owning_unit})")


@account_app.command("import")
def account_import(
    path: Annotated[Path, typer.Argument(help="Kontoregisteret som JSON eller YAML")],
    by: ByOption = None,
) -> None:
    """Les kontoregisteret fra fil inn i databasen (admin): nye kontoer opprettes, endrede oppdateres.

    Filen valideres først; én feil stopper hele importen, og ingenting endres."""
    from pipeline.accounts import import_registry
    from somearkiv.sources_commands import shown

    with _database() as db:
        changes = import_registry(db, path, by=_by(by))
    words = {"created": "opprettet", "updated": "oppdatert", "unchanged": "uendret"}
    for change in changes:
        detail = f" ({', '.join(change.fields)})" if change.fields else ""
        typer.echo(f"{shown(change.key)}: {words[change.change]}{detail}")
    counts = {w: sum(1 for c in changes if c.change == k) for k, w in words.items()}
    typer.echo(f"{len(changes)} kontoer: " + ", ".join(f"{n} {w}" for w, n in counts.items()))


@account_app.command("list")
def account_list() -> None:
    """List kontoene i registeret, med enhet, redaktører, nøkkelreferanse og arkivdel."""
    from somearkiv.sources_commands import account_lines

    with _database() as db:
        lines = account_lines(db, Settings().arkivdel_title)
    for line in lines:
        typer.echo(line)


@account_app.command("export")
def account_export(
    out: Annotated[Path | None, typer.Option("--out", help="Fil å skrive (standard: skjermen)")] = None,
) -> None:
    """Skriv kontoregisteret som JSON (samme format som «account import» leser; aldri nøklene selv)."""
    from pipeline.accounts import export_registry

    with _database() as db:
        text = export_registry(db)
    if out is None:
        typer.echo(text, nl=False)
        return
    temporary = out.with_name(f".{out.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(out)
    typer.echo(f"skrev {out}")


@crisis_app.command("declare")
def crisis_declare(
    title: Annotated[str, typer.Option("--title", help="Navn på krisen")],
    start: Annotated[str, typer.Option("--start", help="Start, ÅÅÅÅ-MM-DD[THH:MM] (norsk tid)")],
    account: Annotated[list[str], typer.Option("--account", help="plattform/konto; kan gjentas")],
    end: Annotated[str | None, typer.Option("--end", help="Slutt (tom: pågår)")] = None,
    by: ByOption = None,
) -> None:
    """Erklær en kriseperiode (admin): alle tråder fra kontoene i perioden blir arkivverdige."""
    from workflow.crisis import declare_crisis

    pairs = []
    for item in account:
        platform, sep, handle = item.partition("/")
        if not sep or not handle:
            raise _fail(f"--account {item!r}: bruk formen plattform/konto, f.eks. facebook/fjordvikkommune")
        pairs.append((platform, handle))
    ends = _moment(end, "--end") if end is not None else None
    with _database() as db:
        view = declare_crisis(db, title=title, starts_at=_moment(start, "--start"), ends_at=ends, accounts=pairs,
                              by=_by(by))
    typer.echo(f"kriseperiode #{view.id} erklært: {view.title}, {len(view.accounts)} kontoer")


@user_app.command("password")
def user_password(
    username: Annotated[str, typer.Argument(help="Brukernavnet")],
) -> None:
    """Sett passordet for innlogging i nettløsningen (leses fra standard inn, minst 12 tegn)."""
    import sys

    from web.auth import set_password

    password = sys.stdin.readline().rstrip("\n")
    set_password(_database(), username, password)
    typer.echo(f"passord satt for {username}")


@app.command()
def web(
    host: Annotated[str | None, typer.Option(help="Adresse (standard SOMEARKIV_WEB_HOST, 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (standard SOMEARKIV_WEB_PORT, 8040)")] = None,
) -> None:
    """Start nettløsningen for redaktører og arkivarer."""
    import uvicorn

    from pipeline.package_index import sync_index
    from storage.factory import open_sink
    from storage.timestamp import timestamper_for
    from web.app import create_app
    from web.config import web_config
    from web.kit import Deps

    settings = Settings()
    db = _database()
    sink = open_sink(settings.bucket, settings.s3())
    indexed = sync_index(db, sink)
    typer.echo(f"pakkeoversikt: {indexed.added} nye pakker fra {sink.url}")
    deps = Deps(config=web_config(settings), db=db, sink=sink, xsd_dir=settings.xsd_dir,
                retention=settings.retention(), timestamper=timestamper_for(settings.timestamps()),
                noark=settings.noark(),
                webhooks=settings.webhooks() if settings.meta_app_secret and settings.meta_webhook_verify_token
                else None)
    uvicorn.run(create_app(deps), host=host or settings.web_host, port=port or settings.web_port,
                log_level="warning", proxy_headers=False)


@app.command()
def moderate(
    target: Annotated[str, typer.Argument(help="Adressen til kommentaren, eller kommentar-id-en")],
    action: Annotated[str, typer.Option("--action", help="hide (skjul) eller delete (slett)")],
    reason: Annotated[str, typer.Option(
        "--reason", help="personsjikane, sensitive-personal-data, spam eller case-handling")],
    thread: Annotated[str | None, typer.Option(
        "--thread", help="Adressen til innlegget, når du oppgir en kommentar-id")] = None,
    bucket: BucketOption = None,
    by: ByOption = None,
) -> None:
    """Ta vare på en kommentar (innsamling og skjermbilde), og skjul eller slett den først da."""
    from flows.capture import lookup_credential
    from pipeline.accounts import registry_from_db
    from pipeline.moderation import ModerationConfig, ModerationRequest
    from pipeline.moderation import moderate as run_moderation
    from storage.audit import AuditLog
    from storage.timestamp import timestamper_for

    for text in (target, action, reason, thread or "", by or ""):
        if len(text) > MAX_ARGUMENT_CHARS:
            raise _fail(f"et argument er lengre enn {MAX_ARGUMENT_CHARS} tegn")
    sink, settings = _sink(bucket)
    log = AuditLog(sink, retention=settings.retention(), timestamper=timestamper_for(settings.timestamps()))
    request = ModerationRequest(target=target, action=action, reason=reason, by=_by(by), thread_url=thread)
    with _database() as db:
        config = ModerationConfig(capture_dir=settings.capture_dir, registry=registry_from_db(db).registry,
                                  sources=settings.sources(), media_policy=settings.media_policy())
        outcome = run_moderation(db, request, config, lookup_credential, audit_log=log)
    record = outcome.record
    done = {"hide": "skjult", "delete": "slettet"}[record.action]
    typer.echo(f"skjermbilde: {outcome.screenshot}")
    typer.echo(f"bevis: {outcome.manifest} (sha256 {record.evidence_sha256})")
    for warning in outcome.warnings:
        typer.echo(f"advarsel: {escape_unsafe(str(warning))}", err=True)
    if not outcome.done:
        typer.echo(f"feil: moderering #{record.id}: kommentar {escape_unsafe(outcome.comment_id)} i "
                   f"{outcome.thread_key} er IKKE {done}: {escape_unsafe(record.error or '')}; beviset er tatt vare på",
                   err=True)
        raise typer.Exit(code=EXIT_OPERATIONAL)
    typer.echo(f"moderering #{record.id}: kommentar {escape_unsafe(outcome.comment_id)} i {outcome.thread_key} "
               f"{done} av {record.requested_by} ({record.reason})")


OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Innsamlingsmappe (threads/, media/, evidence/); standard SOMEARKIV_CAPTURE_DIR"),
]


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="Eksportfil, mappe eller zip-fil fra plattformen")],
    out: OutOption = None,
    account: Annotated[str | None, typer.Option("--account", help="Kontoens nøkkel i kontoregisteret")] = None,
) -> None:
    """Importer plattformeksporter (kanonisk JSON, Facebook, Instagram, X-arkiv, YouTube Takeout).

    Eksporter inneholder bare kontoens egen aktivitet; rapporten sier det. Tråder som finnes i
    innsamlingsmappen fra før, overskrives ikke. Avslutter med 1 når en fil eller oppføring ikke kunne leses."""
    from somearkiv.sources_commands import run_import

    if path.exists() and not (path.is_file() or path.is_dir()):  # a FIFO or device would be read forever
        raise InputError(f"{path}: eksporten må være en vanlig fil, en zip-fil eller en mappe")
    settings = Settings()
    if account is None:
        result = run_import(path, out or settings.capture_dir)
    else:
        with _database() as db:
            result = run_import(path, out or settings.capture_dir, account_key=account, db=db)
    for line in result.lines:
        typer.echo(line)
    if result.problems:
        raise typer.Exit(code=EXIT_PROBLEMS_FOUND)


@app.command()
def capture(
    urls: Annotated[list[str] | None, typer.Argument(help="Adressen til innlegget, slik du limer den inn")] = None,
    account: Annotated[
        list[str] | None, typer.Option("--account", help="Hent kontoens nylige tråder på nytt (nøkkel); kan gjentas")
    ] = None,
    days: Annotated[int, typer.Option(min=1, max=36500, help="Med --account: tråder fra så mange dager")] = 14,
    out: OutOption = None,
    accounts_file: Annotated[
        Path | None, typer.Option("--accounts", help="Les kontoene fra denne filen i stedet for databasen")
    ] = None,
) -> None:
    """Hent tråder fra plattformene til innsamlingsmappen (Prefect-flyten capture-threads).

    Kontoene står i arbeidsflytdatabasen («somearkiv account import»). En ny henting sammenlignes med den
    forrige: kommentarer som er borte, beholdes og merkes, endret tekst blir en revisjon; en henting uten
    endringer gir ingen ny versjon. Avslutter med 1 når en tråd ikke kunne hentes."""
    from flows.capture import capture_threads, load_registry
    from somearkiv.prefect_server import temporary_prefect_server
    from somearkiv.sources_commands import capture_lines, refs_from_urls, shown

    settings = Settings()
    if not urls and not account:
        raise _fail("oppgi adressen til minst ett innlegg, eller --account KONTO")
    refs = refs_from_urls(urls or [])
    file = str(accounts_file) if accounts_file else None
    database_url = None if file else settings.workflow().database_url
    incomplete: list[str] = []
    known = {a.key for a in load_registry(settings, file, database_url, warn=incomplete.append).accounts}
    for line in incomplete:
        typer.echo(f"advarsel: {shown(line)}", err=True)
    for key in account or []:
        if key not in known:
            raise _fail(f"--account {shown(key)!r}: finnes ikke i kontoregisteret ({', '.join(sorted(known))})")
    root = out or settings.capture_dir
    with temporary_prefect_server():
        state = capture_threads(
            refs=refs or None, recapture_days=days if account else None, capture_dir=str(root),
            accounts_file=file, accounts=account or None, database_url=database_url, return_state=True,
        )
        if not state.is_completed():
            raise InputError(shown(state.message or "innhentingen stoppet"))
        outcomes = state.result()
    result = capture_lines(outcomes if isinstance(outcomes, list) else [])
    for line in result.lines:
        typer.echo(line)
    typer.echo(f"Innsamlingsmappe: {shown(str(root))}")
    if result.problems:
        raise typer.Exit(code=EXIT_PROBLEMS_FOUND)


def main() -> None:  # pragma: no cover - console entry
    app()
