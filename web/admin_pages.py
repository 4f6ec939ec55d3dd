"""Admin pages: users (add, roles and unit, deactivate, password), accounts, crisis periods.

Every change goes through a workflow service, which records it as an audit event.
"""


from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from schemas.errors import InputError, SomearkivError
from schemas.thread import PLATFORM_LABELS, Platform
from web.auth import Person, set_password
from web.kit import Kit
from workflow.accounts import add_account
from workflow.admin import (
    end_crisis,
    list_account_rows,
    record_password_set,
    set_user_active,
    update_account,
    update_user,
)
from workflow.crisis import declare_crisis, list_crises
from workflow.models import Role
from workflow.users import add_user, list_users

OSLO = ZoneInfo("Europe/Oslo")
ROLE_LABELS = {Role.EDITOR.value: "redaktør", Role.ARCHIVIST.value: "arkivar", Role.ADMIN.value: "administrator"}


def moment(value: str, name: str) -> datetime:
    """A ``datetime-local`` (or date) form value, read as Norwegian time, in UTC."""
    text = value.strip()
    if not text or len(text) > 40:
        raise InputError(f"{name} mangler eller er ugyldig")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name}: bruk formen ÅÅÅÅ-MM-DDTTT:MM") from None
    try:
        return (parsed.replace(tzinfo=OSLO) if parsed.tzinfo is None else parsed).astimezone(UTC)
    except OverflowError:  # year 1 or 9999 at the edge of what a datetime holds
        raise InputError(f"{name}: {text!r} er utenfor gyldige datoer") from None


def _roles(form: dict[str, str]) -> list[str]:
    return [role for role in ROLE_LABELS if form.get(f"rolle_{role}") == "1"]


def register(app: FastAPI, kit: Kit) -> None:
    deps = kit.deps
    Admin = Annotated[Person, Depends(kit.admin)]  # noqa: N806 - a type alias

    def users_page(request: Request, melding: str | None = None, status_code: int = 200,
                   form: dict[str, str] | None = None) -> Response:
        return kit.render(request, "admin_users.html", status_code, users=list_users(deps.db), melding=melding,
                          role_labels=ROLE_LABELS, form=form or {})

    @app.get("/admin/brukere", response_class=HTMLResponse)
    def users(request: Request, who: Admin) -> Response:
        return users_page(request)

    async def _user_change(request: Request, who: Person, change: str) -> Response:
        form = await kit.checked_form(request)
        username = form.get("brukernavn", "").strip()
        try:
            if change == "ny":
                made = add_user(deps.db, username, display_name=form.get("navn", ""), roles=_roles(form),
                                unit=form.get("enhet", "").strip() or None, by=who.username)
                message = f"Bruker {made.username} er lagt til."
                if form.get("passord"):
                    set_password(deps.db, made.username, form["passord"])
                    record_password_set(deps.db, made.username, by=who.username)
                    message += " Passordet er satt."
            elif change == "endre":
                update_user(deps.db, username, roles=_roles(form), unit=form.get("enhet"),
                            display_name=form.get("navn", ""), by=who.username)
                message = f"Bruker {username} er endret."
            elif change == "aktiv":
                active = form.get("aktiv") == "1"
                set_user_active(deps.db, username, active=active, by=who.username)
                message = f"Bruker {username} er {'aktivert' if active else 'deaktivert'}."
            else:
                set_password(deps.db, username, form.get("passord", ""))
                record_password_set(deps.db, username, by=who.username)
                message = f"Nytt passord er satt for {username}."
        except SomearkivError as exc:
            return users_page(request, f"Ikke lagret: {exc}", 400, form if change == "ny" else None)
        return users_page(request, message)

    @app.post("/admin/brukere", response_class=HTMLResponse)
    async def user_add(request: Request, who: Admin) -> Response:
        return await _user_change(request, who, "ny")

    @app.post("/admin/brukere/endre", response_class=HTMLResponse)
    async def user_update(request: Request, who: Admin) -> Response:
        return await _user_change(request, who, "endre")

    @app.post("/admin/brukere/aktiv", response_class=HTMLResponse)
    async def user_active(request: Request, who: Admin) -> Response:
        return await _user_change(request, who, "aktiv")

    @app.post("/admin/brukere/passord", response_class=HTMLResponse)
    async def user_password(request: Request, who: Admin) -> Response:
        return await _user_change(request, who, "passord")

    # -- accounts ---------------------------------------------------------------------------------

    def accounts_page(request: Request, melding: str | None = None, status_code: int = 200,
                      form: dict[str, str] | None = None) -> Response:
        return kit.render(request, "admin_accounts.html", status_code, accounts=list_account_rows(deps.db),
                          platforms=[(p.value, PLATFORM_LABELS[p]) for p in Platform], melding=melding,
                          form=form or {})

    @app.get("/admin/kontoer", response_class=HTMLResponse)
    def accounts(request: Request, who: Admin) -> Response:
        return accounts_page(request)

    @app.post("/admin/kontoer", response_class=HTMLResponse)
    async def account_add(request: Request, who: Admin) -> Response:
        form = await kit.checked_form(request)
        try:
            made = add_account(deps.db, form.get("plattform", ""), form.get("konto", ""), name=form.get("navn", ""),
                               owning_unit=form.get("enhet", ""), by=who.username)
        except SomearkivError as exc:
            return accounts_page(request, f"Ikke lagret: {exc}", 400, form)
        return accounts_page(request, f"Kontoen {made.platform}/{made.handle} er registrert.")

    @app.post("/admin/kontoer/endre", response_class=HTMLResponse)
    async def account_update(request: Request, who: Admin) -> Response:
        form = await kit.checked_form(request)
        try:
            account_id = int(form.get("id", "").strip() or "x")
            if not 1 <= account_id < 2**31:
                raise ValueError
        except ValueError:
            return accounts_page(request, "Ikke lagret: ukjent konto", 400)
        try:
            update_account(deps.db, account_id, name=form.get("navn", ""), owning_unit=form.get("enhet", ""),
                           active=form.get("aktiv") == "1", by=who.username)
        except SomearkivError as exc:
            return accounts_page(request, f"Ikke lagret: {exc}", 400)
        return accounts_page(request, f"Konto #{account_id} er lagret.")

    # -- crisis periods ---------------------------------------------------------------------------

    def crisis_page(request: Request, melding: str | None = None, status_code: int = 200,
                    form: dict[str, str] | None = None) -> Response:
        return kit.render(request, "admin_crisis.html", status_code, crises=list_crises(deps.db),
                          accounts=[a for a in list_account_rows(deps.db) if a.active], melding=melding,
                          form=form or {}, oslo=OSLO)

    @app.get("/admin/krise", response_class=HTMLResponse)
    def crises(request: Request, who: Admin) -> Response:
        return crisis_page(request)

    @app.post("/admin/krise", response_class=HTMLResponse)
    async def crisis_declare(request: Request, who: Admin) -> Response:
        form = await kit.checked_form(request)
        known = {f"konto_{a.id}": (a.platform, a.handle) for a in list_account_rows(deps.db) if a.active}
        chosen = [pair for field, pair in known.items() if form.get(field) == "1"]
        try:
            end = moment(form["slutt"], "slutt") if form.get("slutt", "").strip() else None
            start = moment(form.get("start", ""), "start")
            wanted = tuple(sorted(f"{platform}/{handle}" for platform, handle in chosen))
            twin = next((c for c in list_crises(deps.db) if c.title == form.get("tittel", "").strip()
                         and c.starts_at == start and c.accounts == wanted), None)
            if twin is not None:  # a double submission: report the period that exists
                return crisis_page(request, f"Kriseperiode #{twin.id} ({twin.title}) finnes allerede.")
            made = declare_crisis(deps.db, title=form.get("tittel", ""), starts_at=start, ends_at=end,
                                  accounts=chosen, by=who.username)
        except SomearkivError as exc:
            return crisis_page(request, f"Ikke lagret: {exc}", 400, form)
        return crisis_page(request, f"Kriseperiode #{made.id} er erklært: {made.title}.")

    @app.post("/admin/krise/avslutt", response_class=HTMLResponse)
    async def crisis_end(request: Request, who: Admin) -> Response:
        form = await kit.checked_form(request)
        try:
            period = int(form.get("periode", "").strip() or "x")
            if not 1 <= period < 2**31:
                raise ValueError
        except ValueError:
            return crisis_page(request, "Ikke lagret: ukjent kriseperiode", 400)
        try:
            done = end_crisis(deps.db, period, ends_at=moment(form.get("slutt", ""), "slutt"), by=who.username)
        except SomearkivError as exc:
            return crisis_page(request, f"Ikke lagret: {exc}", 400)
        return crisis_page(request, f"Kriseperiode #{done.id} slutter {done.ends_at.astimezone(OSLO):%d.%m.%Y %H:%M}."
                           if done.ends_at else "Lagret.")
