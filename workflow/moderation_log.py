"""The moderation log of a unit's accounts (read-only), for the editor's page.

A moderation action belongs to a unit through its thread: the unit owning the thread's packages in the
package index, or the unit owning the account of the thread's flag.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select

from workflow.db import Database
from workflow.models import Account, Flag, ModerationAction, PackageRecord
from workflow.moderation import ModerationView, _view


def moderation_for_units(db: Database, units: tuple[str, ...] | None, *, limit: int = 500) -> list[ModerationView]:
    """Moderation actions on threads of ``units`` (None: every unit), newest first."""
    query = select(ModerationAction).order_by(ModerationAction.requested_at.desc(), ModerationAction.id.desc())
    if units is not None:
        by_package = select(PackageRecord.thread_key).where(PackageRecord.owning_unit.in_(units))
        by_flag = (select(Flag.thread_key)
                   .join(Account, (Account.platform == Flag.platform)
                         & (func.lower(Account.handle) == func.lower(Flag.account)))
                   .where(Account.owning_unit.in_(units)))
        query = query.where(or_(ModerationAction.thread_key.in_(by_package), ModerationAction.thread_key.in_(by_flag)))
    with db.transaction() as session:
        return [_view(m) for m in session.scalars(query.limit(limit))]
