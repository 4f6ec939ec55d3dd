"""Avleveringspakke (Noark 5 v5.0 uttrekk) from the complete packages in a bucket.

Three steps: ``select`` reads only manifests (one small ``PackageRow`` per package); ``plan_uttrekk`` decides,
without any I/O, which packages go in, in which mappe, with which journal and case numbers (from a
``NumberProvider``) and for which period; ``write_uttrekk`` streams the files, one package's arkivstruktur.xml
in memory at a time. ``build_uttrekk`` runs the three and, by default, validates the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from noark.model import NoarkContext
from noark.uttrekk.numbering import (
    CaseNumber,
    ExtractionNumbering,
    JournalNumber,
    NumberProvider,
    NumberRequest,
    UttrekkError,
)
from noark.uttrekk.plan import PackageRow, UttrekkPlan, package_row, plan_uttrekk
from noark.uttrekk.write import SCHEMA_FILES, PackageSource, UttrekkResult, write_uttrekk
from noark.validate import validate_path

StatusOf = Callable[[str], str]

__all__ = [
    "SCHEMA_FILES",
    "CaseNumber",
    "ExtractionNumbering",
    "JournalNumber",
    "NumberProvider",
    "NumberRequest",
    "PackageRow",
    "PackageSource",
    "UttrekkError",
    "UttrekkPlan",
    "UttrekkResult",
    "build_uttrekk",
    "plan_uttrekk",
    "select",
]


def select(
    source: PackageSource,
    *,
    ctx: NoarkContext,
    date_from: date,
    date_to: date,
    status: str = "all",
    status_of: StatusOf | None = None,
) -> Iterator[PackageRow]:
    """One row per complete package exported within the period whose review status matches (``status`` "all"
    takes every package); reads manifests only."""
    if status != "all" and status_of is None:
        raise ValueError(f"status {status!r} needs a status_of(package_id) callable (the review step's record)")
    for package_id in source.list_packages():
        row = package_row(source.read_manifest(package_id), ctx)
        if not date_from <= row.journaldato <= date_to:
            continue
        if status != "all" and status_of is not None and status_of(package_id) != status:
            continue
        yield row


def build_uttrekk(
    source: PackageSource,
    out_dir: Path,
    *,
    date_from: date,
    date_to: date,
    status: str = "all",
    ctx: NoarkContext,
    xsd_dir: Path,
    status_of: StatusOf | None = None,
    now: datetime | None = None,
    validate: bool = True,
    numbering: NumberProvider | None = None,
) -> UttrekkResult:
    """Writes the uttrekk into ``out_dir`` (must be empty or absent) and, by default, validates it.

    ``status`` "all" takes every complete package; any other value keeps packages whose
    ``status_of(package_id)`` equals it (the hook for the review/approval record). ``numbering`` hands out
    journal and new-case numbers (default: ``ExtractionNumbering``, numbers within this extraction).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UttrekkError(f"mappen {out_dir} er ikke tom")
    rows = select(source, ctx=ctx, date_from=date_from, date_to=date_to, status=status, status_of=status_of)
    plan = plan_uttrekk(rows, date_from=date_from, date_to=date_to, numbering=numbering)
    if plan is None:
        raise UttrekkError(f"ingen komplette pakker mellom {date_from} og {date_to} (status {status})")
    out_dir.mkdir(parents=True, exist_ok=True)
    result = write_uttrekk(source, out_dir, plan, ctx=ctx, xsd_dir=xsd_dir, now=now or datetime.now(UTC))
    if validate:
        result.report = validate_path(out_dir, xsd_dir)
    return result
