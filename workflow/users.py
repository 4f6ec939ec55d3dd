"""Users and roles of the workflow (the web app adds passwords and sign-in on top of these rows)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.errors import InputError, WorkflowError
from workflow import audit
from workflow.db import Database
from workflow.models import Role, User, UserRole
from workflow.text import clean_line


class UnknownUserError(WorkflowError):
    """The named user does not exist, is inactive or lacks the role the operation needs."""


@dataclass(frozen=True, slots=True)
class UserView:
    username: str
    display_name: str
    unit: str | None
    roles: tuple[str, ...]
    active: bool


def _view(user: User) -> UserView:
    return UserView(user.username, user.display_name, user.unit, tuple(sorted(r.role for r in user.roles)), user.active)


def require_user(session: Session, username: str, *roles: Role) -> User:
    """The active user ``username`` holding one of ``roles`` (any role when none are named)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise UnknownUserError(f"ukjent bruker {clean_line(username, 'bruker', limit=200)!r}: "
                            "legg brukeren til med «somearkiv user add»")
    if roles and not any(user.has_role(r) for r in roles):
        wanted = " eller ".join(r.value for r in roles)
        raise UnknownUserError(f"bruker {username!r} har ikke rollen {wanted}")
    return user


def add_user(
    db: Database, username: str, *, display_name: str, roles: Iterable[Role | str], by: str,
    unit: str | None = None, email: str | None = None,
) -> UserView:
    """Register a user; a username already taken is a WorkflowError."""
    name = clean_line(username, "brukernavn", limit=200)
    wanted: set[Role] = set()
    for role in roles:
        try:
            wanted.add(Role(role))
        except ValueError:
            raise InputError(f"ukjent rolle {role!r}: bruk editor, archivist eller admin") from None
    if not wanted:
        raise InputError(f"bruker {name!r}: minst én rolle (editor, archivist, admin)")
    with db.transaction() as session:
        if session.scalar(select(User).where(User.username == name)) is not None:
            raise WorkflowError(f"brukeren {name!r} finnes allerede")
        user = User(
            username=name, display_name=clean_line(display_name, "navn", limit=200),
            unit=clean_line(unit, "enhet", limit=200) if unit else None,
            email=clean_line(email, "e-post", limit=320) if email else None,
            roles=[UserRole(role=r.value) for r in sorted(wanted)],
        )
        session.add(user)
        session.flush()
        audit.append(session, actor=by, action="user.create", entity=f"user:{name}",
                     data={"display_name": user.display_name, "unit": user.unit, "roles": sorted(wanted)})
        return _view(user)


def list_users(db: Database) -> list[UserView]:
    with db.transaction() as session:
        return [_view(u) for u in session.scalars(select(User).order_by(User.username))]
