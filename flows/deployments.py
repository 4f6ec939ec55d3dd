"""The deployments of ``prefect.yaml`` as Python objects, for ``somearkiv serve`` (one process, no workers).

Keep the two in step: ``tests/test_serve.py`` compares names, schedules and triggers with prefect.yaml.
"""

from __future__ import annotations

from typing import Any, cast

from prefect.deployments.runner import RunnerDeployment
from prefect.events import DeploymentEventTrigger
from prefect.schedules import Cron

from flows.candidates import scan_candidates
from flows.capture import capture_threads
from flows.deliver import deliver_packages
from flows.export import export_thread, export_threads
from flows.fixity import fixity_check

OSLO = "Europe/Oslo"
NIGHTLY_CRON = "30 2 * * *"
FIXITY_CRON = "0 4 * * 0"
CAPTURE_CRON = "0 */6 * * *"
DELIVER_CRON = "0 3 * * *"
CANDIDATES_CRON = "0 * * * *"
CANDIDATE_DAYS = 2
RECAPTURE_DAYS = 14
FLAG_EVENT = "somearkiv.thread.flagged"


def served_deployments() -> list[RunnerDeployment]:
    """nightly (02:30 Europe/Oslo), on-demand (an editor's flag event), fixity (weekly), capture (re-capture of
    the configured accounts every 6 hours, so removals are seen), deliver (03:00, to the archive system) and
    candidates (hourly: suggested flags for posts that ask for input)."""
    # ``to_deployment`` is sync-compatible: called from sync code it returns the deployment itself.
    made: list[Any] = [
        export_threads.to_deployment(
            name="nightly",
            description="Nightly export of every flagged thread to the archive bucket.",
            schedule=Cron(NIGHTLY_CRON, timezone=OSLO),
            concurrency_limit=1,
        ),
        export_thread.to_deployment(
            name="on-demand",
            description="Export one thread soon after an editor flags it.",
            parameters={"reason": "journal-required"},
            triggers=[
                DeploymentEventTrigger(
                    enabled=True,
                    match={"prefect.resource.id": "somearkiv.thread.*"},
                    expect={FLAG_EVENT},
                    parameters={
                        "thread_id": "{{ event.resource.id | replace('somearkiv.thread.', '') }}",
                        "reason": "{{ event.payload.reason }}",
                    },
                )
            ],
        ),
        fixity_check.to_deployment(
            name="fixity",
            description="Weekly fixity check of every package in the archive bucket.",
            schedule=Cron(FIXITY_CRON, timezone=OSLO),
            concurrency_limit=1,
        ),
        capture_threads.to_deployment(
            name="capture",
            description="Re-capture the configured accounts' recent threads so edits and removals are seen.",
            parameters={"recapture_days": RECAPTURE_DAYS},
            schedule=Cron(CAPTURE_CRON, timezone=OSLO),
            concurrency_limit=1,
        ),
        deliver_packages.to_deployment(
            name="deliver",
            description="Nightly delivery of journal-required packages to the archive system over KS Fiks Arkiv.",
            schedule=Cron(DELIVER_CRON, timezone=OSLO),
            concurrency_limit=1,
        ),
        scan_candidates.to_deployment(
            name="candidates",
            description="Suggest flags for the accounts' recent posts that ask for input (an editor confirms).",
            parameters={"days": CANDIDATE_DAYS},
            schedule=Cron(CANDIDATES_CRON, timezone=OSLO),
            concurrency_limit=1,
        ),
    ]
    return [cast(RunnerDeployment, deployment) for deployment in made]
