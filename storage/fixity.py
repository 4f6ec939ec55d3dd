"""Fixity: re-read every complete package and compare it with its manifest.

Each stored file is re-hashed (SHA-256, streamed in bounded memory) and compared with the manifest's
size and digest. Every problem is a :class:`schemas.findings.Finding` whose ``where`` is
``<package_id>/<path>`` and whose ``rule`` is one of :data:`FIXITY_LABELS`: ``missing`` (in the manifest,
not in the bucket), ``extra`` (in the bucket under the package, not in the manifest; ``manifest.json``
itself excluded), ``changed`` (size or SHA-256 differs), ``unreadable`` (a manifest or file that can't be
read or parsed), ``tampered`` (a locked object replaced, deleted or overwritten by a newer version) and
``timestamp`` (a trusted timestamp missing or not matching).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from schemas.errors import IntegrityError
from schemas.findings import Finding, errors
from schemas.package import MANIFEST_NAME
from storage.base import (
    MANIFEST_TSR,
    MAX_MANIFEST_BYTES,
    MAX_TOKEN_BYTES,
    SIDECARS,
    LockedObject,
    ObjectVersion,
    Sink,
    SinkError,
    parse_manifest,
    sha256_stream,
)

if TYPE_CHECKING:
    from storage.timestamp import Timestamper

log = logging.getLogger(__name__)

FIXITY_LABELS: dict[str, str] = {
    "missing": "mangler",
    "extra": "ekstra",
    "changed": "endret",
    "unreadable": "uleselig",
    "tampered": "manipulert",
    "timestamp": "tidsstempel",
    "unlocked": "ulåst",
    "audit": "revisjonslogg",
    "no-worm": "merk",
}


NO_TOKEN = "manifestet har ikke noe tidsstempel (RFC 3161)"


def fixity_finding(rule: str, package_id: str, path: str, message: str = "") -> Finding:
    """A fixity finding about ``<package_id>/<path>`` (``message`` defaults to the rule's Norwegian label)."""
    return Finding(rule=rule, message=message or FIXITY_LABELS.get(rule, rule), where=f"{package_id}/{path}")


def finding_text(finding: Finding) -> str:
    """One report line: the Norwegian label of the rule, where, and what."""
    label = FIXITY_LABELS.get(finding.rule, finding.rule).upper()
    detail = "" if finding.message == FIXITY_LABELS.get(finding.rule) else f": {finding.message}"
    return f"{label:<10} {finding.where}{detail}"


@dataclass
class PackageFixity:
    """The check of one package."""

    package_id: str
    files: int = 0  # files checked (hashed)
    bytes: int = 0  # bytes read
    problems: list[Finding] = field(default_factory=list)


@dataclass
class FixityReport:
    """The result of checking a whole bucket; it holds no credentials, only the bucket URL."""

    bucket_url: str
    started_at: datetime
    finished_at: datetime | None = None
    packages: int = 0
    files: int = 0
    bytes: int = 0
    problems: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not errors(self.problems)

    def summary(self) -> str:
        verdict = "OK" if self.ok else f"{len(errors(self.problems))} avvik"
        counts = f"{self.packages} pakke(r), {self.files} fil(er), {self.bytes} byte"
        return f"fixitetskontroll av {self.bucket_url}: {verdict}; {counts}"

    def to_text(self) -> str:
        lines = [self.summary(), f"kontrollert {self.started_at.isoformat()} .. {_iso(self.finished_at)}"]
        lines += [finding_text(problem) for problem in self.problems]
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        lines = [
            f"# Fixitetskontroll: {'OK' if self.ok else 'AVVIK'}",
            "",
            "| bøtte | pakker | filer | byte | avvik | kontrollert |",
            "|---|---:|---:|---:|---:|---|",
            f"| `{self.bucket_url}` | {self.packages} | {self.files} | {self.bytes} | {len(self.problems)} "
            f"| {self.started_at.isoformat()} |",
        ]
        if self.problems:
            lines += ["", "| pakke | fil | avvik | detaljer |", "|---|---|---|---|"]
            for p in self.problems:
                package, _, path = p.where.partition("/")
                label = FIXITY_LABELS.get(p.rule, p.rule)
                lines.append(f"| `{package}` | `{path}` | {label} | {_cell(p.message)} |")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, object]:
        return {
            "bucket_url": self.bucket_url,
            "ok": self.ok,
            "started_at": self.started_at.isoformat(),
            "finished_at": _iso(self.finished_at),
            "packages": self.packages,
            "files": self.files,
            "bytes": self.bytes,
            "problems": [problem.to_dict() for problem in self.problems],
        }


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "/").split())


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "-"


def verify_package(
    sink: Sink,
    package_id: str,
    pins: Sequence[LockedObject] | None = None,
    timestamps: Timestamper | None = None,
    *,
    check_locks: bool = True,
) -> PackageFixity:
    """Check one complete package against its manifest.

    With ``pins`` (what an approval locked) exactly those versions are read and compared with the recorded
    SHA-256s, and any newer version, delete marker or missing lock of a pinned key is ``tampered``. With
    ``timestamps`` the manifest's RFC 3161 token is checked against the manifest that was read.
    """
    result = PackageFixity(package_id)
    pinned = {pin.path: pin for pin in pins or []}

    def problem(path: str, rule: str, detail: str = "") -> None:
        finding = fixity_finding(rule, package_id, path, detail)
        if detail == NO_TOKEN:  # packages stored before a TSA was configured, or during an outage
            finding = Finding(finding.rule, finding.message, finding.where, severity="warning")
        result.problems.append(finding)

    manifest_pin = pinned.get(MANIFEST_NAME)
    if pins is not None and manifest_pin is None:
        problem(MANIFEST_NAME, "tampered", "godkjenningen oppgir ingen låst versjon av manifestet")
    try:
        manifest_bytes = sink.read_bytes(
            package_id, MANIFEST_NAME, version=_version(manifest_pin), max_bytes=MAX_MANIFEST_BYTES
        )
        manifest = parse_manifest(package_id, manifest_bytes)
        stored = {obj.path: obj for obj in sink.iter_objects(package_id)}
    except (SinkError, ValueError) as exc:
        problem(MANIFEST_NAME, "unreadable", _first_line(exc))
        return result
    if manifest_pin is not None and hashlib.sha256(manifest_bytes).hexdigest() != manifest_pin.sha256:
        problem(MANIFEST_NAME, "tampered", "manifestet avviker fra det som ble låst ved godkjenningen")
    listed = {entry.path for entry in manifest.files}
    for entry in manifest.files:
        pin = pinned.get(entry.path)
        if pins is not None and pin is None:
            problem(entry.path, "tampered", "filen ble ikke låst av godkjenningen")
        found = stored.get(entry.path)
        if found is None and pin is None:
            problem(entry.path, "missing")
            continue
        if found is not None and found.size != entry.size and pin is None:
            problem(entry.path, "changed", f"størrelse {found.size}, manifestet sier {entry.size}")
            continue
        try:
            with sink.open_file(package_id, entry.path, version=_version(pin)) as stream:
                size, digest = sha256_stream(stream)
        except (SinkError, OSError) as exc:
            problem(entry.path, "missing" if found is None else "unreadable", _first_line(exc))
            continue
        result.files += 1
        result.bytes += size
        if pin is not None and (size, digest) != (pin.size, pin.sha256):
            problem(entry.path, "tampered", f"SHA-256 {digest}, låst ved godkjenningen som {pin.sha256}")
        elif size != entry.size:
            problem(entry.path, "changed", f"leste {size} byte, manifestet sier {entry.size}")
        elif digest != entry.sha256:
            problem(entry.path, "changed", f"SHA-256 {digest}, manifestet sier {entry.sha256}")
    for path in sorted(stored.keys() - listed - {MANIFEST_NAME, *SIDECARS}):
        problem(path, "extra", f"{stored[path].size} byte, ikke i manifestet")
    history = _history(sink, package_id) if pinned else {}
    for pin in pinned.values():
        versions = history.get(pin.path, []) if history is not None else None
        for rule, detail in version_problems(sink, package_id, pin, versions=versions, check_lock=check_locks):
            problem(pin.path, rule, detail)
    if timestamps is not None:
        for rule, detail in _timestamp_problems(sink, package_id, manifest_bytes, pinned.get(MANIFEST_TSR), timestamps):
            problem(MANIFEST_TSR, rule, detail)
    return result


def _history(sink: Sink, package_id: str) -> dict[str, list[ObjectVersion]] | None:
    """All versions under the package in one listing; None if that fails (then asked key by key)."""
    try:
        return sink.package_history(package_id)
    except SinkError:
        return None


def version_problems(
    sink: Sink,
    package_id: str,
    pin: LockedObject,
    *,
    versions: list[ObjectVersion] | None = None,
    check_lock: bool = True,
) -> list[tuple[str, str]]:
    """What is wrong with the versions of one locked key: newer versions, delete markers, a missing lock.

    ``versions`` (from :meth:`Sink.package_history`) saves a listing per key."""
    try:
        if versions is None:
            versions = sink.versions(package_id, pin.path)
        if pin.version_id is None:  # a folder: one version, checked by content
            return [] if versions else [("tampered", "låst objekt er slettet")]
        problems: list[tuple[str, str]] = []
        if not any(v.version_id == pin.version_id and not v.deleted for v in versions):
            problems.append(("tampered", f"den låste versjonen {pin.version_id} finnes ikke lenger"))
        newest = versions[0] if versions else None
        if newest is not None and newest.version_id != pin.version_id:
            kind = (
                "en slettemarkør" if newest.deleted else f"en nyere versjon ({newest.version_id}, {newest.size} byte)"
            )
            problems.append(("tampered", f"{kind} ligger over den låste versjonen {pin.version_id}"))
        if check_lock and sink.worm and not problems and sink.lock_info(package_id, pin.path, pin.version_id) is None:
            problems.append(("unlocked", f"versjon {pin.version_id} er godkjent, men ikke låst"))
        return problems
    except SinkError as exc:
        return [("unreadable", _first_line(exc))]


def _timestamp_problems(
    sink: Sink, package_id: str, manifest_bytes: bytes, pin: LockedObject | None, timestamps: Timestamper
) -> list[tuple[str, str]]:
    try:
        if not sink.versions(package_id, MANIFEST_TSR) and pin is None:
            return [("timestamp", NO_TOKEN)]
        token = sink.read_bytes(package_id, MANIFEST_TSR, version=_version(pin), max_bytes=MAX_TOKEN_BYTES)
    except SinkError as exc:
        return [("unreadable", _first_line(exc))]
    if pin is not None and hashlib.sha256(token).hexdigest() != pin.sha256:
        return [("tampered", "tidsstempelet avviker fra det som ble låst ved godkjenningen")]
    try:
        timestamps.check(token, manifest_bytes)
    except IntegrityError as exc:
        return [("timestamp", str(exc))]
    return []


def _version(pin: LockedObject | None) -> str | None:
    return pin.version_id if pin is not None else None


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


PinsOf = Callable[[str], Sequence[LockedObject] | None]


def verify_bucket(
    sink: Sink,
    *,
    pins_of: PinsOf | None = None,
    timestamps: Timestamper | None = None,
    findings: Sequence[Finding] = (),
) -> FixityReport:
    """Check every complete package of the bucket (packages without a manifest are not yet archived).

    The location must exist and hold something (a mistyped prefix is a SinkError, not "OK; 0 packages").
    One package that can't be read never stops the others: it is reported ``unreadable``. ``findings``
    from other checks (the audit chain) are added to the report.
    """
    sink.check_location()
    report = FixityReport(bucket_url=sink.url, started_at=datetime.now(UTC))
    report.problems += findings
    for package_id in sink.list_packages():
        try:
            pins = pins_of(package_id) if pins_of is not None else None
            checked = verify_package(sink, package_id, pins, timestamps)
        except Exception as exc:  # one broken package is reported, the others are still checked
            log.warning("package %s could not be checked: %s", package_id, type(exc).__name__)
            checked = PackageFixity(package_id)
            checked.problems.append(fixity_finding("unreadable", package_id, "", _first_line(exc)))
        report.packages += 1
        report.files += checked.files
        report.bytes += checked.bytes
        report.problems += checked.problems
    report.finished_at = datetime.now(UTC)
    return report
