"""Which person an event is about, and the changes of identity HR makes.

HR's employee id wins over the email: an email change keeps the same person (and their grants);
a new employee id on a known email is a re-hire only for a joiner whose previous self has left.
Anything else ambiguous is refused rather than guessed: applying a leaver event to the wrong
person is the worst possible outcome.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.domain.enums import PersonStatus
from bot.domain.errors import DomainError
from bot.lifecycle.events import LifecycleInput
from bot.store.models import Offboarding, Person, PersonChange


class IdentityConflict(DomainError):
    code = "identity_conflict"
    http_status = 409


def locate(s: Session, event: LifecycleInput) -> Person | None:
    if event.person_id is not None:
        return s.get(Person, event.person_id)
    by_mail = directory.by_email(s, event.email)
    if not event.employee_id:
        return by_mail
    matches = s.scalars(select(Person).where(Person.employee_id == event.employee_id).order_by(Person.id)).all()
    if len(matches) > 1:
        raise IdentityConflict(f"Several people have employee id {event.employee_id}; fix the directory first.")
    if matches:
        person = matches[0]
        if by_mail is not None and by_mail.id != person.id:
            raise IdentityConflict(
                f"{event.email} belongs to another person (employee id {by_mail.employee_id or 'none'}) than "
                f"employee {event.employee_id} ({person.email}); nothing was changed.")
        return person
    if by_mail is None or not by_mail.employee_id or by_mail.employee_id == event.employee_id:
        return by_mail
    if event.type == "joiner" and (by_mail.status == PersonStatus.LEAVER or _leaves_before(s, by_mail, event)):
        return by_mail  # re-hire: same address, new employee id; the old grants stay ended
    raise IdentityConflict(
        f"{event.email} is employee {by_mail.employee_id}, not {event.employee_id}; a new employee id on an "
        f"address in use is only accepted for a joiner whose previous employment ended.")


def _leaves_before(s: Session, person: Person, event: LifecycleInput) -> bool:
    """The person's offboarding is scheduled before the joiner starts: a re-hire after a gap."""
    return s.scalar(select(Offboarding.id).where(
        Offboarding.person_id == person.id, Offboarding.status == "scheduled",
        Offboarding.scheduled_for < event.effective_at).limit(1)) is not None


def rename(s: Session, person: Person, new_email: str, *, source: str, now: datetime,
           effective_at: datetime | None) -> bool:
    """Change a person's email in place, so their grants and history follow them."""
    new = directory.normalise_email(new_email)
    if new == person.email:
        return False
    other = directory.by_email(s, new)
    if other is not None:
        raise IdentityConflict(f"{person.email} cannot become {new}: that address belongs to someone else.")
    s.add(PersonChange(person_id=person.id, field="email", old_value=person.email, new_value=new, source=source,
                       changed_at=now, effective_at=effective_at))
    person.email, person.updated_at = new, now
    s.flush()
    return True

