"""Prefect flow that suggests flags: recent posts of the configured accounts that ask for input.

``scan_candidates`` lists each account's posts of the last ``days`` days, fetches the text of every post not
already flagged or suggested, scores it (:mod:`workflow.candidates`) and records the candidates
(:mod:`workflow.suggestions`) for an editor to confirm or dismiss. One account per task; an account that fails
(credentials, platform errors, malformed answers) is reported in the ``candidates-summary`` artifact and never
stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.capture import _only, load_registry, lookup_credential, platform_slot
from pipeline.settings import Settings
from schemas.errors import ConfigError, SomearkivError
from schemas.refs import ThreadRef
from schemas.text import escape_unsafe
from sources.accounts import AccountEntry, resolve_credential
from sources.connectors import connector_for
from sources.connectors.config import SourcesConfig
from sources.connectors.runner import Lookup
from workflow.db import Database
from workflow.suggestions import known, suggest


@dataclass(frozen=True)
class AccountScan:
    """What the scan of one account found."""

    account: str
    platform: str
    listed: int = 0
    suggested: int = 0
    skipped: int = 0
    failed_posts: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.failed_posts == 0


def scan_account(entry: AccountEntry, db: Database, lookup: Lookup, config: SourcesConfig,
                 since: datetime) -> AccountScan:
    """List ``entry``'s posts since ``since`` and suggest those asking for input; errors become the result."""
    platform = entry.platform.value
    try:
        connector = connector_for(config, resolve_credential(entry, lookup), entry.thread_account(), entry.platform)
        listed = connector.list_recent(entry.account_ref(), since)
    except SomearkivError as exc:
        return AccountScan(entry.key, platform, error=str(exc))
    suggested = skipped = failed = 0
    first_error: str | None = None
    for found in listed:
        ref = ThreadRef(found.platform, found.post_id, entry.key, found.url)
        try:
            if known(db, ref):
                skipped += 1
                continue
            text = connector.fetch_thread(ref).thread.post.text
            if suggest(db, ref, text) is not None:
                suggested += 1
        except SomearkivError as exc:
            failed += 1
            first_error = first_error or f"{ref.key}: {exc}"
    return AccountScan(entry.key, platform, len(listed), suggested, skipped, failed, first_error)


def summary_markdown(scans: list[AccountScan], days: int) -> str:
    """The ``candidates-summary`` artifact: one row per account, failures with their reason."""
    lines = [f"# Kandidater (innlegg siste {days} døgn)", "",
             f"Nye forslag: **{sum(s.suggested for s in scans)}**, kontoer med feil: "
             f"**{sum(1 for s in scans if not s.ok)}**", "",
             "| Konto | Plattform | Innlegg | Nye forslag | Kjent fra før | Feilet | Feil |",
             "|---|---|---|---|---|---|---|"]
    for s in scans:
        reason = escape_unsafe((s.error or "").splitlines()[0][:300] if s.error else "")
        reason = reason.replace("|", "\\|")
        lines.append(f"| {s.account} | {s.platform} | {s.listed} | {s.suggested} | {s.skipped} | "
                     f"{s.failed_posts} | {reason} |")
    return "\n".join(lines) + "\n"


@task(name="scan-account", cache_policy=NO_CACHE)
def scan_account_task(entry: AccountEntry, database_url: str, config: SourcesConfig, since: datetime,
                      limit: int) -> AccountScan:
    with platform_slot(entry.platform, limit):
        db = Database(database_url)
        try:
            return scan_account(entry, db, lookup_credential, config, since)
        finally:
            db.dispose()


@flow(name="scan-candidates", log_prints=True)
def scan_candidates(days: int = 2, accounts_file: str | None = None,
                    accounts: list[str] | None = None) -> list[dict[str, object]]:
    """Suggest flags for the accounts' posts of the last ``days`` days that ask for input."""
    if not 1 <= days <= 400:
        raise ConfigError(f"days må være mellom 1 og 400, ikke {days}")
    logger = get_run_logger()
    settings = Settings()
    registry = _only(load_registry(settings, accounts_file, None, warn=logger.warning), accounts)  # the database's
    Database(settings.workflow().database_url).dispose()  # fails early, naming the database, when it is missing
    since = datetime.now(UTC) - timedelta(days=days)
    futures = [
        scan_account_task.with_options(tags=[f"somearkiv-{entry.platform.value}"]).submit(
            entry, settings.workflow().database_url, settings.sources(), since, settings.sources_concurrency)
        for entry in registry.accounts
    ]
    scans = [future.result() for future in futures]
    for scan in scans:
        if scan.ok:
            print(f"{scan.account}: {scan.listed} innlegg, {scan.suggested} nye forslag")
        else:
            logger.warning("%s: %s", scan.account, escape_unsafe((scan.error or "").splitlines()[0][:300]))
    create_markdown_artifact(key="candidates-summary", markdown=summary_markdown(scans, days),
                             description="Kandidatsøk: innlegg som ber om innspill")
    return [{**scan.__dict__, "ok": scan.ok} for scan in scans]
