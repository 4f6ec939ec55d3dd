"""The delivery state of a package (KS Fiks Arkiv) as the package page shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pipeline.delivery import STATUS_LABELS, read_delivery
from schemas.errors import SomearkivError
from storage.base import Sink


@dataclass(frozen=True)
class AttemptRow:
    sent_at: datetime
    outcome: str
    reason: str | None


@dataclass
class DeliveryView:
    """``status`` None: the package was never sent (or is not journal-required)."""

    status: str | None = None
    label: str = "Ikke sendt til arkivsystemet"
    receiver: str | None = None
    updated_at: datetime | None = None
    failure: str | None = None
    attempts: list[AttemptRow] = field(default_factory=list)
    journal_number: str | None = None  # "journalår/sekvensnummer" from the kvittering
    journalpostnummer: int | None = None
    case_number: str | None = None  # "saksår/sakssekvensnummer" from the kvittering
    problem: str | None = None


def delivery_view(sink: Sink, package_id: str) -> DeliveryView:
    try:
        record = read_delivery(sink, package_id)
    except SomearkivError as exc:
        return DeliveryView(label="Leveranseposten kan ikke leses", problem=str(exc)[:300])
    if record is None:
        return DeliveryView()
    view = DeliveryView(
        status=record.status, label=STATUS_LABELS.get(record.status, record.status),
        receiver=record.receiver_account, updated_at=record.updated_at, failure=record.failure,
        attempts=[AttemptRow(a.sent_at, STATUS_LABELS.get(a.outcome, a.outcome), a.reason) for a in record.attempts],
    )
    numbers = record.numbers if record.status == "kvittert" else None
    if numbers is not None:
        if numbers.journalaar is not None and numbers.journalsekvensnummer is not None:
            view.journal_number = f"{numbers.journalaar}/{numbers.journalsekvensnummer}"
        view.journalpostnummer = numbers.journalpostnummer
        if numbers.saksaar is not None and numbers.sakssekvensnummer is not None:
            view.case_number = f"{numbers.saksaar}/{numbers.sakssekvensnummer}"
    return view
