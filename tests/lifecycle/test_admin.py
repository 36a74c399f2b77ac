"""IT pushes and revokes access directly: approval skipped, the policy kept (docs/lifecycle.md, "IT pushes access")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.errors import (
    InvalidDuration,
    MissingJustification,
    NotAuthorized,
    NotEligible,
    SelfApproval,
    SeparationOfDuties,
)
from bot.store.models import AuditEvent
from bot.admin import grant as admin_grant
from tests.lifecycle.helpers import drain, live

FOUR_HOURS = timedelta(hours=4)


def _push(world, actor, email, ref, reason="covering the payments run", duration=FOUR_HOURS):
    with world.store.uow() as s:
        request = admin_grant.push_grant(s, world.ctx(actor), admin=directory.require(s, actor),
                                         person=directory.require(s, email), entitlement=ref, reason=reason,
                                         duration=duration)
        return request.grant_id


def _audit(world, action: str) -> list[AuditEvent]:
    with world.store.uow() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def test_it_pushes_access_without_approval_and_it_is_provisioned_and_audited(world, deps):
    grant_id = _push(world, "ivan@acme.test", "alice@acme.test", "erp:payments-create")
    drain(deps)
    assert live(deps, "alice@acme.test") == {"erp:payments-create": "active"}
    assert world.holds("alice@acme.test", "erp-pay-create")
    [pushed] = _audit(world, "request.admin_pushed")
    assert (pushed.actor, pushed.detail["by"], pushed.detail["reason"]) == (
        "ivan@acme.test", "ivan@acme.test", "covering the payments run")
    [held] = [g for g in world.grants_of("alice@acme.test") if g.id == grant_id]
    assert held.granted_by == "admin: ivan@acme.test"


@pytest.mark.parametrize("actor, email, ref, kw, refusal", [
    ("dana@acme.test", "alice@acme.test", "erp:payments-create", {}, NotAuthorized),
    ("ivan@acme.test", "ivan@acme.test", "erp:payments-create", {}, SelfApproval),
    ("ivan@acme.test", "bob@acme.test", "aws-prod:readonly", {"duration": None}, NotEligible),
    ("ivan@acme.test", "alice@acme.test", "erp:payments-create", {"reason": "  "}, MissingJustification),
    ("ivan@acme.test", "alice@acme.test", "erp:payments-create", {"duration": timedelta(days=3)}, InvalidDuration),
])
def test_a_push_the_policy_does_not_allow_is_refused(world, deps, actor, email, ref, kw, refusal):
    with pytest.raises(refusal):
        _push(world, actor, email, ref, **kw)
    assert live(deps, email) == {}
    assert _audit(world, "request.admin_pushed") == []


def test_eligibility_names_the_person_pushed_to_not_the_admin(world, deps):
    with pytest.raises(NotEligible) as refused:
        _push(world, "ivan@acme.test", "bob@acme.test", "aws-prod:readonly", duration=None)
    assert refused.value.message.startswith("bob@acme.test is not eligible for")


def test_separation_of_duties_holds_for_pushed_access_too(world, deps):
    _push(world, "ivan@acme.test", "alice@acme.test", "erp:payments-create")
    with pytest.raises(SeparationOfDuties) as refused:
        _push(world, "ivan@acme.test", "alice@acme.test", "erp:payments-approve")
    assert refused.value.message == ("erp:payments-approve cannot be held together with erp:payments-create "
                                     "(payments-four-eyes: nobody may both create and approve payments).")
    assert set(live(deps, "alice@acme.test")) == {"erp:payments-create"}


def test_it_revokes_one_grant_by_id_and_only_an_it_admin_may(world, deps):
    grant_id = _push(world, "ivan@acme.test", "alice@acme.test", "erp:payments-create")
    drain(deps)
    with world.store.uow() as s:
        with pytest.raises(NotAuthorized):
            admin_grant.revoke_grant(s, world.ctx("dana@acme.test"), admin=directory.require(s, "dana@acme.test"),
                                     grant_id=grant_id, reason="not mine to end")
    with world.store.uow() as s:
        admin_grant.revoke_grant(s, world.ctx("ivan@acme.test"), admin=directory.require(s, "ivan@acme.test"),
                                 grant_id=grant_id, reason="payments run over")
    drain(deps)
    assert live(deps, "alice@acme.test") == {} and not world.holds("alice@acme.test", "erp-pay-create")
