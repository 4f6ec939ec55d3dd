"""Archivist: build a Noark 5 uttrekk for a period from the app and download its validation report.

The uttrekk is built synchronously (``noark.uttrekk.build_uttrekk``, as ``somearkiv uttrekk`` calls it) into
``<cache>/uttrekk/<id>/``, where ``<id>`` is made here (time + random), never taken from a request. Each
build is an audit event.
"""


import json
import re
import secrets
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from noark.uttrekk import build_uttrekk
from pipeline.review import review_status
from schemas.errors import ConfigError, InputError, SomearkivError
from web.auth import Person
from web.kit import Kit
from workflow import audit

BUILD_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$")
STATUSES = {"all": "alle", "approved": "godkjente", "pending": "til gjennomgang", "rejected": "avviste"}
REPORT = "valideringsrapport.txt"
SUMMARY = "sammendrag.json"


def _day(value: str, name: str) -> date:
    text = value.strip()
    if not text:
        return date(1900, 1, 1)
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name}: bruk formen ÅÅÅÅ-MM-DD") from None


def register(app: FastAPI, kit: Kit) -> None:
    deps = kit.deps
    Reviewer = Annotated[Person, Depends(kit.reviewer)]  # noqa: N806 - a type alias
    root = deps.config.cache_dir / "uttrekk"

    def builds() -> list[dict[str, object]]:
        found = []
        if root.is_dir():
            for folder in sorted(root.iterdir(), reverse=True):
                summary = folder / SUMMARY
                if BUILD_ID.match(folder.name) and summary.is_file():
                    found.append({"id": folder.name, **json.loads(summary.read_text(encoding="utf-8"))})
        return found[:50]

    def page(request: Request, melding: str | None = None, status_code: int = 200,
             form: dict[str, str] | None = None) -> Response:
        return kit.render(request, "uttrekk.html", status_code, builds=builds(), statuses=STATUSES,
                          melding=melding, form=form or {})

    @app.get("/uttrekk", response_class=HTMLResponse)
    def uttrekk_page(request: Request, who: Reviewer) -> Response:
        return page(request)

    @app.post("/uttrekk", response_class=HTMLResponse)
    async def uttrekk_build(request: Request, who: Reviewer) -> Response:
        form = await kit.checked_form(request)
        status = form.get("status", "all")
        try:
            if status not in STATUSES:
                raise InputError("ukjent status")
            if deps.noark is None or deps.xsd_dir is None:
                raise ConfigError("uttrekk krever SOMEARKIV_XSD_DIR og Noark-innstillingene")
            start, end = _day(form.get("fra", ""), "fra"), _day(form.get("til", ""), "til")
            if not form.get("til", "").strip():
                end = datetime.now(UTC).date()
            if end < start:
                raise InputError("til-datoen er før fra-datoen")
            build_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
            out = root / build_id / "uttrekk"
            result = build_uttrekk(deps.sink, out, date_from=start, date_to=end, status=status,
                                   status_of=lambda package_id: review_status(deps.sink, package_id),
                                   ctx=deps.noark, xsd_dir=deps.xsd_dir)
        except (SomearkivError, ValueError) as exc:
            return page(request, f"Uttrekket ble ikke laget: {exc}", 400, form)
        report = result.report
        text = "\n".join([*(f"advarsel: {w}" for w in result.warnings), report.to_text() if report else ""])
        summary = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "by": who.username,
                   "from": start.isoformat(), "to": end.isoformat(), "status": status,
                   "packages": len(result.package_ids), "mapper": result.mapper,
                   "journalposter": result.journalposter, "dokumentfiler": result.dokumentfiler,
                   "ok": bool(report is None or report.ok)}
        folder = root / build_id
        (folder / REPORT).write_text(text + "\n", encoding="utf-8")
        (folder / SUMMARY).write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
        with deps.db.transaction() as session:
            audit.append(session, actor=who.username, action="uttrekk.build", entity=f"uttrekk:{build_id}",
                         data={k: v for k, v in summary.items() if k not in {"at", "by"}})
        return RedirectResponse(f"/uttrekk#uttrekk-{build_id}", 303)

    @app.get("/uttrekk/{build_id}/valideringsrapport.txt")
    def uttrekk_report(build_id: str, who: Reviewer) -> Response:
        path: Path = root / build_id / REPORT
        if not BUILD_ID.match(build_id) or not path.is_file():
            raise HTTPException(404, "ingen slik rapport")
        return PlainTextResponse(path.read_text(encoding="utf-8"), headers={
            "Content-Disposition": f'attachment; filename="valideringsrapport-{build_id}.txt"'})
