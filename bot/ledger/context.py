"""Who is acting, when, and under which catalog: passed to every operation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain.enums import Trigger

if TYPE_CHECKING:
    from policies import Catalog
    from policies.on_call import OnCallLookup

    from bot.store.models import Person


@dataclass(frozen=True)
class Actor:
    label: str  # "alice@acme.example", "system:timer", "hr-webhook"
    trigger: Trigger
    person_id: int | None = None

    @classmethod
    def person(cls, person: Person, trigger: Trigger) -> Actor:
        return cls(label=person.email, trigger=trigger, person_id=person.id)

    @classmethod
    def system(cls, name: str, trigger: Trigger = Trigger.SYSTEM) -> Actor:
        return cls(label=f"system:{name}", trigger=trigger)


@dataclass(frozen=True)
class Ctx:
    catalog: Catalog
    now: datetime
    actor: Actor
    on_call: OnCallLookup | None = None  # who is on call, for auto-approve rules (bot/oncall)
