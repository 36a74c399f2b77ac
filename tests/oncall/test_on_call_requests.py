"""On-call auto-approval through signed Slack requests into the real app, on both databases: on call →
approved at once (ending with the shift), not on call → the approvers, provider down → the approvers with
the reason shown and audited, a static rotation's override."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.enums import GrantStatus, RequestStatus
from bot.oncall.events import OnCallEvent
from tests.oncall.support import ON_CALL_CATALOG, PD_TOKEN_VARIABLE, write_on_call_file
from tests.slack.harness import ALICE, DANA, running_bot

REASON = {"justification": "payments incident INC-9: deploy the fix"}


def on_call_bot(store, clock, tmp_path, pagerduty, **file_options):
    path = write_on_call_file(tmp_path, pagerduty_url=pagerduty.url, **file_options)
    return running_bot(store, clock, tmp_path, catalog=ON_CALL_CATALOG, on_call_file=path)


def submit_github_admin(bot):
    form = bot.open_form(ALICE, "github admin")
    done = bot.sim.submit(ALICE, form.id, REASON)
    assert done.response_action == "update"
    return bot.request(bot.last_request_id()), done.top.visible_text


def test_first_responder_is_approved_at_once_and_the_grant_ends_with_the_shift(store, clock, tmp_path, pagerduty):
    now = clock.now()
    pagerduty.on_call("PALICE1", policy="PEP0001", level=1, schedule="PPAY001", start=now - timedelta(hours=6),
                      end=now + timedelta(minutes=90))
    with on_call_bot(store, clock, tmp_path, pagerduty) as bot:
        request, shown = submit_github_admin(bot)
        assert request.status == RequestStatus.APPROVED and request.auto_approved
        assert "payments first responder" in request.policy_rule
        assert "approved automatically" in shown and "ends with your on-call shift" in shown
        assert request.duration_seconds == 90 * 60  # the 4h default cut to the end of the shift
        bot.settle()
        [grant] = bot.grants_of("alice@acme.test")
        assert grant.status == GrantStatus.ACTIVE and grant.ends_at == now + timedelta(minutes=90)
        [event] = bot.audit(OnCallEvent.GRANT_ENDS_WITH_SHIFT)
        assert event.detail["asked_seconds"] == 4 * 3600 and event.detail["granted_seconds"] == 90 * 60
        assert not [m for m in bot.fake.dm(DANA) if f"Access request #{request.id}:" in m.visible_text]
    [asked] = pagerduty.oncall_requests()
    assert "schedule_ids%5B%5D=PPAY001" in asked.query and "time_zone=UTC" in asked.query


def test_second_level_is_not_first_responder_and_goes_to_the_approvers(store, clock, tmp_path, pagerduty):
    now = clock.now()
    pagerduty.on_call("PBOB001", policy="PEP0001", level=1, schedule="PPAY001", start=now, end=now + timedelta(hours=8))
    pagerduty.on_call("PALICE1", policy="PEP0001", level=2, schedule="PPAY001", start=now, end=now + timedelta(hours=8))
    with on_call_bot(store, clock, tmp_path, pagerduty) as bot:
        request, shown = submit_github_admin(bot)
        assert request.status == RequestStatus.PENDING and not request.auto_approved
        assert "sent" in shown and "on-call" not in shown  # nothing went wrong: no notice
        assert bot.card_for(DANA, request.id) is not None
        assert bot.audit(OnCallEvent.LOOKUP_FAILED) == []


def test_provider_refusing_means_normal_approval_with_the_reason_shown_and_audited(store, clock, tmp_path,
                                                                                   pagerduty, monkeypatch):
    now = clock.now()
    pagerduty.on_call("PALICE1", policy="PEP0001", level=1, schedule="PPAY001", start=now, end=now + timedelta(hours=8))
    monkeypatch.setenv(PD_TOKEN_VARIABLE, "a-revoked-token-000000")  # PagerDuty answers 401
    with on_call_bot(store, clock, tmp_path, pagerduty) as bot:
        request, shown = submit_github_admin(bot)
        assert request.status == RequestStatus.PENDING and not request.auto_approved  # never "on call"
        assert "On-call auto-approval did not apply" in shown and "PagerDuty refused the credential (401)" in shown
        [event] = bot.audit(OnCallEvent.LOOKUP_FAILED)
        assert event.detail["auto_approved"] is False and "401" in event.detail["problems"][0]
        bot.settle()
        for user in (ALICE, DANA):  # the requester's card says why it waits, the approver's why it came
            card = bot.card_for(user, request.id).visible_text
            assert "On-call auto-approval did not apply: on-call schedule 'payments': PagerDuty refused" in card


def test_provider_unreachable_means_normal_approval(store, clock, tmp_path, pagerduty):
    path = write_on_call_file(tmp_path, pagerduty_url="http://127.0.0.1:9")  # nothing listens on the discard port
    with running_bot(store, clock, tmp_path, catalog=ON_CALL_CATALOG, on_call_file=path) as bot:
        request, shown = submit_github_admin(bot)
        assert request.status == RequestStatus.PENDING
        assert "PagerDuty could not be reached" in shown


def test_static_override_puts_the_requester_on_call(store, clock, tmp_path, pagerduty):
    with on_call_bot(store, clock, tmp_path, pagerduty, alice_override=True) as bot:
        request, shown = submit_github_admin(bot)
        assert request.status == RequestStatus.APPROVED and "support on call" in request.policy_rule
        assert request.duration_seconds == 4 * 3600  # this rule does not end with the shift
        assert "ends with your on-call shift" not in shown
