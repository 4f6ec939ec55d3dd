"""The Prefect event an editor's flag emits, which the on-demand deployment's trigger turns into an export run.

``somearkiv.thread.flagged`` on the resource ``somearkiv.thread.<thread key>`` (payload: reason, kind, case,
flag id); prefect.yaml's trigger passes the thread key to ``flows.export.export_thread``. Called by the CLI
(and the web app's flag form) after the flag's transaction committed, never inside it: an event must not
announce a rolled-back flag. The workflow package never imports Prefect.
"""

from __future__ import annotations

from prefect.events import emit_event
from prefect.events.worker import EventsWorker
from prefect.settings import PREFECT_API_URL

from workflow.flags import FlagView

FLAGGED_EVENT = "somearkiv.thread.flagged"
RESOURCE_PREFIX = "somearkiv.thread."
DRAIN_SECONDS = 10.0


def flagged_resource_id(thread_key: str) -> str:
    return f"{RESOURCE_PREFIX}{thread_key}"


def emit_flagged(view: FlagView, *, wait: bool = True) -> bool:
    """Emit ``somearkiv.thread.flagged`` for ``view`` when a Prefect API is configured (PREFECT_API_URL);
    False when there is none (nothing sent). ``wait`` blocks until the event is sent (a CLI about to exit)."""
    if not PREFECT_API_URL.value():
        return False
    event = emit_event(
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
    if wait:
        EventsWorker.drain_all(timeout=DRAIN_SECONDS)
    return event is not None
