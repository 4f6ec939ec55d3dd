"""The HTTP API for flags (FastAPI): the same operations as ``somearkiv flag``/``flags``/``unflag``.

Who is calling: for now the ``X-Somearkiv-User`` header names the user (a registered username). This is a
PLACEHOLDER for the web app's sign-in (sessions, or a reverse-proxy header from the municipality's single
sign-on), which replaces :func:`current_user`; until then run the API only on 127.0.0.1 behind something that
sets the header.

``POST /api/flags/{id}/status`` moves a flag (exported, approved, rejected with a comment, re-flagged;
approve/reject need the archivist role). Errors: 400 bad input (the message says what), 401 no user header,
403 unknown user or missing role, 404 no such flag, 409 the thread is already flagged (the body names the
existing flag) or a status move that is not allowed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from schemas.errors import InputError, SomearkivError
from schemas.refs import ThreadRef
from schemas.strict_json import DuplicateKeyError, unique_keys
from schemas.thread import FlagKind, Platform
from sources.urls import parse_thread_url, thread_ref
from workflow.db import Database
from workflow.flags import (
    FlagExistsError,
    FlagFilter,
    FlagNotFoundError,
    FlagRequest,
    FlagView,
    flag_thread,
    get_flag,
    list_flags,
    set_status,
    unflag,
)
from workflow.models import FlagStatus
from workflow.users import UnknownUserError

USER_HEADER = "X-Somearkiv-User"
MAX_OFFSET = 1_000_000_000  # far past any list; bounded so the database never sees an integer it can't hold
FlagId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Flag id")]
_FLAG_JSON: TypeAdapter[FlagView] = TypeAdapter(FlagView)  # FlagView is the response model too


class FlagIn(BaseModel):
    """A new flag: ``url`` as pasted, or ``platform`` + ``post_id``."""

    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(default=None, max_length=4096)
    platform: Platform | None = None
    post_id: str | None = Field(default=None, max_length=300)
    kind: FlagKind = FlagKind.JOURNAL_REQUIRED
    case_number: str | None = Field(default=None, max_length=40, description="Saksnummer ÅÅÅÅ/NNNN")
    new_case_title: str | None = Field(default=None, max_length=500, description="Title of a new case")
    reason: str | None = Field(default=None, max_length=2000)
    note: str | None = Field(default=None, max_length=4000)
    deadline: date | None = Field(default=None, description="Høringsfrist")


class StatusIn(BaseModel):
    """A status move: ``exported``, ``approved``, ``rejected`` (comment required), ``re-flagged``."""

    model_config = ConfigDict(extra="forbid")
    status: FlagStatus
    comment: str | None = Field(default=None, max_length=4000)


def current_user(x_somearkiv_user: Annotated[str | None, Header()] = None) -> str:
    """The calling user (placeholder: the ``X-Somearkiv-User`` header; the web app's sign-in replaces it)."""
    if not x_somearkiv_user or not x_somearkiv_user.strip():
        raise HTTPException(status_code=401, detail=f"mangler {USER_HEADER}-headeren (hvem er du?)")
    return x_somearkiv_user.strip()


CurrentUser = Annotated[str, Depends(current_user)]


async def unique_json_keys(request: Request) -> None:
    """Refuse a JSON body naming a key twice (FastAPI would keep the last silently); other parse errors are left
    to FastAPI's own validation."""
    body = await request.body()
    if not body:
        return
    try:
        json.loads(body, object_pairs_hook=unique_keys)
    except DuplicateKeyError as exc:
        raise InputError(f"JSON-innholdet: {exc}") from None
    except (ValueError, RecursionError):
        return


def router(db: Database, parse_url: Callable[[str], ThreadRef] = parse_thread_url) -> APIRouter:
    """The flag routes over ``db``; the web app mounts this router."""
    api = APIRouter(prefix="/api")
    @api.post("/flags", status_code=201, dependencies=[Depends(unique_json_keys)])
    def create_flag(body: FlagIn, user: CurrentUser) -> FlagView:
        if body.url is not None and (body.platform is not None or body.post_id is not None):
            raise InputError("oppgi enten url eller platform + post_id, ikke begge")
        if body.url is not None:
            ref = parse_url(body.url)
        elif body.platform is not None and body.post_id is not None:
            ref = thread_ref(body.platform.value, body.post_id)
        else:
            raise InputError("oppgi url, eller platform + post_id")
        view = flag_thread(db, FlagRequest(
            ref=ref, kind=body.kind, by=user, case_number=body.case_number, new_case_title=body.new_case_title,
            reason=body.reason, note=body.note, deadline=body.deadline, origin="api",
        ))
        return view

    @api.get("/flags")
    def get_flags(
        status: FlagStatus | None = None,
        platform: Platform | None = None,
        kind: FlagKind | None = None,
        flagged_by: str | None = Query(default=None, max_length=200),
        case_number: str | None = Query(default=None, max_length=40),
        limit: int = Query(default=100, ge=1, le=1000),
        offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
    ) -> list[FlagView]:
        found = list_flags(db, FlagFilter(status=status, platform=platform, kind=kind, flagged_by=flagged_by,
                                          case_number=case_number, limit=limit, offset=offset))
        return list(found)

    @api.get("/flags/{flag_id}")
    def get_one(flag_id: FlagId) -> FlagView:
        return get_flag(db, flag_id)

    @api.post("/flags/{flag_id}/status", dependencies=[Depends(unique_json_keys)])
    def move_flag(flag_id: FlagId, body: StatusIn, user: CurrentUser) -> FlagView:
        if body.status is FlagStatus.WITHDRAWN:
            raise InputError("bruk DELETE /api/flags/{id} for å trekke tilbake et flagg")
        return set_status(db, flag_id, body.status, by=user, comment=body.comment)

    @api.delete("/flags/{flag_id}")
    def delete_flag(
        flag_id: FlagId, user: CurrentUser, comment: str | None = Query(default=None, max_length=4000)
    ) -> FlagView:
        return unflag(db, flag_id, by=user, comment=comment)

    return api


def _error(request: Request, exc: Exception) -> JSONResponse:
    return error_response(exc)


def error_response(exc: Exception) -> JSONResponse:
    """The JSON answer to a known error: 400 bad input, 403 unknown user, 404 no such flag, 409 conflict."""
    body: dict[str, Any] = {"detail": str(exc)}
    if isinstance(exc, FlagExistsError):
        body["existing"] = _FLAG_JSON.dump_python(exc.existing, mode="json")
        return JSONResponse(body, status_code=409)
    if isinstance(exc, UnknownUserError):
        return JSONResponse(body, status_code=403)
    if isinstance(exc, FlagNotFoundError):
        return JSONResponse(body, status_code=404)
    if isinstance(exc, InputError):
        return JSONResponse(body, status_code=400)
    return JSONResponse(body, status_code=409)


NORWEGIAN_STATUS = {400: "forespørselen kunne ikke leses", 401: "ikke innlogget", 403: "ikke tillatt",
                    404: "ingen slik side", 405: "metoden er ikke tillatt her", 413: "forespørselen er for stor",
                    415: "ukjent innholdstype"}
PARSE_FAILURE = "There was an error parsing the body"  # FastAPI's own (English) detail for unreadable JSON


def norwegian_detail(status_code: int, detail: object) -> str:
    """A Norwegian ``detail`` for an HTTP error: ours are kept, Starlette's and FastAPI's English defaults are
    replaced (``Not Found``, ``Method Not Allowed``, an unparsable body)."""
    text = str(detail)
    if text == PARSE_FAILURE:
        return "innholdet kunne ikke leses: ugyldig JSON eller tegnkoding"
    try:
        english = HTTPStatus(status_code).phrase
    except ValueError:
        english = ""
    if text in {english, ""}:
        return NORWEGIAN_STATUS.get(status_code, "forespørselen ble avvist")
    return text


def validation_detail(exc: RequestValidationError) -> str:
    """Which fields of the request were invalid, in Norwegian; the submitted values are never echoed (they may
    hold lone surrogates, NaN or personal data)."""
    fields: list[str] = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
        if error.get("type") == "json_invalid":
            return "innholdet er ikke gyldig JSON"
        name = ".".join(loc[1:]) if len(loc) > 1 else (loc[0] if loc else "forespørselen")
        if name not in fields:
            fields.append(name)
    return f"ugyldig eller manglende verdi i {', '.join(fields[:5]) or 'forespørselen'}"


def validation_response(request: Request, exc: Exception) -> JSONResponse:
    """422 with a Norwegian message naming the fields (FastAPI's default echoes the input and can crash on it)."""
    detail = validation_detail(exc) if isinstance(exc, RequestValidationError) else "ugyldig forespørsel"
    return JSONResponse({"detail": detail}, status_code=422)


def create_app(db: Database, parse_url: Callable[[str], ThreadRef] = parse_thread_url) -> FastAPI:
    """The API as an app of its own (tests, or ``uvicorn --factory`` behind the web app's entry point)."""
    app = FastAPI(title="somearkiv", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.include_router(router(db, parse_url))
    app.add_exception_handler(SomearkivError, _error)
    app.add_exception_handler(RequestValidationError, validation_response)
    return app
