"""The ``somearkiv`` command line (messages for editors and archivists in Norwegian bokmål)."""

from __future__ import annotations

import os

# Keep Prefect on this machine and quiet, before anything imports it.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from pathlib import Path  # noqa: E402
from typing import Annotated  # noqa: E402

import typer  # noqa: E402

from somearkiv.settings import Settings  # noqa: E402

app = typer.Typer(
    help="somearkiv: arkivering og journalføring av kommunens dialog i sosiale medier.",
    no_args_is_help=True,
    add_completion=False,
)

BucketOption = Annotated[
    str | None,
    typer.Option("--bucket", help="Arkivbøtte: mappe, file:///sti eller s3://bøtte/prefiks (standard ./archive-bucket)"),
]


def _run_export(bucket: str | None, source: Path | None, threads: list[str] | None) -> None:
    from flows.export import export_threads

    settings = Settings()
    bucket_url = bucket or settings.bucket
    run = export_threads(bucket=bucket_url, source_dir=str(source) if source else None, threads=threads or None)
    for result in run.results:
        typer.echo(f"{'skrevet' if result.status == 'written' else 'uendret'}  {result.url}")
        typer.echo(f"         {result.title}")
        typer.echo(f"         {result.summary()}")
        for warning in result.warnings:
            typer.echo(f"         advarsel: {warning}")
    for key, message in run.failures:
        typer.echo(f"FEILET   {key}: {message}", err=True)
    written = sum(1 for r in run.results if r.status == "written")
    typer.echo(
        f"\n{written} pakke(r) skrevet, {len(run.results) - written} uendret, {len(run.failures)} feilet."
        f"\nPakkene ligger i {bucket_url}"
    )
    if run.failures:
        raise typer.Exit(code=1)


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


def main() -> None:  # pragma: no cover - console entry
    app()
