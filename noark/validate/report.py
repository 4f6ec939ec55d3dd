"""The validation report: findings (``schemas.findings.Finding``) plus element counts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from schemas.findings import SEVERITY_LABELS, Finding, errors, warnings

Kind = Literal["package", "uttrekk"]
# Report.kind stays a machine value ("package"/"uttrekk", also in the JSON); the text report names it in bokmål.
KIND_LABELS: dict[str, str] = {"package": "pakke", "uttrekk": "uttrekk"}


def where(file: str | None, line: int | None = None) -> str:
    """``file:line`` (or just the file) for ``Finding.where``."""
    if not file:
        return ""
    return f"{file}:{line}" if line else file


@dataclass
class Report:
    path: str
    kind: Kind
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return errors(self.findings)

    @property
    def warnings(self) -> list[Finding]:
        return warnings(self.findings)

    @property
    def ok(self) -> bool:
        return not self.errors

    def rules(self) -> set[str]:
        """The ids of the rules that found errors."""
        return {f.rule for f in self.errors}

    def to_text(self) -> str:
        errs, warns = self.errors, self.warnings
        lines = [
            f"{KIND_LABELS.get(self.kind, self.kind)} {self.path}: {'OK' if self.ok else 'UGYLDIG'} "
            f"({len(errs)} feil, {len(warns)} {'advarsel' if len(warns) == 1 else 'advarsler'})"
        ]
        if self.counts:
            lines.append("  " + ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items())))
        lines += [f"  {SEVERITY_LABELS[f.severity]:<8} {f}" for f in errs + warns]
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        data = {
            "path": self.path,
            "kind": self.kind,
            "ok": self.ok,
            "counts": self.counts,
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
        }
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
