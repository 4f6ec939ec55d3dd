"""The workflow package's typed configuration piece (built from ``pipeline.settings.Settings.workflow``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WorkflowConfig:
    """Where the workflow database lives: a SQLAlchemy URL (``sqlite:///…`` or ``postgresql+psycopg://…``)."""

    database_url: str
