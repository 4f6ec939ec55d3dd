"""Prefect flow that delivers exported packages to the municipality's archive over KS Fiks Arkiv.

Runs after export (``export-then-deliver`` chains them) or on its own (nightly, or when the archivist
approves with ``SOMEARKIV_FIKS_REQUIRE_APPROVAL``). The logic is in ``pipeline/delivery.py``; this flow
builds the pieces from the settings, runs one delivery round and publishes the state as an artifact.
The token may come from a Prefect Secret block instead of the environment (``token_block``).
"""

from __future__ import annotations

from typing import cast

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from pydantic import SecretStr

from delivery.fiksio import FiksIOSender, Listener
from delivery.messages import Schemas
from flows.export import export_threads
from pipeline.delivery import DeliveryContext, DeliveryRun, deliver
from pipeline.export import ExportRun
from pipeline.review import review_status
from pipeline.settings import Settings
from storage.factory import open_sink


def _secret(block: str) -> str:
    from prefect.blocks.system import Secret

    return str(cast("Secret[str]", Secret.load(block)).get())


class DeliveryFailedError(RuntimeError):
    """One or more deliveries failed (see the ``delivery-summary`` artifact); they are retried next run."""


@flow(name="deliver-packages", log_prints=True)
def deliver_packages(
    bucket: str | None = None,
    packages: list[str] | None = None,
    token_block: str | None = None,
    password_block: str | None = None,
) -> dict[str, object]:
    """Deliver the journal-required packages (all in the bucket, or the named ones) and collect receipts.

    ``token_block``/``password_block`` name Prefect Secret blocks holding the Maskinporten token and the
    integration password (instead of ``SOMEARKIV_FIKS_TOKEN``/``SOMEARKIV_FIKS_INTEGRATION_PASSWORD``)."""
    logger = get_run_logger()
    settings = Settings()
    overrides = {"fiks_token": token_block, "fiks_integration_password": password_block}
    loaded = {name: SecretStr(_secret(block)) for name, block in overrides.items() if block}
    config = settings.model_copy(update=loaded).fiks()
    sink = open_sink(bucket or settings.bucket, settings.s3())
    with FiksIOSender(config) as sender:
        ctx = DeliveryContext(
            sink=sink,
            config=config,
            schemas=Schemas(settings.require_xsd_dir()),
            sender=sender,
            receiver=Listener(config),
        )
        run: DeliveryRun = deliver(ctx, packages, approved=lambda pid: review_status(sink, pid) == "approved")
    create_markdown_artifact(key="delivery-summary", markdown=run.to_markdown(), description="Leveranse til arkivet")
    for result in run.results:
        log = logger.error if result.status == "feilet" else logger.info
        log("%s: %s %s", result.package_id, result.status, result.journalnummer or result.message)
    for problem in run.problems:
        logger.warning("%s", problem)
    summary = {
        "sent": run.sent,
        "received": run.received,
        "problems": run.problems,
        "results": [r.__dict__ for r in run.results],
    }
    if not run.ok:
        raise DeliveryFailedError(f"{sum(r.status == 'feilet' for r in run.results)} leveranse(r) feilet")
    return summary


@flow(name="export-then-deliver")
def export_then_deliver(
    bucket: str | None = None,
    source_dir: str | None = None,
    threads: list[str] | None = None,
    token_block: str | None = None,
    password_block: str | None = None,
) -> dict[str, object]:
    """The nightly chain: export the flagged threads (or the named ones), then deliver what was exported
    (unless approval is required first; then the approved packages are delivered, whenever exported)."""
    exported = export_threads(bucket=bucket, source_dir=source_dir, threads=threads)
    if Settings().fiks_require_approval:
        return deliver_packages(bucket=bucket, token_block=token_block, password_block=password_block)
    if not isinstance(exported, ExportRun):  # the export stopped before any thread (its Failed state says why)
        return {"exported": False, "message": getattr(exported, "message", None) or "eksporten stoppet"}
    written = [r.package_id for r in exported.results]
    return deliver_packages(bucket=bucket, packages=written, token_block=token_block, password_block=password_block)
