"""``flags.json`` (a JSON list of ``schemas.thread.Flag``) imported into the workflow database.

Each entry is checked on its own: a bad entry becomes a finding and the others go on; an entry for a thread
that already has a live flag is reported as existing, not duplicated. The URL parser is passed in by the
caller (``sources.urls.parse_thread_url``; ``sources`` and ``workflow`` are siblings and don't import each other).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from schemas.errors import InputError, WorkflowError
from schemas.field_errors import field_problems
from schemas.findings import Finding
from schemas.refs import ThreadRef
from schemas.strict_json import unique_keys
from schemas.thread import Flag as FlagRecord
from schemas.thread import FlagKind
from workflow import audit
from workflow.db import Database
from workflow.flags import FlagRequest, FlagView, flag_thread

MAX_FLAGS_FILE = 20 * 1024 * 1024
@dataclass
class ImportReport:
    created: list[FlagView] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def import_flags_file(
    db: Database, path: Path, *, parse_url: Callable[[str], ThreadRef], by: str
) -> ImportReport:
    """Import every flag of ``path``; the whole file being unreadable is an InputError."""
    if not path.is_file():  # a device or FIFO would be read forever
        raise InputError(f"{path}: flaggfilen må være en vanlig fil")
    with path.open("rb") as handle:
        raw = handle.read(MAX_FLAGS_FILE + 1)
    if len(raw) > MAX_FLAGS_FILE:
        raise InputError(f"{path}: flaggfilen er større enn {MAX_FLAGS_FILE // (1024 * 1024)} MB")
    try:
        data = json.loads(raw, object_pairs_hook=unique_keys)  # a key twice is an error, not last-wins
    except (ValueError, RecursionError) as exc:  # ValueError: also invalid UTF-8 and numbers over 4300 digits
        raise InputError(f"{path}: ikke gyldig JSON: {exc}") from None
    if not isinstance(data, list):
        raise InputError(f"{path}: forventet en JSON-liste med flagg")
    report = ImportReport()
    for index, item in enumerate(data):
        where = f"{path.name}[{index}]"
        try:
            record = FlagRecord.model_validate(item)
            ref = parse_url(record.thread_url)
            view = flag_thread(db, FlagRequest(
                ref=ref, kind=FlagKind(record.kind), by=record.flagged_by, case_number=record.case_number,
                new_case_title=record.case_title, note=record.note, origin="import", flagged_at=record.flagged_at,
            ), check_user=False)
            report.created.append(view)
        except ValidationError as exc:
            fields = "; ".join(field_problems(exc))
            report.findings.append(Finding("flagg-ugyldig", fields, where))
        except WorkflowError as exc:
            report.existing.append(str(exc))
            report.findings.append(Finding("flagg-finnes", str(exc), where, severity="info"))
        except InputError as exc:
            report.findings.append(Finding("flagg-ugyldig", str(exc), where))
    with db.transaction() as session:
        audit.append(session, actor=by, action="flags.import", entity=f"file:{path.name}", data={
            "created": [v.id for v in report.created], "existing": len(report.existing),
            "errors": len([f for f in report.findings if f.severity == "error"]),
        })
    return report


