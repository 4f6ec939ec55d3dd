"""Prefect flow for the periodic fixity check of the archive bucket (logic in storage/fixity.py)."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from pipeline.audit import verify_archive
from pipeline.settings import Settings
from storage.factory import open_sink
from storage.fixity import finding_text
from storage.timestamp import timestamper_for


class FixityCheckError(RuntimeError):
    """The bucket has missing, extra, changed or unreadable files (see the ``fixity-report`` artifact)."""


@flow(name="fixity-check")
def fixity_check(bucket_url: str | None = None) -> dict[str, object]:
    """Re-hash every complete package in the bucket; fail the run if any file differs from its manifest."""
    logger = get_run_logger()
    settings = Settings()
    sink = open_sink(bucket_url or settings.bucket, settings.s3())
    report = verify_archive(sink, timestamper_for(settings.timestamps()))
    create_markdown_artifact(key="fixity-report", markdown=report.to_markdown(), description=report.summary())
    for problem in report.problems:
        if problem.severity == "info":
            continue
        logger.error("%s", finding_text(problem))
    if not report.ok:
        raise FixityCheckError(report.summary())
    logger.info("%s", report.summary())
    return report.to_dict()
