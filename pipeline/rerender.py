"""A screening decision makes a new package version: the redacted variant re-rendered from the stored package.

The archivist confirms or clears a hit (web page or ``somearkiv screening``); :func:`apply_decision` then

1. finds the version the decision applies to: the newest package of the same capture (a stale page still
   decides on the current version; a newer capture of the thread is refused: decide there);
2. copies that package from the bucket (every file checked against its manifest), so the capture folder is
   not needed, and adds the decision to its review record (``_screening/<package id>.json``; an unknown hit,
   a record for another package or other rules, or a tampered record is refused before anything is written);
3. builds the new version: the same capture, media, evidence, screening and full PDF (byte for byte), a
   redacted variant in which cleared hits are shown and confirmed and undecided hits stay skjermet, Noark
   metadata with skjerming from the hits still in force, and ``screening-review.json`` (the decisions in force:
   hit keys, no text);
4. stores it (manifest last), then the audit event (who, which hit and kind, which new version — never the
   matched text) and the carried-over review record in one transaction, and adds it to the package index.

The new version's id is ``<thread key>-<16 hex>`` of a digest over the capture, the screening, the version it
follows and the decisions in force: the same decisions on the same version give the same id (a retry after a
failure stores nothing twice), and a decision that changes nothing builds nothing. Approved (locked) versions
are never changed: a decision on one builds a new version beside it. The nightly export finds the newest
version of an unchanged capture as current (``pipeline.export.stage_thread``), so it never undoes decisions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from threading import Lock
from typing import Literal

from exporters.package import media_package_paths
from exporters.pdf import CoverInfo, render_thread_pdf
from noark.ids import journalpost_system_id
from noark.mapping import package_metadata
from noark.model import NoarkContext, NoarkTargets, context_for
from pipeline.export import private_staging
from pipeline.package_index import sync_index
from privacy.redact import redact_thread
from privacy.review import DECISION_LABELS, Decision, ReviewRecord, decide, new_record
from schemas.errors import ConfigError, InputError, IntegrityError
from schemas.package import MANIFEST_NAME, Manifest, PackageFile, package_id_for, sha256_file
from schemas.screening import SCREENING_FILE, ScreeningResult
from schemas.thread import FLAG_KIND_LABELS, Thread
from storage.base import Sink, check_package_path
from workflow import audit
from workflow.db import Database
from workflow.text import clean_text

log = logging.getLogger(__name__)

SCREENING_DIR = "_screening"  # side records: the review record of each version, outside the package
REVIEW_FILE = "screening-review.json"  # in a re-rendered version: the decisions in force (keys, no text)
CAPTURE_PATH = "capture/thread.json"
ID_SCHEME = "somearkiv-screening-review-1"
_LOCKS: dict[str, Lock] = {}
_LOCKS_GUARD = Lock()


@dataclass(frozen=True)
class RerenderConfig:
    """What re-rendering needs: the Noark context (skjerming, PDF/A part) and a work dir for staging."""

    noark: NoarkContext
    work_dir: Path
    noark_targets: NoarkTargets = field(default_factory=dict)  # the accounts' arkivdel/series, as the export uses


@dataclass(frozen=True)
class DecisionOutcome:
    """What a decision did: ``package_id`` is the version that holds the decisions in force."""

    message: str
    decided_on: str  # the version the decision was applied to (newer than the page's when that was stale)
    package_id: str
    hit_number: int
    built: bool  # a new version was stored now
    changed: bool  # False: the hit already had this decision; nothing was written


def _thread_lock(thread_key: str) -> Lock:
    """One lock per thread: two decisions at once never lose each other (in this process)."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(thread_key, Lock())


# -- review records ------------------------------------------------------------------------------------


def record_bytes(record: ReviewRecord) -> bytes:
    return (record.model_dump_json(indent=1) + "\n").encode()


def read_record(sink: Sink, package_id: str, result: ScreeningResult) -> ReviewRecord:
    """The review record of ``package_id`` (empty when there is none); IntegrityError when it was tampered
    with: unreadable, written for another package or other rules, or deciding hits the screening lacks."""
    raw = sink.read_record(SCREENING_DIR, f"{package_id}.json")
    if raw is None:
        return new_record(package_id, result)
    where = f"pakke {package_id}: gjennomgangsposten {SCREENING_DIR}/{package_id}.json"
    try:
        record = ReviewRecord.model_validate_json(raw)
    except ValueError:
        raise IntegrityError(f"{where} kan ikke leses (endret eller skadet)") from None
    if record.package_id != package_id:
        raise IntegrityError(f"{where} gjelder en annen pakke")
    if record.rules_version != result.rules_version:
        raise IntegrityError(f"{where} gjelder regler {record.rules_version}, screeningen er {result.rules_version}")
    keys = {hit.key for hit in result.hits}
    if any(d.hit_key not in keys for d in record.decisions):
        raise IntegrityError(f"{where} har beslutninger om treff screeningen ikke har (endret)")
    return record


def in_force(record: ReviewRecord) -> list[tuple[str, str]]:
    """The decisions in force as sorted (hit key, decision) pairs: what a version's identity covers."""
    return sorted((key, decision.value) for key, decision in record.current().items())


def version_id(manifest: Manifest, screening_sha256: str, record: ReviewRecord) -> str:
    """The id of the version that follows ``manifest`` with ``record``'s decisions in force."""
    basis = json.dumps(
        {"scheme": ID_SCHEME, "capture": manifest.capture_sha256, "screening": screening_sha256,
         "follows": manifest.package_id, "decisions": in_force(record)},
        sort_keys=True, separators=(",", ":"), ensure_ascii=True,
    )  # fmt: skip
    return package_id_for(manifest.platform, manifest.thread_id, hashlib.sha256(basis.encode()).hexdigest())


# -- the stored package ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredVersion:
    """A package copied from the bucket into ``folder`` (every file checked), with its capture and screening."""

    manifest: Manifest
    folder: Path
    thread: Thread
    result: ScreeningResult
    screening_sha256: str


def current_version(sink: Sink, package_id: str) -> Manifest:
    """The version decisions on ``package_id`` apply to: the newest package of the same capture.

    InputError when the thread has a newer capture (its screening is another): the decision belongs there."""
    manifest = sink.read_manifest(package_id)
    latest = sink.latest_package_for(manifest.thread_key)
    if latest is None or latest.package_id == manifest.package_id:
        return manifest
    if latest.capture_sha256 == manifest.capture_sha256:
        return latest
    raise InputError(
        f"pakke {package_id} er ikke nyeste versjon av tråden: {latest.package_id} har en nyere innsamling; "
        "ta beslutningen der"
    )


def copy_version(sink: Sink, manifest: Manifest, folder: Path) -> StoredVersion:
    """Every file of the package into ``folder``, checked against the manifest; the capture and the screening
    parsed. IntegrityError naming the file when one is missing or altered."""
    package_id = manifest.package_id
    paths = {entry.path for entry in manifest.files}
    for needed in (CAPTURE_PATH, SCREENING_FILE):
        if needed not in paths:
            raise IntegrityError(f"pakke {package_id} mangler {needed}: en ny versjon kan ikke lages av den")
    for entry in manifest.files:
        check_package_path(package_id, entry.path)
        target = folder / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        with sink.open_file(package_id, entry.path) as stream, target.open("wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
        if target.stat().st_size != entry.size or sha256_file(target) != entry.sha256:
            raise IntegrityError(f"pakke {package_id}: {entry.path} stemmer ikke med manifestet")
    if sha256_file(folder / CAPTURE_PATH) != manifest.capture_sha256:
        raise IntegrityError(f"pakke {package_id}: {CAPTURE_PATH} stemmer ikke med capture_sha256 i manifestet")
    try:
        thread = Thread.model_validate_json((folder / CAPTURE_PATH).read_bytes())
        result = ScreeningResult.from_bytes((folder / SCREENING_FILE).read_bytes())
    except ValueError:
        raise IntegrityError(f"pakke {package_id}: innsamlingen eller screeningen kan ikke leses") from None
    return StoredVersion(manifest, folder, thread, result, manifest.file(SCREENING_FILE).sha256)


# -- building the new version ------------------------------------------------------------------------------


def effective_screening(result: ScreeningResult, record: ReviewRecord) -> ScreeningResult:
    """The hits still skjermet after review: confirmed and undecided ones (the cleared are shown)."""
    cleared = record.cleared()
    return result.model_copy(update={"hits": tuple(hit for hit in result.hits if hit.key not in cleared)})


def _media_view(stored: StoredVersion, into: Path) -> Path:
    """A folder where each ``Media.path`` of the capture resolves to its copy in the package (as the capture
    folder's ``media/`` did when the package was built); paths that would leave it are skipped."""
    into.mkdir(parents=True)
    base = into.resolve()
    present = {entry.path for entry in stored.manifest.files if entry.role in ("media", "vedlegg")}
    for media_path, rel in media_package_paths(stored.thread).items():
        if rel not in present:
            continue
        try:
            target = (base / media_path).resolve()
            if not target.is_relative_to(base) or target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(stored.folder / rel, target)
        except (OSError, ValueError):  # a NUL or an over-long name: the original build refused it as well
            continue
    return into


def _entry(root: Path, rel: str, role: Literal["skjermet", "metadata"], title: str | None) -> PackageFile:
    path = root / rel
    mime = mimetypes.guess_type(rel)[0] or "application/octet-stream"
    return PackageFile(path=rel, size=path.stat().st_size, sha256=sha256_file(path), role=role, mime_type=mime,
                       title=title)


def review_file_bytes(record: ReviewRecord, follows: str) -> bytes:
    """``screening-review.json``: the decisions in force, by hit key (item, field, range, kind; never text)."""
    current = record.current()
    latest = {d.hit_key: d for d in record.decisions}
    body = {
        "follows_package_id": follows,
        "rules_version": record.rules_version,
        "decisions": [
            {"hit_key": key, "decision": current[key].value, "label": DECISION_LABELS[current[key]],
             "decided_by": latest[key].decided_by, "decided_at": latest[key].decided_at.isoformat()}
            for key in sorted(current)
        ],
    }
    return (json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def build_version(
    stored: StoredVersion, record: ReviewRecord, *, ctx: NoarkContext, work_dir: Path, created_at: datetime
) -> tuple[Path, Manifest]:
    """Stage the version that follows ``stored`` with ``record``'s decisions; returns (folder, manifest)."""
    old = stored.manifest
    new_id = version_id(old, stored.screening_sha256, record)
    pdfa_part: Literal["1", "2"] = "1" if ctx.pdfa_part == "1" else "2"
    root = work_dir / new_id
    root.mkdir(parents=True)
    thread, flag = stored.thread, old.flag
    effective = effective_screening(stored.result, record)
    cover = CoverInfo(
        flag_label=FLAG_KIND_LABELS[flag.kind] if flag else None,
        case_number=flag.case_number if flag else None,
        journalpost_id=journalpost_system_id(thread.platform.value, thread.thread_id),
        capture_sha256=old.capture_sha256,
    )
    files: list[PackageFile] = []
    for entry in old.files:
        if entry.role == "skjermet" or (entry.role == "metadata" and entry.path != SCREENING_FILE):
            continue  # re-rendered / regenerated below
        rel = f"DOKUMENT/{new_id}.pdf" if entry.role == "hoveddokument" else entry.path
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stored.folder / entry.path, root / rel)  # the archival version stays byte for byte
        files.append(entry.model_copy(update={"path": rel}))
        if entry.role == "hoveddokument" and effective.needs_skjerming:
            redacted = redact_thread(thread, effective)
            redacted_rel = f"DOKUMENT/{new_id}-skjermet.pdf"
            render_thread_pdf(redacted, root / redacted_rel, cover=cover,
                              media_dir=_media_view(stored, work_dir / f"{new_id}.media"), pdfa_part=pdfa_part)
            files.append(_entry(root, redacted_rel, "skjermet", f"{redacted.display_title} (skjermet variant)"))
    if not any(entry.role == "hoveddokument" for entry in files):
        raise IntegrityError(f"pakke {old.package_id} har ikke noe hoveddokument")
    (root / REVIEW_FILE).write_bytes(review_file_bytes(record, old.package_id))
    files.append(_entry(root, REVIEW_FILE, "metadata", "Arkivarens beslutninger om screeningtreffene (bare nøkler)"))
    for name, xml in package_metadata(thread, flag, files, capture_sha256=old.capture_sha256, exported_at=created_at,
                                      ctx=ctx, screening=effective).items():
        (root / name).write_bytes(xml)
        files.append(_entry(root, name, "metadata", None))
    manifest = old.model_copy(update={"package_id": new_id, "previous_package_id": old.package_id,
                                      "created_at": created_at, "files": files})
    manifest = Manifest.model_validate(manifest.model_dump())
    (root / MANIFEST_NAME).write_bytes(manifest.to_bytes())
    return root, manifest


# -- the decision ------------------------------------------------------------------------------------------


def apply_decision(
    db: Database,
    sink: Sink,
    package_id: str,
    *,
    hit: str,
    decision: str,
    by: str,
    comment: str | None,
    config: RerenderConfig | None,
    at: datetime | None = None,
) -> DecisionOutcome:
    """Confirm or clear one hit (by number or key) and store the version that reflects it (see module doc)."""
    try:
        chosen = Decision(decision)
    except ValueError:
        raise InputError("ukjent beslutning: bruk bekreft (confirm) eller avkreft (clear)") from None
    note = (clean_text(comment, "kommentar", limit=2000) or None) if comment else None
    ref = hit.strip()
    if not ref or len(ref) > 400:
        raise InputError("ugyldig treff")
    if config is None:
        raise ConfigError("en ny pakkeversjon kan ikke lages: Noark-innstillingene mangler")
    thread_key = sink.read_manifest(package_id).thread_key
    with _thread_lock(thread_key), private_staging(config.work_dir) as staging:
        target = current_version(sink, package_id)
        stored = copy_version(sink, target, staging / "stored")
        record = read_record(sink, target.package_id, stored.result)
        now = at or datetime.now(UTC)
        updated = decide(record, stored.result, [ref], chosen, by=by, at=now, comment=note)
        made = updated.decisions[-1]
        number = next(n for n, h in enumerate(stored.result.hits, start=1) if h.key == made.hit_key)
        label = DECISION_LABELS[chosen]
        if record.current().get(made.hit_key) == chosen:
            return DecisionOutcome(f"Treff {number} var allerede {label}.", target.package_id, target.package_id,
                                   number, built=False, changed=False)
        created = max(now, target.created_at + timedelta(milliseconds=1))  # newest: the current version
        ctx = context_for(config.noark, config.noark_targets, stored.thread.platform.value, stored.thread.account.id)
        folder, manifest = build_version(stored, updated, ctx=ctx, work_dir=staging / "new", created_at=created)
        new_id = manifest.package_id
        hit_obj = stored.result.hits[number - 1]
        # The event, the carried-over record and the package go together: a failed write rolls the event back;
        # a retry makes the same id again (nothing is stored twice).
        with db.transaction() as session:
            audit.append(session, actor=by, action=f"screening.{chosen.value}", entity=f"package:{target.package_id}",
                         data={"hit": made.hit_key, "kind": hit_obj.kind.value, "rule": hit_obj.rule,
                               "rules_version": stored.result.rules_version, "comment": note,
                               "new_package_id": new_id, "previous_package_id": target.package_id})
            sink.write_record(SCREENING_DIR, f"{new_id}.json",
                              record_bytes(updated.model_copy(update={"package_id": new_id})))
            put = sink.put_package(folder, manifest)
    synced = sync_index(db, sink)
    if synced.failed:
        log.warning("package index: %d package(s) could not be indexed", len(synced.failed))
    log.info("%s: screening decision %s on hit %d; version %s (%s)", target.package_id, chosen.value, number,
             new_id, "stored" if not put.skipped else "existed")
    moved = "" if target.package_id == package_id else f" (gjort på nyeste versjon {target.package_id})"
    return DecisionOutcome(
        f"Treff {number} er {label}{moved}. Ny versjon av pakken: {new_id} (den skjermede varianten er laget på nytt).",
        target.package_id, new_id, number, built=not put.skipped, changed=True,
    )

