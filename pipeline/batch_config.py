"""How an export run spreads its work (built once from the settings: ``Settings.batch()``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

_T = TypeVar("_T")


def default_workers() -> int:
    """One worker process per core."""
    return os.cpu_count() or 1


@dataclass(frozen=True)
class BatchConfig:
    """Worker processes (0: build in the run's own process), threads per batch (one orchestrated task each)
    and threads that upload finished packages while the next ones build."""

    workers: int
    batch_size: int = 100
    upload_threads: int = 4

    def batches(self, items: Sequence[_T]) -> list[Sequence[_T]]:
        """``items`` cut into batches of ``batch_size``, in order."""
        size = max(self.batch_size, 1)
        return [items[start:start + size] for start in range(0, len(items), size)]
