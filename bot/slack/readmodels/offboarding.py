"""An offboarding as IT's report message shows it: the engine's per-system report (built from the
provisioning rows, so background retries show too) plus the people behind it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.offboarding import report as reports
from bot.slack.readmodels.request import PersonInfo
from bot.store.models import Offboarding, Person


@dataclass(frozen=True)
class OffboardingView:
    report: reports.OffboardReport
    person: PersonInfo
    requested_by: PersonInfo | None  # None when a system asked (HR event, timer)
    people: dict[str, PersonInfo] = field(default_factory=dict)  # by email: who asked, confirmed, cancelled


def load_offboarding(s: Session, offboarding_id: int) -> OffboardingView | None:
    record = s.get(Offboarding, offboarding_id)
    if record is None:
        return None
    asker = directory.by_email(s, record.requested_by) if "@" in (record.requested_by or "") else None
    report = reports.build(s, record)
    labels = {report.confirmation.get("asked_by"), report.confirmation.get("confirmed_by"), report.cancelled.get("by")}
    people = {label: PersonInfo.of(person) for label in labels if label and "@" in label
              for person in [directory.by_email(s, label)] if person is not None}
    return OffboardingView(report, PersonInfo.of(s.get(Person, record.person_id)),
                           PersonInfo.of(asker) if asker else None, people)
