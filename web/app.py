"""The web app: editors flag and follow their threads, archivists review and approve packages.

Server-rendered pages (FastAPI + Jinja2), Norwegian bokmål with Noark's own words, no front-end build, no
external resources. ``create_app`` gets everything it needs as typed pieces; ``somearkiv web`` builds them
from the settings and serves the app on 127.0.0.1 by default.
"""


from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from flows.flag_events import emit_flagged_async
from pipeline.rerender import RerenderConfig
from pipeline.review import approve_package
from schemas.errors import InputError, SomearkivError, StorageError
from schemas.refs import ThreadRef
from schemas.thread import FLAG_KIND_LABELS, PLATFORM_LABELS, FlagKind, Platform
from sources.urls import parse_thread_url
from sources.webhooks import WebhookJournal, webhook_router
from storage.base import check_package_id
from web import admin_pages, editor_pages, uttrekk_pages
from web import api as flag_api
from web.auth import (
    CSRF_FIELD,
    CSRF_HEADER,
    Person,
    Session,
    Sessions,
    check_password,
    csrf_ok,
    load_person,
    proxy_user,
)
from web.candidates_view import CandidateScores
from web.delivery_view import delivery_view
from web.kit import Deps, Kit, flag_kind
from web.overview import overview
from web.package_view import build_view, page_image, public_noark
from web.safe_titles import SafeTitles
from web.screening_view import load_thread, record_hit_decision, screening_view
from web.security import SecurityHeaders
from workflow.accounts import noark_targets
from workflow.flags import FlagExistsError, FlagFilter, FlagRequest, find_flag, flag_thread, list_flags, set_status
from workflow.models import FLAG_STATUS_LABELS, FlagStatus, Role
from workflow.packages import (
    REVIEW_STATUS_LABELS,
    PackageFilter,
    PackageRow,
    facet_values,
    get_package,
    query_packages,
    record_decision,
    versions_of,
)

HERE = Path(__file__).parent
WEBHOOK_PREFIX = "/webhooks/meta"
JSON_PATHS = ("/api/", WEBHOOK_PREFIX)
FORM_MAX_BYTES = 64 * 1024
PAGE_SIZE = 25
MAX_PAGE = 100_000  # 2.5 million packages; bounded so the database never sees an offset it can't hold


class NotSignedInError(Exception):
    """Raised by the page dependencies; answered with a redirect to the sign-in page."""


class CsrfRefusedError(Exception):
    """A state-changing request without the session's CSRF token."""


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (bounded), one value per field."""
    body = await request.body()
    if len(body) > FORM_MAX_BYTES:
        raise HTTPException(413, "skjemaet er for stort")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50, strict_parsing=False,
                          errors="strict")  # invalid UTF-8 in an escape (a lone surrogate) is refused, not replaced
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "skjemaet kunne ikke leses") from None
    return {key: values[-1] for key, values in fields.items()}


def local_target(target: str) -> str:
    """``target`` when it is a path on this site, else ``/``. Browsers read ``/\\host`` like ``//host`` and drop
    tabs and newlines from a URL, so those would redirect to another site after sign-in."""
    if (not target.startswith("/") or len(target) > 2000 or target[1:2] in {"/", "\\"}
            or any(ch.isspace() or ch == "\\" or not ch.isprintable() for ch in target)):
        return "/"
    return target


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"ugyldig dato {value[:40]!r}: bruk ÅÅÅÅ-MM-DD") from None


def create_app(deps: Deps) -> FastAPI:
    app = FastAPI(title="somearkiv", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(
        PLATFORM_LABELS={p.value: label for p, label in PLATFORM_LABELS.items()},
        FLAG_KIND_LABELS={k.value: label for k, label in FLAG_KIND_LABELS.items()},
        FLAG_STATUS_LABELS={s.value: label for s, label in FLAG_STATUS_LABELS.items()},
        REVIEW_STATUS_LABELS=REVIEW_STATUS_LABELS,
        CSRF_FIELD=CSRF_FIELD,
    )
    sessions = Sessions(deps.config)

    # -- sessions and people ----------------------------------------------------------------------

    def session_of(request: Request) -> Session:
        found = sessions.read(request)
        via_proxy = proxy_user(deps.config, request)
        if via_proxy is not None and (found is None or found.username != via_proxy):
            found = Sessions.new(via_proxy)
            request.state.new_session = found
        if found is None:
            found = Sessions.new()
            request.state.new_session = found
        return found

    def person(request: Request) -> Person:
        current = session_of(request)
        who = load_person(deps.db, current.username) if current.username else None
        if who is None:
            raise NotSignedInError
        request.state.person = who
        return who

    Me = Annotated[Person, Depends(person)]  # noqa: N806 - a type alias

    def reviewer(who: Me) -> Person:
        if not who.can_review:
            raise HTTPException(403, "bare arkivarer kan gjøre dette")
        return who

    Reviewer = Annotated[Person, Depends(reviewer)]  # noqa: N806 - a type alias

    def admin(who: Me) -> Person:
        if not who.has(Role.ADMIN):
            raise HTTPException(403, "bare administratorer kan gjøre dette")
        return who

    async def checked_form(request: Request) -> dict[str, str]:
        form = await read_form(request)
        if not csrf_ok(sessions.read(request), form.get(CSRF_FIELD)):
            raise CsrfRefusedError
        return form

    def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        current = session_of(request)
        context.setdefault("person", getattr(request.state, "person", None))
        response = templates.TemplateResponse(request, name, {"csrf": current.csrf, **context},
                                              status_code=status_code)
        new = getattr(request.state, "new_session", None)
        if new is not None:
            sessions.write(response, new)
        return response

    def visible_units(who: Person) -> tuple[str, ...] | None:
        """None: every unit (archivists); an editor sees only their own unit's packages."""
        return None if who.can_review else ((who.unit,) if who.unit else ())

    def package_for(who: Person, package_id: str) -> PackageRow:
        try:
            check_package_id(package_id)
        except StorageError:
            raise HTTPException(404, "ingen slik pakke") from None
        row = get_package(deps.db, package_id)
        units = visible_units(who)
        if row is None or (units is not None and row.owning_unit not in units):
            raise HTTPException(404, "ingen slik pakke")
        return row

    # -- errors -----------------------------------------------------------------------------------

    @app.exception_handler(NotSignedInError)
    async def _not_signed_in(request: Request, exc: NotSignedInError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "ikke innlogget"}, status_code=401)
        return RedirectResponse("/logg-inn?" + urlencode({"neste": request.url.path}), status_code=303)

    @app.exception_handler(CsrfRefusedError)
    async def _csrf(request: Request, exc: CsrfRefusedError) -> Response:
        return render(request, "error.html", 403, title="Skjemaet ble avvist",
                      message="Skjemaet manglet en gyldig sikkerhetsnøkkel (CSRF). Last siden på nytt og prøv igjen.")

    @app.exception_handler(StarletteHTTPException)  # also Starlette's own 404/405, not only ours
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = flag_api.norwegian_detail(exc.status_code, exc.detail)
        if request.url.path.startswith(JSON_PATHS):
            return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)
        return render(request, "error.html", exc.status_code, title="Noe gikk galt", message=detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith(JSON_PATHS):
            return flag_api.validation_response(request, exc)
        return render(request, "error.html", 400, title="Det gikk ikke", message=flag_api.validation_detail(exc))

    @app.exception_handler(SomearkivError)
    async def _known(request: Request, exc: SomearkivError) -> Response:
        if request.url.path.startswith("/api/"):
            return flag_api.error_response(exc)
        return render(request, "error.html", 400, title="Det gikk ikke", message=str(exc))

    # -- the flag API, with the signed-in user --------------------------------------------------------

    def api_user(request: Request) -> str:
        current = sessions.read(request)
        via_proxy = proxy_user(deps.config, request)
        username = via_proxy or (current.username if current else None)
        if not username or load_person(deps.db, username) is None:
            raise HTTPException(401, "ikke innlogget")
        if request.method not in {"GET", "HEAD"} and via_proxy is None and not csrf_ok(
            current, request.headers.get(CSRF_HEADER)
        ):
            raise HTTPException(403, f"mangler {CSRF_HEADER}")
        return username

    if deps.webhooks is not None:  # Meta's signed deliveries: no session, no CSRF (the signature is the check)
        secret, verify_token, journal = deps.webhooks
        app.include_router(webhook_router(secret, verify_token, WebhookJournal(journal), prefix=WEBHOOK_PREFIX))

    app.include_router(flag_api.router(deps.db), dependencies=[Depends(api_user)])
    app.dependency_overrides[flag_api.current_user] = api_user

    # -- sign-in ----------------------------------------------------------------------------------

    @app.get("/logg-inn", response_class=HTMLResponse)
    def login_page(request: Request, neste: str = "/") -> Response:
        return render(request, "login.html", neste=local_target(neste),
                      proxy=deps.config.auth == "proxy")

    @app.post("/logg-inn")
    async def login(request: Request) -> Response:
        form = await checked_form(request)
        who = check_password(deps.db, form.get("brukernavn", "").strip(), form.get("passord", ""))
        if who is None or deps.config.auth != "password":
            return render(request, "login.html", 401, neste=local_target(form.get("neste", "/")), feil=True,
                          proxy=deps.config.auth == "proxy")
        response = RedirectResponse(local_target(form.get("neste", "/")), 303)
        sessions.write(response, Sessions.new(who.username))
        return response

    @app.post("/logg-ut")
    async def logout(request: Request) -> Response:
        await checked_form(request)
        response = RedirectResponse("/logg-inn", 303)
        Sessions.clear(response)
        return response

    # -- start page -------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def start(request: Request, who: Me) -> Response:
        units = visible_units(who)
        queue = query_packages(deps.db, PackageFilter(units=units), page=1, page_size=1)
        return render(request, "start.html", queue=queue,
                      overview=overview(deps, who, None if who.has(Role.ADMIN) else units, scores))

    # -- editor: flags ----------------------------------------------------------------------------

    @app.get("/flagg", response_class=HTMLResponse)
    def my_flags(request: Request, who: Me) -> Response:
        flags = list_flags(deps.db, FlagFilter(flagged_by=who.username, limit=1000))
        return render(request, "flags.html", flags=flags, kinds=list(FlagKind), form={}, melding=None)

    @app.post("/flagg", response_class=HTMLResponse)
    async def flag(request: Request, who: Me) -> Response:
        form = await checked_form(request)
        message: str | None = None
        try:
            ref: ThreadRef = parse_thread_url(form.get("url", ""))
            case = form.get("saksnummer", "").strip() or None
            view = flag_thread(deps.db, FlagRequest(
                ref=ref, kind=flag_kind(form.get("type", FlagKind.JOURNAL_REQUIRED.value)), by=who.username,
                case_number=case, new_case_title=None if case else (form.get("sakstittel", "").strip() or None),
                reason=form.get("grunn", "").strip() or None, deadline=_date(form.get("frist")), origin="web",
            ))
            message = f"Flagget: {view.describe()}"
            form = {}
            try:  # after the flag's transaction: the on-demand deployment exports it within minutes
                if await emit_flagged_async(view):
                    message += " Eksporten er satt i gang."
            except SomearkivError as exc:
                message += f" (Eksporten starter ved neste nattlige kjøring: {exc})"
        except FlagExistsError as exc:
            message = str(exc)
        except (SomearkivError, ValueError) as exc:
            message = f"Ikke flagget: {exc}"
        flags = list_flags(deps.db, FlagFilter(flagged_by=who.username, limit=1000))
        return render(request, "flags.html", flags=flags, kinds=list(FlagKind), form=form, melding=message)

    # -- archivist: the review queue and the package page ----------------------------------------------

    @app.get("/gjennomgang", response_class=HTMLResponse)
    def queue(
        request: Request,
        who: Me,
        status: str = "pending",
        plattform: str = "",
        konto: str = "",
        enhet: str = "",
        saksnummer: str = "",
        fra: str = "",
        til: str = "",
        side: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    ) -> Response:
        chosen = PackageFilter(
            status=status if status in REVIEW_STATUS_LABELS else None,
            platform=plattform or None, account=konto or None, owning_unit=enhet or None,
            case_number=saksnummer.strip() or None, exported_from=_date(fra), exported_to=_date(til),
            units=visible_units(who),
        )
        page = query_packages(deps.db, chosen, page=side, page_size=PAGE_SIZE)
        params = {"status": status, "plattform": plattform, "konto": konto, "enhet": enhet,
                  "saksnummer": saksnummer, "fra": fra, "til": til}
        shown = {r.package_id: (r.title if who.can_review else titles.of(r)) for r in page.rows}
        return render(request, "queue.html", page=page, facets=facet_values(deps.db), params=params, titles=shown,
                      link=lambda **change: "/gjennomgang?" + urlencode({**params, **change}))

    def _skjermet_for(who: Person, row: PackageRow, skjermet: bool) -> bool:
        """True: this person must not see the package's full content (skjermet, and not an archivist)."""
        return (row.sensitive or skjermet) and not who.can_review

    def _package_page(request: Request, who: Person, row: PackageRow, melding: str | None = None,
                      status_code: int = 200) -> Response:
        package_id = row.package_id
        view = build_view(deps.sink, package_id, deps.config.cache_dir, deps.xsd_dir)
        thread = load_thread(view.folder)
        screening = screening_view(deps.sink, package_id, view.folder, thread, show_restricted_context=who.can_review)
        hidden = _skjermet_for(who, row, screening.skjermet or screening.problem is not None)
        flag = find_flag(deps.db, ThreadRef(Platform(row.platform), view.manifest.thread_id))
        versions = versions_of(deps.db, row.thread_key)
        if hidden:
            pages, variant = list(range(1, view.redacted_pages + 1)), "skjermet"
            title = titles.of(row)
            noark = public_noark(view.noark, title)
        else:
            pages, variant, noark, title = list(range(1, view.pages + 1)), "full", view.noark, row.title
        return render(request, "package.html", status_code, row=row, view=view, flag=flag, versions=versions,
                      pages=pages, variant=variant, page_total=len(pages), hidden=hidden, noark=noark,
                      title=title, screening=screening, delivery=delivery_view(deps.sink, package_id),
                      completeness=thread.completeness if thread else None, melding=melding)

    @app.get("/pakker/{package_id}", response_class=HTMLResponse)
    def package_page(request: Request, package_id: str, who: Me) -> Response:
        return _package_page(request, who, package_for(who, package_id))

    def _page_png(package_id: str, page: int, who: Person, variant: str) -> Response:
        row = package_for(who, package_id)
        view = build_view(deps.sink, package_id, deps.config.cache_dir, None)
        if variant == "full":
            screening = screening_view(deps.sink, package_id, view.folder, None, show_restricted_context=False)
            if _skjermet_for(who, row, screening.skjermet or screening.problem is not None):
                raise HTTPException(403, "innholdet er skjermet")
            path, total = view.pdf_path, view.pages
        else:
            path, total = view.redacted_path, view.redacted_pages
        if path is None or not 1 <= page <= total:
            raise HTTPException(404, "ingen slik side")
        image = page_image(view.folder, path, page, deps.config.page_image_dpi, variant)
        return FileResponse(image, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/pakker/{package_id}/sider/{page}.png")
    def page_png(package_id: str, page: int, who: Me) -> Response:
        return _page_png(package_id, page, who, "full")

    @app.get("/pakker/{package_id}/skjermet/{page}.png")
    def redacted_png(package_id: str, page: int, who: Me) -> Response:
        return _page_png(package_id, page, who, "skjermet")

    @app.post("/pakker/{package_id}/treff", response_class=HTMLResponse)
    async def decide_hit(request: Request, package_id: str, who: Reviewer) -> Response:
        form = await checked_form(request)
        row = package_for(who, package_id)
        config = (RerenderConfig(deps.noark, deps.config.cache_dir / "rerender", noark_targets(deps.db))
                  if deps.noark else None)
        try:  # the request waits for the new version (well under a second), in a worker thread: the app stays usable
            outcome = await run_in_threadpool(
                record_hit_decision, deps.db, deps.sink, package_id, hit=form.get("treff", ""),
                decision=form.get("beslutning", ""), by=who.username,
                comment=form.get("kommentar", "").strip() or None, config=config)
        except SomearkivError as exc:
            return _package_page(request, who, row, melding=f"Ikke registrert: {exc}", status_code=400)
        return _package_page(request, who, get_package(deps.db, outcome.package_id) or row, melding=outcome.message)

    async def _decide(request: Request, package_id: str, who: Person, approved: bool) -> Response:
        form = await checked_form(request)
        row = package_for(who, package_id)
        comment = form.get("kommentar", "").strip()
        if not approved and not comment:
            raise InputError("en avvisning må ha en kommentar til redaktøren")
        record = approve_package(deps.sink, package_id, approved=approved, by=who.username, comment=comment,
                                 retention=deps.retention, timestamper=deps.timestamper, by_verified=True)
        record_decision(deps.db, package_id, record.decision, by=who.username, comment=comment or None,
                        at=record.at)
        flag = find_flag(deps.db, ThreadRef(Platform(row.platform), deps.sink.read_manifest(package_id).thread_id))
        if flag is not None and flag.status in {FlagStatus.EXPORTED, FlagStatus.PENDING, FlagStatus.REFLAGGED}:
            if flag.status != FlagStatus.EXPORTED:
                set_status(deps.db, flag.id, FlagStatus.EXPORTED, by=who.username, comment=None)
            set_status(deps.db, flag.id, FlagStatus.APPROVED if approved else FlagStatus.REJECTED,
                       by=who.username, comment=comment or None)
        return RedirectResponse(f"/pakker/{package_id}", 303)

    @app.post("/pakker/{package_id}/godkjenn")
    async def approve(request: Request, package_id: str, who: Reviewer) -> Response:
        return await _decide(request, package_id, who, approved=True)

    @app.post("/pakker/{package_id}/avvis")
    async def reject(request: Request, package_id: str, who: Reviewer) -> Response:
        return await _decide(request, package_id, who, approved=False)

    kit = Kit(deps=deps, render=render, checked_form=checked_form, person=person, reviewer=reviewer, admin=admin,
              visible_units=visible_units)
    scores = CandidateScores(deps.sink)
    titles = SafeTitles(deps.sink)
    editor_pages.register(app, kit, scores, titles)
    admin_pages.register(app, kit)
    uttrekk_pages.register(app, kit)
    return app
