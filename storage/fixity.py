"""Fixity: re-read every complete package and compare it with its manifest.

Each stored file is re-hashed (SHA-256, streamed in bounded memory) and compared with the manifest's
size and digest. Problems: ``missing`` (in the manifest, not in the bucket), ``extra`` (in the bucket
under the package, not in the manifest; ``manifest.json`` itself excluded), ``changed`` (size or
SHA-256 differs) and ``unreadable`` (a manifest or file that can't be read or parsed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Literal

from schemas.package import MANIFEST_NAME
from storage.base import Sink, SinkError, sha256_stream

ProblemKind = Literal["missing", "extra", "changed", "unreadable"]
KIND_LABELS: dict[str, str] = {"missing": "mangler", "extra": "ekstra", "changed": "endret", "unreadable": "uleselig"}


@dataclass(frozen=True)
class FixityProblem:
    package_id: str
    path: str
    kind: ProblemKind
    detail: str = ""

    def to_text(self) -> str:
        detail = f": {self.detail}" if self.detail else ""
        return f"{KIND_LABELS[self.kind].upper():<10} {self.package_id}/{self.path}{detail}"


@dataclass
class PackageFixity:
    """The check of one package."""

    package_id: str
    files: int = 0  # files checked (hashed)
    bytes: int = 0  # bytes read
    problems: list[FixityProblem] = field(default_factory=list)


@dataclass
class FixityReport:
    """The result of checking a whole bucket; it holds no credentials, only the bucket URL."""

    bucket_url: str
    started_at: datetime
    finished_at: datetime | None = None
    packages: int = 0
    files: int = 0
    bytes: int = 0
    problems: list[FixityProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        verdict = "OK" if self.ok else f"{len(self.problems)} avvik"
        counts = f"{self.packages} pakke(r), {self.files} fil(er), {self.bytes} byte"
        return f"fixitetskontroll av {self.bucket_url}: {verdict}; {counts}"

    def to_text(self) -> str:
        lines = [self.summary(), f"kontrollert {self.started_at.isoformat()} .. {_iso(self.finished_at)}"]
        lines += [problem.to_text() for problem in self.problems]
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
            lines += [
                f"| `{p.package_id}` | `{p.path}` | {KIND_LABELS[p.kind]} | {p.detail.replace('|', '/')} |"
                for p in self.problems
            ]
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
            "problems": [asdict(problem) for problem in self.problems],
        }


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "-"


def verify_package(sink: Sink, package_id: str) -> PackageFixity:
    """Check one complete package against its manifest."""
    result = PackageFixity(package_id)

    def problem(path: str, kind: ProblemKind, detail: str = "") -> None:
        result.problems.append(FixityProblem(package_id, path, kind, detail))

    try:
        manifest = sink.read_manifest(package_id)
        stored = {obj.path: obj for obj in sink.iter_objects(package_id)}
    except SinkError as exc:
        problem(MANIFEST_NAME, "unreadable", str(exc))
        return result
    listed = {entry.path for entry in manifest.files}
    for entry in manifest.files:
        found = stored.get(entry.path)
        if found is None:
            problem(entry.path, "missing")
            continue
        if found.size != entry.size:
            problem(entry.path, "changed", f"størrelse {found.size}, manifestet sier {entry.size}")
            continue
        try:
            with sink.open_file(package_id, entry.path) as stream:
                size, digest = sha256_stream(stream)
        except (SinkError, OSError) as exc:
            problem(entry.path, "unreadable", str(exc))
            continue
        result.files += 1
        result.bytes += size
        if size != entry.size:
            problem(entry.path, "changed", f"leste {size} byte, manifestet sier {entry.size}")
        elif digest != entry.sha256:
            problem(entry.path, "changed", f"SHA-256 {digest}, manifestet sier {entry.sha256}")
    for path in sorted(stored.keys() - listed - {MANIFEST_NAME}):
        problem(path, "extra", f"{stored[path].size} byte, ikke i manifestet")
    return result


def verify_bucket(sink: Sink) -> FixityReport:
    """Check every complete package of the bucket (packages without a manifest are not yet archived)."""
    report = FixityReport(bucket_url=sink.url, started_at=datetime.now(UTC))
    for package_id in sink.list_packages():
        checked = verify_package(sink, package_id)
        report.packages += 1
        report.files += checked.files
        report.bytes += checked.bytes
        report.problems += checked.problems
    report.finished_at = datetime.now(UTC)
    return report
