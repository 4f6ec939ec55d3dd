"""Prefect flow that fetches threads from the platforms into the capture folder.

``capture_threads`` fetches the given thread references (flagged threads, before export) and, with
``recapture_days``, re-captures every configured account's recent threads so edits and removals are seen.
Each platform has its own concurrency limit (a semaphore per platform in this process; the tasks are also
tagged ``somearkiv-<platform>`` so a Prefect tag concurrency limit can cap them across workers).
Credentials are looked up here, at the edge: ``env:NAME`` from the environment, ``secret:NAME`` from a
Prefect Secret block, ``settings:NAME`` from ``SOMEARKIV_<NAME>``.

The accounts come from the workflow database (``pipeline.accounts.registry_from_db``); accounts that lack
editors or a credentials reference are left out with a warning naming them. ``accounts_file`` reads a
registry file directly instead (a demo or test without a database).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipeline.accounts import registry_from_db
from pipeline.settings import Settings
from schemas.errors import ConfigError
from schemas.refs import ThreadRef
from schemas.thread import Platform
from sources.accounts import AccountRegistry, load_accounts
from sources.connectors.config import SourcesConfig
from sources.connectors.runner import CaptureOutcome, capture_one, recapture_refs
from sources.connectors.store import MediaPolicy

_LIMITS: dict[tuple[Platform, int], threading.BoundedSemaphore] = {}
_LIMITS_LOCK = threading.Lock()


@contextmanager
def platform_slot(platform: Platform, limit: int) -> Iterator[None]:
    """At most ``limit`` fetches of one platform at a time in this process."""
    with _LIMITS_LOCK:
        semaphore = _LIMITS.setdefault((platform, limit), threading.BoundedSemaphore(limit))
    with semaphore:
        yield


def lookup_credential(reference: str) -> str | None:
    """Resolve a credentials reference from the accounts registry (never logged)."""
    kind, _, name = reference.partition(":")
    if kind == "env":
        return os.environ.get(name)
    if kind == "settings":
        return os.environ.get(f"SOMEARKIV_{name.upper()}")
    if kind == "secret":
        from prefect.blocks.system import Secret

        try:
            block: Secret[str] = Secret.load(name)  # type: ignore[assignment]
            value = block.get()
        except ValueError:
            return None
        return value if isinstance(value, str) else None
    return None


def _only(registry: AccountRegistry, keys: list[str] | None) -> AccountRegistry:
    """The registry limited to ``keys`` (all accounts when None); an unknown key is a ConfigError naming it."""
    if keys is None:
        return registry
    known = {a.key for a in registry.accounts}
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise ConfigError(f"ukjent konto {unknown[0]!r} i kontoregisteret; kjente: {', '.join(sorted(known))}")
    return registry.model_copy(update={"accounts": [a for a in registry.accounts if a.key in keys]})


def load_registry(settings: Settings, accounts_file: str | None, database_url: str | None,
                  warn: Callable[[str], object] | None = None) -> AccountRegistry:
    """The registry from the file when one is named, else from the workflow database."""
    if accounts_file:
        return load_accounts(Path(accounts_file))
    from workflow.db import Database

    db = Database(database_url or settings.workflow().database_url)
    try:
        found = registry_from_db(db)
    finally:
        db.dispose()
    for line in found.incomplete:
        if warn is not None:
            warn(line)
    if not found.registry.accounts and not found.incomplete:
        raise ConfigError("kontoregisteret er tomt: registrer kontoene med «somearkiv account import FIL»")
    return found.registry


@task(name="capture-thread", cache_policy=NO_CACHE)
def capture_thread_task(ref: ThreadRef, root: Path, registry: AccountRegistry, config: SourcesConfig,
                        policy: MediaPolicy, limit: int) -> CaptureOutcome:
    with platform_slot(ref.platform, limit):
        return capture_one(root, ref, registry, lookup_credential, config, policy)


@flow(name="capture-threads", log_prints=True)
def capture_threads(
    refs: list[ThreadRef] | None = None,
    recapture_days: int | None = None,
    capture_dir: str | None = None,
    accounts_file: str | None = None,
    accounts: list[str] | None = None,
    database_url: str | None = None,
) -> list[dict[str, object]]:
    """Fetch ``refs`` and (with ``recapture_days``) the accounts' recent threads into the capture folder;
    ``accounts`` (registry keys) limits the re-capture to those accounts. The registry is the workflow
    database's (``database_url``, default the settings'), or the file ``accounts_file`` when given."""
    logger = get_run_logger()
    settings = Settings()
    registry = load_registry(settings, accounts_file, database_url, warn=logger.warning)
    root = Path(capture_dir) if capture_dir else settings.capture_dir
    config, policy = settings.sources(), settings.media_policy()
    wanted: dict[str, ThreadRef] = {ref.key: ref for ref in refs or []}
    outcomes: list[CaptureOutcome] = []
    if recapture_days is not None:
        since = datetime.now(UTC) - timedelta(days=recapture_days)
        found, failures = recapture_refs(root, _only(registry, accounts), lookup_credential, config, since)
        outcomes.extend(failures)
        for ref in found:
            wanted.setdefault(ref.key, ref)
    futures = [
        capture_thread_task.with_options(tags=[f"somearkiv-{ref.platform.value}"]).submit(
            ref, root, registry, config, policy, settings.sources_concurrency)
        for ref in wanted.values()
    ]
    outcomes.extend(future.result() for future in futures)
    for outcome in outcomes:
        if outcome.status == "failed":
            logger.warning("%s: %s", outcome.key, outcome.message.splitlines()[0][:300])
        else:
            print(f"{outcome.key}: {outcome.status}, {outcome.comments} kommentarer, {outcome.removed} borte, "
                  f"{outcome.edited} endret" + (" (uendret)" if outcome.unchanged else ""))
    return [asdict(o) for o in outcomes]
