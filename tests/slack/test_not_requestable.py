"""`requestable: false` (birthright-only access) is refused by the submit operation itself: a crafted
form submission or an admin API call for such a role creates nothing, is told why, and is audited."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.domain.enums import GrantStatus, Trigger
from bot.domain.errors import NotEligible
from bot.ledger.context import Actor
from bot.operations import perform
from bot.requests.extend import extend
from bot.store.models import AccessRequest, Grant, Person
from tests.slack.harness import ALICE, IVAN, harness_document, running_bot
from tests.support.builders import auto, dump

ADMIN_TOKEN = "admin-token-for-tests-0123456789abcdef"
# Wiki gains a birthright-only role next to its requestable editor role.
def _birthright_catalog() -> str:
    document = harness_document()
    document["resources"]["wiki"]["entitlements"]["reader"] = auto(
        "wiki-readers", requestable=False, durations={"choices": ["1h", "4h", "1d"], "default": "4h", "maximum": "1d"})
    return dump(document)


BIRTHRIGHT_CATALOG = _birthright_catalog()


def request_count(bot) -> int:
    with bot.store.uow() as s:
        return s.scalar(select(func.count()).select_from(AccessRequest))


def test_a_crafted_form_submission_for_a_birthright_only_role_is_refused_and_audited(store, clock, tmp_path):
    with running_bot(store, clock, tmp_path, catalog=BIRTHRIGHT_CATALOG) as bot:
        before = request_count(bot)
        form = bot.open_form(ALICE, "wiki editor")
        answer = bot.sim.submit(ALICE, form.id, forged={"entitlement": {
            "type": "external_select", "selected_option": {"text": {"type": "plain_text", "text": "Wiki reader"},
                                                           "value": "wiki:reader"}}})
        assert answer.response_action == "errors"
        assert "cannot be requested" in answer.errors["entitlement"]
        bot.settle()
        assert request_count(bot) == before
        assert bot.grants_of("alice@acme.test") == []
        refused = bot.audit("refused.submit")
        assert len(refused) == 1 and refused[0].actor == "alice@acme.test"
        assert refused[0].detail["code"] == "not_eligible" and "cannot be requested" in refused[0].detail["message"]


def test_the_admin_api_cannot_request_a_birthright_only_role(store, clock, tmp_path):
    with running_bot(store, clock, tmp_path, catalog=BIRTHRIGHT_CATALOG, admin_api_token=ADMIN_TOKEN) as bot:
        api = bot.sim.transport.client
        auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        refused = api.post("/api/v1/requests", headers=auth, json={
            "requester": "alice@acme.test", "entitlement": "wiki:reader", "duration": "4h",
            "justification": "crafted"})
        assert refused.status_code == 403, refused.text
        assert "cannot be requested" in refused.json()["detail"]
        assert request_count(bot) == 0
        assert [e.detail["code"] for e in bot.audit("refused.submit")] == ["not_eligible"]
        # The requestable role next to it still goes through the same call.
        accepted = api.post("/api/v1/requests", headers=auth, json={
            "requester": "alice@acme.test", "entitlement": "wiki:editor", "justification": "docs"})
        assert accepted.status_code == 201, accepted.text


def test_admin_push_still_works_but_its_grant_offers_no_extend(store, clock, tmp_path):
    """IT's direct push is the documented way to hand out such a role (audited as admin_pushed); asking
    for more of it is asking for it, so the App Home offers no Extend and extend() refuses it."""
    with running_bot(store, clock, tmp_path, catalog=BIRTHRIGHT_CATALOG) as bot:
        bot.sim.slash(IVAN, "/access-admin", "grant @alice wiki:reader 4h birthright run was late")
        bot.fake.wait_until(lambda: [g for g in bot.grants_of("alice@acme.test") if g.status == GrantStatus.ACTIVE],
                            what="the pushed grant active")
        [grant] = bot.grants_of("alice@acme.test")
        home = bot.sim.open_home(ALICE)
        assert "Wiki" in json.dumps(home.blocks) and '"extend_grant"' not in json.dumps(home.blocks)

        def more(s, ctx):
            alice = s.scalar(select(Person).where(Person.email == "alice@acme.test"))
            return extend(s, ctx, grant_id=grant.id, by=alice, extra=timedelta(hours=1))
        with pytest.raises(NotEligible, match="cannot be requested"):
            perform(bot.deps, Actor("alice@acme.test", Trigger.SLACK), "extend", more)
        with bot.store.uow() as s:
            assert s.get(Grant, grant.id).ends_at == grant.ends_at
