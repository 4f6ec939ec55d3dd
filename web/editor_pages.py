"""Editor pages: candidates to confirm or dismiss, and the moderation log of my unit's accounts."""


import json
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from schemas.errors import SomearkivError, StorageError
from schemas.refs import ThreadRef
from schemas.thread import FlagKind, Platform
from storage.base import check_package_id
from web.auth import Person
from web.candidates_view import CAPTURE_PATH, CandidateScores, candidates
from web.kit import Kit, flag_kind
from web.safe_titles import SafeTitles
from workflow.candidate_review import dismiss_candidate
from workflow.flags import FlagExistsError, FlagRequest, flag_thread
from workflow.models import Role
from workflow.moderation_log import moderation_for_units
from workflow.packages import PackageRow, get_package

MODERATION_STATE_LABELS = {"requested": "bestilt", "captured": "bevis lagret", "done": "utført", "failed": "feilet"}
MODERATION_ACTION_LABELS = {"hide": "skjult", "delete": "slettet"}
MODERATION_REASON_LABELS = {"personsjikane": "personsjikane", "sensitive_personal_data": "sensitive personopplysninger",
                            "spam": "spam", "case_handling": "saksbehandling"}


def register(app: FastAPI, kit: Kit, scores: CandidateScores, titles: SafeTitles) -> None:
    deps = kit.deps
    Me = Annotated[Person, Depends(kit.person)]  # noqa: N806 - a type alias

    def flagger(who: Me) -> Person:
        if not (who.has(Role.EDITOR) or who.has(Role.ADMIN)):
            raise HTTPException(403, "bare redaktører kan flagge")
        return who

    Flagger = Annotated[Person, Depends(flagger)]  # noqa: N806 - a type alias

    def _candidate_page(request: Request, who: Person, melding: str | None = None, status_code: int = 200
                        ) -> Response:
        found = candidates(deps.db, scores, kit.visible_units(who) if not who.has(Role.ADMIN) else None)
        return kit.render(request, "candidates.html", status_code, candidates=found, melding=melding,
                          kinds=list(FlagKind), titles={c.row.package_id: titles.of(c.row) for c in found})

    def _own_package(who: Person, package_id: str) -> PackageRow:
        try:
            check_package_id(package_id)
        except StorageError:
            raise HTTPException(404, "ingen slik pakke") from None
        row = get_package(deps.db, package_id)
        units = None if who.has(Role.ADMIN) else kit.visible_units(who)
        if row is None or (units is not None and row.owning_unit not in units):
            raise HTTPException(404, "ingen slik pakke")
        return row

    @app.get("/kandidater", response_class=HTMLResponse)
    def candidate_list(request: Request, who: Flagger) -> Response:
        return _candidate_page(request, who)

    @app.post("/kandidater/bekreft", response_class=HTMLResponse)
    async def confirm(request: Request, who: Flagger) -> Response:
        form = await kit.checked_form(request)
        row = _own_package(who, form.get("pakke", ""))
        try:
            capture = json.loads(deps.sink.read_bytes(row.package_id, CAPTURE_PATH))
            manifest = deps.sink.read_manifest(row.package_id)
            account = (capture.get("account") or {}).get("id") or (capture.get("account") or {}).get("handle")
            ref = ThreadRef(Platform(row.platform), manifest.thread_id, account=account or None,
                            url=capture.get("url") or None)
            case = form.get("saksnummer", "").strip() or None
            kind = flag_kind(form.get("type", FlagKind.ARCHIVE_WORTHY.value))
            made = flag_thread(deps.db, FlagRequest(
                ref=ref, kind=kind, by=who.username, case_number=case,
                new_case_title=None if case or kind != FlagKind.JOURNAL_REQUIRED else titles.of(row),
                reason=form.get("grunn", "").strip() or "kandidat: ber om innspill", origin="candidate"))
            message = f"Flagget: {made.describe()}"
        except FlagExistsError as exc:
            message = str(exc)
        except (SomearkivError, ValueError) as exc:
            return _candidate_page(request, who, f"Ikke flagget: {exc}", 400)
        except (AttributeError, TypeError):  # a capture that is not the expected JSON object
            return _candidate_page(request, who, "Ikke flagget: pakkens tråd kunne ikke leses", 400)
        return _candidate_page(request, who, message)

    @app.post("/kandidater/avvis", response_class=HTMLResponse)
    async def dismiss(request: Request, who: Flagger) -> Response:
        form = await kit.checked_form(request)
        row = _own_package(who, form.get("pakke", ""))
        try:
            done = dismiss_candidate(deps.db, row.thread_key, by=who.username,
                                     reason=form.get("grunn", "").strip() or None)
        except SomearkivError as exc:
            return _candidate_page(request, who, f"Ikke avvist: {exc}", 400)
        return _candidate_page(request, who, "Forslaget er avvist." if done else "Forslaget var allerede avvist.")

    @app.get("/moderering", response_class=HTMLResponse)
    def moderation(request: Request, who: Me) -> Response:
        units = None if who.can_review or who.has(Role.ADMIN) else kit.visible_units(who)
        return kit.render(request, "moderation.html", actions=moderation_for_units(deps.db, units),
                          states=MODERATION_STATE_LABELS, action_labels=MODERATION_ACTION_LABELS,
                          reasons=MODERATION_REASON_LABELS)
