"""Four-eyes offboarding: whether a second IT admin must confirm an offboarding IT asked for.

Offboarding someone who holds privileged access (by default: a live grant whose entitlement risk
is high or critical; see the catalog's ``settings.offboarding``) is a change one person should not
make alone. The first IT admin's request becomes an ``unconfirmed`` Offboarding; a different IT
admin confirms it (``bot.offboarding.confirm.confirm_offboarding``). HR and IdP leavers never
come through here: they are already a second, authoritative source.

Break glass: in an emergency one IT admin may skip the confirmation, with a reason, when the
catalog allows it (``break_glass: true``, the default). It is audited and shown on the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import MissingJustification, NotAuthorized
from bot.offboarding import prepare
from bot.store.models import Grant, Person
from policies.settings import OffboardingSettings

@dataclass(frozen=True)
class Need:
    """What the policy asks of an offboarding of one person."""

    required: bool
    privileged: tuple[str, ...]  # privileged entitlements they hold (shown to both admins)
    rule: str  # the catalog's setting: privileged, always or never

    @property
    def why(self) -> str:
        if self.privileged:
            return f"they hold privileged access ({', '.join(self.privileged)})"
        return "the catalog asks a second IT admin to confirm every offboarding" if self.required else ""


def privileged_access(s: Session, catalog, person: Person) -> tuple[str, ...]:
    """Entitlements of live grants whose risk the catalog counts as privileged, sorted, once each."""
    risks = catalog.settings.offboarding.privileged_risks
    refs = s.scalars(select(Grant.entitlement).where(Grant.person_id == person.id, Grant.status.in_(prepare.ENDABLE)))
    return tuple(sorted({ref for ref in refs if _risk(catalog, ref) in risks}))


def assess(s: Session, catalog, person: Person) -> Need:
    """Four eyes for a new decision only: finishing an offboarding that already runs needs none."""
    current = prepare.latest(s, person)
    if current is not None and current.status in (prepare.RUNNING, prepare.WAITING, prepare.PARTIAL):
        return Need(required=False, privileged=(), rule="resume")
    settings: OffboardingSettings = catalog.settings.offboarding
    privileged = privileged_access(s, catalog, person)
    rule = settings.second_confirmation
    required = rule == "always" or (rule == "privileged" and bool(privileged))
    return Need(required=required, privileged=privileged, rule=rule)


def check_break_glass(catalog, reason: str) -> None:
    """Refuse break glass when the catalog turned it off, or when no reason is given."""
    if not catalog.settings.offboarding.break_glass:
        raise NotAuthorized("Break glass is turned off in this catalog (settings.offboarding.break_glass): "
                            "a second IT admin must confirm.")
    if not reason.strip():
        raise MissingJustification("Break glass needs a reason: say what the emergency is.", field="offboard_reason")


def _risk(catalog, ref: str) -> str:
    try:
        return catalog.entitlement(ref).risk
    except KeyError:
        return ""
