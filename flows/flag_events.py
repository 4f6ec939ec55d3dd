"""The Prefect event an editor's flag emits, which the on-demand deployment's trigger turns into an export run.

``somearkiv.thread.flagged`` on the resource ``somearkiv.thread.<thread key>`` (payload: reason, kind, case,
flag id); prefect.yaml's trigger passes the thread key to ``flows.export.export_thread``. Called by the CLI
(:func:`emit_flagged`) and the web app's flag form (:func:`emit_flagged_async`, inside its event loop) after
the flag's transaction committed, never inside it: an event must not announce a rolled-back flag. The event is
sent directly (not through Prefect's background worker), so a server that can't be reached is an error the
caller can report; the flag itself stays saved and the nightly run exports it. The workflow package never
imports Prefect.
"""

from __future__ import annotations

import asyncio

from prefect.events import Event
from prefect.events.clients import get_events_client
from prefect.settings import PREFECT_API_URL

from schemas.errors import WorkflowError
from schemas.text import escape_unsafe
from workflow.flags import FlagView

FLAGGED_EVENT = "somearkiv.thread.flagged"
RESOURCE_PREFIX = "somearkiv.thread."
SEND_TIMEOUT_S = 15.0


def flagged_resource_id(thread_key: str) -> str:
    return f"{RESOURCE_PREFIX}{thread_key}"


def flagged_event(view: FlagView) -> Event:
    """The event for one flag (its resource id carries the thread key the trigger passes on)."""
    return Event(
        event=FLAGGED_EVENT,
        resource={
            "prefect.resource.id": flagged_resource_id(view.thread_key),
            "prefect.resource.name": view.thread_url or view.thread_key,
            "somearkiv.flag-id": str(view.id),
            "somearkiv.platform": view.platform,
        },
        payload={"reason": view.reason or view.kind, "kind": view.kind, "case": view.case_number,
                 "flag_id": view.id},
    )


async def emit_flagged_async(view: FlagView) -> bool:
    """Send ``somearkiv.thread.flagged`` for ``view`` to the Prefect API (PREFECT_API_URL); False when none is
    configured (nothing sent). A server that can't be reached is a WorkflowError naming it."""
    url = PREFECT_API_URL.value()
    if not url:
        return False
    try:
        async with asyncio.timeout(SEND_TIMEOUT_S):
            async with get_events_client(reconnection_attempts=1) as client:
                await client.emit(flagged_event(view))
    except Exception as exc:  # websocket and connection errors of every kind: reported, the flag stays saved
        raise WorkflowError(f"flagg #{view.id} ({view.thread_key}): hendelsen kunne ikke sendes til "
                            f"{escape_unsafe(str(url))}: {escape_unsafe(str(exc) or type(exc).__name__)}") from None
    return True


def emit_flagged(view: FlagView) -> bool:
    """:func:`emit_flagged_async` for synchronous callers without a running event loop (the CLI)."""
    return asyncio.run(emit_flagged_async(view))
