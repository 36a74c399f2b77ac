"""Domain event names and due-action kinds are enum members declared by their feature: a misspelt
name fails where it is written, instead of recording an action nobody subscribes to."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import features
from bot.domain.enums import RequestStatus, Verdict
from bot.ledger import due
from bot.ledger.event_names import RequestEvent
from bot.ledger.events import EventName, happened
from bot.ledger.registry import registered
from bot.requests.decide import STEP_EVENT
from bot.slack.notify import Handlers


def test_a_plain_string_cannot_be_written_as_an_event_or_a_kind(world):
    with world.store.uow() as s:
        ctx = world.ctx()
        with pytest.raises(TypeError, match="request.step_denyd"):
            happened(s, ctx, "request.step_denyd", subject_type="request", subject_id=1)
        with pytest.raises(TypeError, match="grant.expir"):
            due.schedule(s, "grant.expir", 1, ctx.now + timedelta(hours=1), now=ctx.now)
        with pytest.raises(TypeError):
            due.cancel(s, "request.remind", 1)
    with pytest.raises(TypeError):
        Handlers().add("request.step_denied", lambda d, e: None)


def test_a_denial_is_named_step_denied_and_every_status_has_its_event():
    assert STEP_EVENT[Verdict.DENY] == "request.step_denied"
    assert STEP_EVENT[Verdict.APPROVE] == "request.step_approved"
    for status in RequestStatus:
        if status != RequestStatus.PENDING:
            assert RequestEvent.for_status(status) == f"request.{status}"
    with pytest.raises(ValueError):
        RequestEvent.for_status("denyd")


def test_stored_values_are_unique_across_features():
    events = [member for feature in registered() for enum in feature.events for member in enum]
    assert len({str(e) for e in events}) == len(events)
    assert all(isinstance(e, EventName) for e in events)
    kinds = [member for feature in registered() for enum in feature.timer_kinds for member in enum]
    assert len({str(k) for k in kinds}) == len(kinds)
    assert "request.step_denied" in {str(e) for e in events}
    assert features.FEATURES[0] == "bot.requests"
