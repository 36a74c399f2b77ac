"""On-call rules in a bundle submit, through signed Slack requests on both databases: each entitlement asks
the providers as a single submit does, ``ends_with_shift`` cuts only the entitlement whose rule says so,
and a provider that cannot be asked sends the bundle to the approvers with the reason on every card."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain.enums import RequestStatus
from bot.oncall.events import OnCallEvent
from bot.store.models import AccessRequest
from tests.oncall.support import ON_CALL_CATALOG, PD_TOKEN_VARIABLE, write_on_call_file
from tests.slack.harness import ALICE, DANA, P1, running_bot

BUNDLED = ON_CALL_CATALOG + """
bundles:
  incident:
    description: What the payments responder needs in an incident.
    entitlements: [github:admin, aws-prod:admin]
"""
FALLBACK = "On-call auto-approval did not apply: on-call schedule 'payments': PagerDuty refused the credential (401)"


def _submit_bundle(bot):
    form = bot.open_form(ALICE)
    since = bot.fake.last_seq
    bot.sim.click(ALICE, on=form.id, action_id="entitlement_picker", value="bundle/incident")
    bot.fake.wait_for_call("views.update", after=since, ok=True)
    done = bot.sim.submit(ALICE, form.id, {"duration": "4h", "justification": "payments incident INC-9"})
    assert done.response_action == "update", done
    with bot.store.uow() as s:
        requests = {r.entitlement: (r.status, r.auto_approved, r.duration_seconds, r.id)
                    for r in s.scalars(select(AccessRequest))}
    return requests, done.top.visible_text


def _bot(store, clock, tmp_path, pagerduty):
    path = write_on_call_file(tmp_path, pagerduty_url=pagerduty.url)
    return running_bot(store, clock, tmp_path, catalog=BUNDLED, on_call_file=path)


def test_the_on_call_entitlement_skips_the_round_and_ends_with_the_shift(store, clock, tmp_path, pagerduty):
    now = clock.now()
    pagerduty.on_call("PALICE1", policy="PEP0001", level=1, schedule="PPAY001", start=now - timedelta(hours=1),
                      end=now + timedelta(minutes=90))
    with _bot(store, clock, tmp_path, pagerduty) as bot:
        requests, shown = _submit_bundle(bot)
        assert "sent: one approval" in shown and "ends with your on-call shift" in shown
        assert requests["github:admin"][2] == 90 * 60  # cut to the shift: its rule says ends_with_shift
        assert requests["aws-prod:admin"][2] == 4 * 3600  # no on-call rule: the duration asked
        lead = requests["github:admin"][3]
        bot.settle()
        card = bot.card_for(P1, lead).visible_text  # the round is aws-prod's step only
        assert "Step 1 of 1" in card and "did not apply" not in card
        assert not [m for m in bot.fake.dm(DANA) if f"Access request #{lead}:" in m.visible_text]  # no manager step
        [event] = bot.audit(OnCallEvent.GRANT_ENDS_WITH_SHIFT)
        assert event.detail["entitlement"] == "github:admin" and event.detail["granted_seconds"] == 90 * 60
    assert len(pagerduty.oncall_requests()) == 1  # asked once, before the rows were written


def test_a_provider_that_cannot_be_asked_sends_the_bundle_to_the_approvers_and_says_why(
        store, clock, tmp_path, pagerduty, monkeypatch):
    now = clock.now()
    pagerduty.on_call("PALICE1", policy="PEP0001", level=1, schedule="PPAY001", start=now, end=now + timedelta(hours=8))
    monkeypatch.setenv(PD_TOKEN_VARIABLE, "a-revoked-token-000000")  # PagerDuty answers 401
    with _bot(store, clock, tmp_path, pagerduty) as bot:
        requests, shown = _submit_bundle(bot)
        assert {status for status, *_ in requests.values()} == {RequestStatus.PENDING}
        assert not any(auto for _, auto, *_ in requests.values())  # never "on call"
        assert "github:admin: On-call auto-approval did not apply" in shown and "refused the credential" in shown
        lead = requests["github:admin"][3]
        bot.settle()
        for user in (ALICE, DANA):  # the requester's card says why it waits; the manager's, why it came
            assert FALLBACK in bot.card_for(user, lead).visible_text
        [event] = bot.audit(OnCallEvent.LOOKUP_FAILED)
        assert event.detail["entitlement"] == "github:admin" and event.detail["auto_approved"] is False
