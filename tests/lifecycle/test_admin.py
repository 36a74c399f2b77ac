"""IT pushes and revokes access directly: approval skipped, policy kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.directory import service as directory
from bot.domain.errors import (
    InvalidDuration,
    MissingJustification,
    NotAuthorized,
    NotEligible,
    SelfApproval,
    SeparationOfDuties,
)
from bot.lifecycle import admin
from tests.lifecycle.helpers import drain, live, outbox


def _push(world, actor, email, ref, reason="covering the payments run", **kw):
    with world.store.uow() as s:
        return admin.push_grant(s, world.ctx(actor), admin=directory.require(s, actor),
                                person=directory.require(s, email), entitlement=ref, reason=reason, **kw).id


def test_it_pushes_access_without_approval_and_it_is_provisioned_and_announced(world, deps):
    grant_id = _push(world, "ivan@acme.test", "alice@acme.test", "erp:payments-create")
    drain(deps)
    assert live(deps, "alice@acme.test") == {"erp:payments-create": "active"}
    assert world.holds("alice@acme.test", "erp-pay-create")
    [pushed] = outbox(deps, "grant.pushed")
    assert (pushed["grant_id"], pushed["by"], pushed["reason"]) == (grant_id, "ivan@acme.test",
                                                                    "covering the payments run")
    with world.store.uow() as s:
        [held] = admin.grants_of(s, directory.require(s, "alice@acme.test"))
        assert held.granted_by == "admin: ivan@acme.test"


@pytest.mark.parametrize("actor, email, ref, kw, refusal", [
    ("dana@acme.test", "alice@acme.test", "erp:payments-create", {}, NotAuthorized),
    ("ivan@acme.test", "ivan@acme.test", "erp:payments-create", {}, SelfApproval),
    ("ivan@acme.test", "bob@acme.test", "aws-prod:readonly", {}, NotEligible),
    ("ivan@acme.test", "alice@acme.test", "erp:payments-create", {"reason": "  "}, MissingJustification),
    ("ivan@acme.test", "alice@acme.test", "erp:payments-create", {"duration": timedelta(days=3)}, InvalidDuration),
])
def test_a_push_the_policy_does_not_allow_is_refused(world, deps, actor, email, ref, kw, refusal):
    with pytest.raises(refusal):
        _push(world, actor, email, ref, **kw)
    assert live(deps, email) == {}


def test_separation_of_duties_holds_for_pushed_access_too(world, deps):
    _push(world, "ivan@acme.test", "alice@acme.test", "erp:payments-create")
    with pytest.raises(SeparationOfDuties) as refused:
        _push(world, "ivan@acme.test", "alice@acme.test", "erp:payments-approve")
    assert "payments-four-eyes" in refused.value.message
    assert set(live(deps, "alice@acme.test")) == {"erp:payments-create"}


def test_it_revokes_with_a_reason(world, deps):
    grant_id = _push(world, "ivan@acme.test", "alice@acme.test", "erp:payments-create")
    drain(deps)
    with world.store.uow() as s:
        with pytest.raises(MissingJustification):
            admin.revoke_grant(s, world.ctx("ivan@acme.test"), admin=directory.require(s, "ivan@acme.test"),
                               grant_id=grant_id, reason="")
    with world.store.uow() as s:
        admin.revoke_grant(s, world.ctx("ivan@acme.test"), admin=directory.require(s, "ivan@acme.test"),
                           grant_id=grant_id, reason="payments run over")
    drain(deps)
    assert live(deps, "alice@acme.test") == {} and not world.holds("alice@acme.test", "erp-pay-create")
