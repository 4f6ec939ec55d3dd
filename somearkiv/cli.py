"""The ``somearkiv`` command line (messages for editors and archivists in Norwegian bokmål)."""

from __future__ import annotations

import os

# Keep Prefect on this machine and quiet, before anything imports it.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import click
import typer
from typer.core import TyperGroup

from pipeline.settings import Settings
from schemas.errors import InputError, SomearkivError
from schemas.text import escape_unsafe

if TYPE_CHECKING:
    from storage.base import Sink

EXIT_PROBLEMS_FOUND = 1  # the check ran and found problems
EXIT_OPERATIONAL = 2  # bad configuration or input, unreachable bucket, missing file
MAX_ARGUMENT_CHARS = 4096


class _ErrorBoundary(TyperGroup):
    """The CLI's one error boundary: a known error is one Norwegian line on stderr and exit status 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SomearkivError as exc:
            typer.echo(f"feil: {exc}", err=True)
            raise typer.Exit(code=EXIT_OPERATIONAL) from None
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            typer.echo(f"feil: {exc.strerror or exc}{where}", err=True)
            raise typer.Exit(code=EXIT_OPERATIONAL) from None


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
    with temporary_prefect_server():
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
    """Eksporter de medfølgende eksempeltrådene til arkivbøtta (Prefect-flyt, lokal som standard)."""
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
    return open_sink(bucket or settings.bucket, settings.s3()), settings


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

    sink, settings = _sink(bucket)
    record = approve_package(
        sink, package_id, approved=not reject, by=by, comment=comment, retention=settings.retention()
    )
    if record.approved and record.retention:
        typer.echo(
            f"godkjent: {package_id} av {record.by}; låst ({record.retention.mode}) til "
            f"{record.retention.retain_until:%d.%m.%Y}, {len(record.locked)} objekter"
        )
    else:
        typer.echo(f"avvist: {package_id} av {record.by}: {record.comment}")


@app.command()
def verify(bucket_url: Annotated[str | None, typer.Argument(help="Arkivbøtte å kontrollere")] = None) -> None:
    """Fixitetskontroll: les alle pakker på nytt og sammenlign SHA-256 med manifestet."""
    from storage.fixity import verify_bucket

    sink, _ = _sink(bucket_url)
    report = verify_bucket(sink)
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
) -> None:
    """Lag et Noark 5-arkivuttrekk (avleveringspakke) av pakkene i perioden, og valider det."""
    from noark.uttrekk import build_uttrekk
    from pipeline.review import review_status

    if status not in {"all", "approved", "rejected", "pending"}:
        raise _fail(f"--status {status!r}: bruk all, approved, rejected eller pending")
    sink, settings = _sink(bucket)
    xsd_dir = settings.require_xsd_dir()
    try:
        result = build_uttrekk(
            sink,
            out,
            date_from=(date_from or datetime(1900, 1, 1)).date(),
            date_to=(date_to or datetime.now()).date(),
            status=status,
            status_of=lambda package_id: review_status(sink, package_id),
            ctx=settings.noark(),
            xsd_dir=xsd_dir,
        )
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    for warning in result.warnings:
        typer.echo(f"advarsel: {warning}")
    typer.echo(
        f"uttrekk i {result.out_dir}: {len(result.package_ids)} pakker, {result.mapper} mapper, "
        f"{result.journalposter} journalposter, {result.dokumentfiler} dokumentfiler"
    )
    if result.report is not None:
        typer.echo(result.report.to_text())
        if not result.report.ok:
            raise typer.Exit(code=EXIT_PROBLEMS_FOUND)


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

    settings = Settings()
    cover = CoverInfo(
        flag_label=flag_label, case_number=case_number, journalpost_id=None, capture_sha256=sha256_file(capture)
    )
    result = render_capture_pdf(capture, out, cover=cover, media_dir=media, pdfa_part=settings.pdfa_part)
    for warning in result.warnings:
        typer.echo(f"advarsel: {warning}")
    typer.echo(f"skrev {out}: {result.pages} sider, {result.size} byte, PDF/A-{settings.pdfa_part}b")


@app.command("create-bucket")
def create_bucket(name: Annotated[str, typer.Argument(help="S3-bøttenavn")]) -> None:
    """Opprett en S3-bøtte med Object Lock (for prøving mot moto/MinIO; se README)."""
    from storage.s3 import create_lock_bucket

    create_lock_bucket(name, Settings().s3())
    typer.echo(f"opprettet s3://{name} med Object Lock")


def main() -> None:  # pragma: no cover - console entry
    app()
