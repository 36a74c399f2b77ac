"""Approval rules: who may decide, how often, and what quorum and chains require."""

from __future__ import annotations

import pytest

from bot.domain.enums import GrantStatus, RequestStatus, StepStatus, Verdict
from bot.domain.errors import AlreadyDecided, MissingJustification, NotAuthorized, SelfApproval
from bot.store.models import ApprovalStep, AuditEvent, Decision
from sqlalchemy import func, select


def _decisions(world) -> int:
    with world.store.uow() as s:
        return s.scalar(select(func.count()).select_from(Decision))


def test_manager_approval_provisions_the_grant(world):
    rid = world.submit("alice@acme.test", "erp:payments-create")
    assert world.request(rid).status == RequestStatus.PENDING
    assert world.decide("dana@acme.test", rid) is True
    assert world.request(rid).status == RequestStatus.APPROVED
    [grant] = world.grants_of("alice@acme.test")
    assert grant.status == GrantStatus.PROVISIONING
    assert not world.holds("alice@acme.test", "erp-pay-create")
    world.run()
    [grant] = world.grants_of("alice@acme.test")
    assert grant.status == GrantStatus.ACTIVE
    assert grant.ends_at == world.clock.now() + (grant.ends_at - grant.activated_at)
    assert (grant.ends_at - grant.activated_at).total_seconds() == 4 * 3600  # the policy default
    assert world.holds("alice@acme.test", "erp-pay-create")


def test_requester_cannot_approve_their_own_request(world):
    # Dana's manager is Erin; Dana is the requester, so she is refused even if she were an approver.
    rid = world.submit("dana@acme.test", "erp:payments-create")
    with pytest.raises(SelfApproval):
        world.decide("dana@acme.test", rid)
    assert _decisions(world) == 0
    assert world.request(rid).status == RequestStatus.PENDING


def test_someone_who_is_not_an_approver_is_refused(world):
    rid = world.submit("alice@acme.test", "erp:payments-create")
    with pytest.raises(NotAuthorized):
        world.decide("bob@acme.test", rid)
    assert _decisions(world) == 0
    assert world.request(rid).status == RequestStatus.PENDING


def test_a_second_decision_on_a_decided_request_is_refused(world):
    rid = world.submit("alice@acme.test", "erp:payments-create")
    world.decide("dana@acme.test", rid)
    with pytest.raises(AlreadyDecided, match="already approved"):
        world.decide("dana@acme.test", rid, Verdict.DENY, reason="changed my mind")
    assert _decisions(world) == 1
    assert world.request(rid).status == RequestStatus.APPROVED


def test_two_of_three_quorum_needs_two_different_approvers(world):
    rid = world.submit("alice@acme.test", "aws-prod:admin")
    assert world.decide("p1@acme.test", rid) is False
    with pytest.raises(AlreadyDecided):
        world.decide("p1@acme.test", rid)  # the same person cannot count twice
    assert world.request(rid).status == RequestStatus.PENDING
    assert world.decide("p3@acme.test", rid) is True
    assert world.request(rid).status == RequestStatus.APPROVED
    assert _decisions(world) == 2


def test_a_two_step_chain_needs_the_manager_then_the_owner(world):
    rid = world.submit("alice@acme.test", "github:admin", justification="incident INC-42 cleanup")
    with pytest.raises(NotAuthorized):
        world.decide("olga@acme.test", rid)  # the owners' step is not active yet
    assert world.decide("dana@acme.test", rid) is False
    with world.store.uow() as s:
        steps = s.scalars(select(ApprovalStep).where(ApprovalStep.request_id == rid)
                          .order_by(ApprovalStep.position)).all()
        assert [st.status for st in steps] == [StepStatus.APPROVED, StepStatus.ACTIVE]
    with pytest.raises(NotAuthorized):
        world.decide("dana@acme.test", rid)  # not an owner
    assert world.decide("olga@acme.test", rid) is True
    assert world.request(rid).status == RequestStatus.APPROVED


def test_deny_needs_a_reason_and_ends_the_request(world):
    rid = world.submit("alice@acme.test", "erp:payments-create")
    with pytest.raises(MissingJustification):
        world.decide("dana@acme.test", rid, Verdict.DENY)
    world.decide("dana@acme.test", rid, Verdict.DENY, reason="use the sandbox")
    request = world.request(rid)
    assert request.status == RequestStatus.DENIED
    assert request.decision_reason == "use the sandbox"
    assert world.grants_of("alice@acme.test") == []


def test_auto_approve_rule_applies_without_anyone_deciding(world):
    rid = world.submit("alice@acme.test", "aws-prod:readonly")
    request = world.request(rid)
    assert request.status == RequestStatus.APPROVED
    assert request.auto_approved
    assert "Engineering" in request.policy_rule
    world.run()
    assert world.holds("alice@acme.test", "aws-prod-ro")
    # Bob (Sales) does not match the rule: his request waits for his manager.
    rid = world.submit("bob@acme.test", "aws-prod:readonly")
    assert world.request(rid).status == RequestStatus.PENDING


def test_refusals_leave_an_audit_trail_through_perform(world):
    from bot.directory import service as directory
    from bot.operations import perform
    from bot.ledger.context import Actor
    from bot.domain.enums import Trigger
    from bot.requests.decide import decide

    class _Deps:
        store, catalog = world.store, world.catalog

        def ctx(self, actor):
            from bot.ledger.context import Ctx
            return Ctx(world.catalog, world.clock.now(), actor)

        def kick(self):
            pass

    rid = world.submit("alice@acme.test", "erp:payments-create")
    with pytest.raises(NotAuthorized):
        perform(_Deps(), Actor("bob@acme.test", Trigger.SLACK), "decide",
                lambda s, ctx: decide(s, ctx, request_id=rid, approver=directory.require(s, "bob@acme.test"),
                                      verdict=Verdict.APPROVE),
                subject=("request", rid))
    with world.store.uow() as s:
        refusal = s.scalar(select(AuditEvent).where(AuditEvent.action == "refused.decide"))
        assert refusal.actor == "bob@acme.test"
        assert refusal.detail["code"] == "not_authorized"
        assert refusal.subject_id == str(rid)
