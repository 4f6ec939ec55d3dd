"""Moderation that keeps the evidence: capture → screenshot → store → platform action → records.

:func:`moderate` takes a comment (its URL, or its id with the thread's URL, or its id alone when exactly one
captured thread has it), and:

1. checks everything it can without changing anything: the action, the reason, the user (editor or admin),
   the platform (Facebook, Instagram, YouTube, X; LinkedIn and TikTok are refused), the account in the
   registry and its credential;
2. captures the thread through the connector (real HTTP) and finds the comment in it — a failed capture or a
   comment that is not there raises, and nothing has changed;
3. records the request (``workflow.moderation``), writes the capture into the capture folder (as the capture
   flow does: thread JSON, media, raw evidence), renders the comment as shown to a PNG
   (``exporters.screenshot``) and writes an evidence manifest (``moderation/<id>.json``: SHA-256 of the capture,
   screenshot and raw exchanges, and the comment as captured), whose path and SHA-256 are recorded;
4. only then hides or deletes the comment through the platform's API;
5. on success: the comment's ``removal`` in the capture (state, reason, removed_at, removed_by, the screenshot as
   ``removal.screenshot``, so the thread's next package carries it as a vedlegg), the record marked done, and an
   event in the bucket's audit chain when a bucket log is given. On a failed platform call the record is
   ``failed`` with the platform's answer and the evidence stays.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from exporters.screenshot import render_comment_png
from schemas.capture import capture_bytes
from schemas.errors import ConfigError, InputError, SomearkivError, SourceError
from schemas.findings import Finding
from schemas.package import safe_segment, thread_key
from schemas.refs import ThreadRef
from schemas.text import escape_unsafe
from schemas.thread import PLATFORM_LABELS, Item, Media, Platform, Removal, Thread
from sources.accounts import AccountEntry, AccountRegistry, resolve_credential
from sources.capture import load_thread
from sources.connectors import connector_for
from sources.connectors.base import Capture, Exchange
from sources.connectors.config import SourcesConfig
from sources.connectors.moderate import (
    MODERATED_PLATFORMS,
    Action,
    check_moderation,
    moderate_comment,
    x_conversation_of,
)
from sources.connectors.store import MediaPolicy, write_capture
from sources.evidence import write_evidence
from sources.urls import parse_thread_url
from storage.audit import AuditError, AuditLog
from workflow.db import Database
from workflow.models import Role
from workflow.moderation import (
    ACTIONS,
    ModerationView,
    complete_moderation,
    fail_moderation,
    parse_reason,
    record_evidence,
    request_moderation,
)
from workflow.users import require_user

MODERATION_DIR = "moderation"
MAX_TARGET_CHARS = 2048
Lookup = Callable[[str], str | None]


@dataclass(frozen=True)
class ModerationConfig:
    """What moderation needs: the capture folder, the accounts registry, connector and media settings."""

    capture_dir: Path
    registry: AccountRegistry
    sources: SourcesConfig
    media_policy: MediaPolicy


@dataclass(frozen=True)
class ModerationRequest:
    target: str  # a comment URL, or a comment id
    action: str
    reason: str
    by: str
    thread_url: str | None = None  # the post's URL when ``target`` is a bare comment id


@dataclass(frozen=True)
class ModerationOutcome:
    record: ModerationView
    thread_key: str
    comment_id: str
    screenshot: Path
    manifest: Path
    platform_request: str | None
    warnings: tuple[Finding, ...] = ()  # non-fatal problems (an audit event the bucket refused)

    @property
    def done(self) -> bool:
        return self.record.state == "done"


@dataclass(frozen=True)
class _Target:
    ref: ThreadRef
    comment_hint: str


def _comment_from_url(ref: ThreadRef, url: str) -> str | None:
    """The comment id a comment URL carries (Facebook ``comment_id``/``reply_comment_id``, YouTube ``lc``,
    Instagram ``/p/<code>/c/<id>``); X: the status id itself."""
    parts = urlsplit(url if "://" in url else "https://" + url)
    query = dict(parse_qsl(parts.query))
    if ref.platform is Platform.FACEBOOK:
        return query.get("reply_comment_id") or query.get("comment_id")
    if ref.platform is Platform.YOUTUBE:
        return query.get("lc")
    if ref.platform is Platform.INSTAGRAM:
        seg = [s for s in parts.path.split("/") if s]
        if "c" in seg[:-1]:
            return seg[seg.index("c") + 1]
        return None
    if ref.platform is Platform.X:
        return ref.post_id
    return None


def _clean_id(value: str, what: str) -> str:
    text = value.strip()
    if not text or len(text) > 200 or any(not ch.isprintable() or ch in "/\\" for ch in text):
        raise InputError(f"ugyldig {what} {escape_unsafe(text[:80])!r}: bare synlige tegn, uten / og \\, høyst 200")
    return text


def _find_in_folder(root: Path, comment_id: str) -> tuple[Thread, Item]:
    """The one captured thread holding ``comment_id`` (Facebook: also ``<post>_<comment_id>``)."""
    found: list[tuple[Thread, Item]] = []
    for path in sorted((root / "threads").glob("*.json")):
        try:
            thread = load_thread(path)
        except SomearkivError:
            continue
        item = _match(thread, comment_id)
        if item is not None:
            found.append((thread, item))
    if not found:
        raise InputError(f"kommentar {comment_id!r} finnes ikke i noen innsamlet tråd i {root}; oppgi adressen til "
                         "kommentaren, eller --thread med adressen til innlegget")
    if len(found) > 1:
        keys = ", ".join(thread_key(t.platform, t.thread_id) for t, _ in found[:5])
        raise InputError(f"kommentar {comment_id!r} finnes i flere tråder ({keys}); oppgi --thread")
    return found[0]


def _match(thread: Thread, hint: str) -> Item | None:
    for item in thread.comments:
        if item.id == hint or (thread.platform is Platform.FACEBOOK and "_" not in hint
                               and item.id.endswith(f"_{hint}")):
            return item
    return None


def _resolve(request: ModerationRequest, config: ModerationConfig) -> _Target:
    target = request.target.strip()
    if not target or len(target) > MAX_TARGET_CHARS:
        raise InputError("oppgi adressen til kommentaren eller kommentar-id-en (høyst 2048 tegn)")
    looks_like_url = "://" in target or "/" in target or target.lower().startswith(("www.", "m."))
    if looks_like_url:
        if request.thread_url:
            raise InputError("oppgi --thread bare sammen med en kommentar-id, ikke med en adresse")
        ref = parse_thread_url(target)
        hint = _comment_from_url(ref, target)
        if ref.platform not in (Platform.LINKEDIN, Platform.TIKTOK) and not hint:
            raise InputError(f"adressen {escape_unsafe(target[:200])!r} peker på innlegget, ikke på én kommentar; "
                             "kopier adressen til kommentaren (tidspunktet under den) eller oppgi kommentar-id-en")
        return _Target(ref, _clean_id(hint or "", "kommentar-id") if hint else "")
    comment = _clean_id(target, "kommentar-id")
    if request.thread_url:
        return _Target(parse_thread_url(request.thread_url), comment)
    thread, item = _find_in_folder(config.capture_dir, comment)
    return _Target(ThreadRef(thread.platform, thread.thread_id, thread.account.id, thread.url), item.id)


def _account(ref: ThreadRef, registry: AccountRegistry, root: Path) -> tuple[AccountEntry, ThreadRef]:
    """The registry account of the thread and the reference its API wants."""
    entry = registry.find(ref.platform, ref.account)
    if entry is None and ref.platform is Platform.X:  # a reply's URL names the replier, not our account
        entry = registry.find(ref.platform, None)
    if entry is None:
        raise ConfigError(f"{PLATFORM_LABELS[ref.platform]}: ingen konto i kontoregisteret for "
                          f"{ref.account or '(adressen nevner ingen konto)'}; "
                          "registrer kontoen med «somearkiv account import»")
    post_id = ref.post_id
    if ref.platform is Platform.FACEBOOK and post_id.isdigit():
        post_id = f"{entry.platform_id}_{post_id}"  # the Graph API's id of a Page post
    if ref.platform is Platform.INSTAGRAM and not post_id.isdigit():
        post_id = _instagram_media_id(root, post_id)
    return entry, ThreadRef(ref.platform, post_id, entry.key, ref.url)


def _instagram_media_id(root: Path, shortcode: str) -> str:
    """The Graph API media id of an Instagram shortcode, from a capture of the thread (the URL lacks it)."""
    for path in sorted((root / "threads").glob("instagram-*.json")):
        try:
            thread = load_thread(path)
        except SomearkivError:
            continue
        if f"/{shortcode}" in thread.url or (thread.post.url and f"/{shortcode}" in thread.post.url):
            return thread.thread_id
    raise InputError(f"Instagram: kjenner ikke medie-id-en til innlegget {shortcode!r}; samle inn tråden først "
                     "(somearkiv-innsamling), så kan kommentarer i den modereres")


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def moderate(db: Database, request: ModerationRequest, config: ModerationConfig, lookup: Lookup, *,
             audit_log: AuditLog | None = None) -> ModerationOutcome:
    """Capture and keep the comment, then hide or delete it; see the module docstring for the order."""
    if request.action not in ACTIONS:
        raise InputError(f"ukjent handling {request.action!r}: bruk hide eller delete")
    action: Action = "hide" if request.action == "hide" else "delete"
    reason = parse_reason(request.reason)
    with db.transaction() as session:
        require_user(session, request.by, Role.EDITOR, Role.ADMIN)
    target = _resolve(request, config)
    if target.ref.platform not in MODERATED_PLATFORMS:
        check_moderation(target.ref.platform, action, None)  # refuses, naming the platform
    entry, ref = _account(target.ref, config.registry, config.capture_dir)
    credential = resolve_credential(entry, lookup)
    check_moderation(ref.platform, action, credential, own_comment=True)
    account = entry.thread_account()
    hint = target.comment_hint
    if ref.platform is Platform.X:
        conversation = x_conversation_of(config.sources, credential, account, ref.post_id)
        if conversation == hint:
            raise InputError(f"X: {hint} er selve innlegget, ikke et svar; bare svar kan skjules")
        ref = ThreadRef(Platform.X, conversation, entry.key, None)

    capture = connector_for(config.sources, credential, account, ref.platform).fetch_thread(ref)
    comment = _match(capture.thread, hint)
    key = thread_key(capture.thread.platform, capture.thread.thread_id)
    if comment is None:
        raise InputError(f"kommentar {escape_unsafe(hint)!r} finnes ikke i tråden {key} slik plattformen viser den nå; "
                         "ingenting er endret")
    own = comment.author.is_municipality
    check_moderation(ref.platform, action, credential, own_comment=own)

    record = request_moderation(db, ThreadRef(capture.thread.platform, capture.thread.thread_id, entry.key,
                                              capture.thread.url), comment.id, action=action, reason=reason.value,
                                by=request.by)
    try:
        screenshot, manifest, shot_media = _keep_evidence(config, capture, comment.id, record, request.by)
        record = record_evidence(db, record.id, path=str(manifest), sha256=_sha(manifest.read_bytes()), by=request.by)
    except (SomearkivError, OSError) as exc:
        fail_moderation(db, record.id, error=f"bevis kunne ikke lagres, ingenting skjult eller slettet: {exc}",
                        by=request.by)
        raise
    root = config.capture_dir
    try:
        call = moderate_comment(config.sources, credential, account, ref.platform, comment.id, action,
                                own_comment=own)
    except SourceError as exc:
        exchanges: list[Exchange] = getattr(exc, "exchanges", [])
        write_evidence(exchanges, root / MODERATION_DIR / f"{record.id}-platform.jsonl.gz")
        record = fail_moderation(db, record.id, error=f"plattformen utførte ikke handlingen: {exc}", by=request.by)
        warnings = _bucket_event(audit_log, "moderation.failed", request.by, key, record,
                                 {"error": record.error or ""})
        return ModerationOutcome(record, key, comment.id, screenshot, manifest, None, warnings)
    write_evidence(call.exchanges, root / MODERATION_DIR / f"{record.id}-platform.jsonl.gz")
    removed_at = datetime.now(UTC)
    _record_removal(root, key, comment.id, Removal(
        state="hidden" if action == "hide" else "deleted", reason=reason, removed_at=removed_at,
        removed_by=request.by, screenshot=shot_media,
        note=f"{'skjult' if action == 'hide' else 'slettet'} av {request.by} gjennom somearkiv "
             f"(moderering #{record.id}); skjermbilde tatt før fjerning",
    ))
    record = complete_moderation(db, record.id, by=request.by)
    warnings = _bucket_event(audit_log, "moderation.hidden" if action == "hide" else "moderation.deleted",
                             request.by, key, record, {"request": call.request, "removed_at": removed_at.isoformat()})
    return ModerationOutcome(record, key, comment.id, screenshot, manifest, call.request, warnings)


def _keep_evidence(config: ModerationConfig, capture: Capture, comment_id: str, record: ModerationView,
                   by: str) -> tuple[Path, Path, Media]:
    """Capture folder write, screenshot and evidence manifest; returns (screenshot, manifest, its Media)."""
    root = config.capture_dir
    result = write_capture(root, capture, config.media_policy)
    thread = load_thread(result.thread_path)
    png = render_comment_png(thread, comment_id)
    name = f"moderering-{record.id}-{safe_segment(comment_id)[:80]}.png"
    rel = f"{result.key}/{name}"
    shot_path = root / "media" / rel
    if shot_path.exists():
        raise InputError(f"{shot_path} finnes allerede; skrives ikke over")
    _write_atomic(shot_path, png)
    shot = Media(id=f"moderering-{record.id}", kind="screenshot", path=rel, mime_type="image/png", sha256=_sha(png),
                 alt_text=f"Skjermbilde av kommentaren før {'skjuling' if record.action == 'hide' else 'sletting'}")
    raw = capture_bytes(thread)
    kept = root / MODERATION_DIR / f"{record.id}-thread.json"
    _write_atomic(kept, raw)
    item = next(c for c in thread.comments if c.id == comment_id)
    manifest = {
        "moderation_id": record.id, "thread_key": result.key, "comment_id": comment_id, "action": record.action,
        "reason": record.reason, "by": by, "captured_at": thread.captured_at.isoformat(),
        "files": {
            "thread": {"path": kept.relative_to(root).as_posix(), "sha256": _sha(raw)},
            "screenshot": {"path": f"media/{rel}", "sha256": shot.sha256},
            "exchanges": {"path": result.evidence_path.relative_to(root).as_posix(),
                          "sha256": _sha(result.evidence_path.read_bytes())},
        },
        "comment": item.model_dump(mode="json"),
    }
    path = root / MODERATION_DIR / f"{record.id}.json"
    _write_atomic(path, json.dumps(manifest, ensure_ascii=True, sort_keys=True, indent=1).encode("ascii"))
    return shot_path, path, shot


def _record_removal(root: Path, key: str, comment_id: str, removal: Removal) -> None:
    path = root / "threads" / f"{key}.json"
    thread = load_thread(path)
    comments = [c.model_copy(update={"removal": removal}) if c.id == comment_id else c for c in thread.comments]
    updated = Thread.model_validate(thread.model_copy(update={"comments": comments}).model_dump())
    _write_atomic(path, capture_bytes(updated))


def _bucket_event(log: AuditLog | None, kind: str, actor: str, key: str, record: ModerationView,
                  extra: dict[str, str]) -> tuple[Finding, ...]:
    """The event in the bucket's audit chain; a bucket that refuses it is a warning (the platform has acted, and
    the workflow database's audit log has the event already)."""
    if log is None:
        return ()
    try:
        log.append(kind, actor, key, {
            "moderation_id": record.id, "comment_id": record.comment_id, "action": record.action,
            "reason": record.reason, "state": record.state, "evidence_path": record.evidence_path or "",
            "evidence_sha256": record.evidence_sha256 or "", **extra,
        })
    except AuditError as exc:
        return (Finding(rule="moderation-audit-refused", where=f"moderering #{record.id}", severity="warning",
                        message=f"hendelsen kom ikke i bøttens revisjonslogg: {exc}"),)
    return ()

