"""The request form and /access: type-ahead, redraw per policy, inline errors, the quick path."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.enums import RequestStatus
from tests.slack.harness import ALICE, BOB, DANA, MALLORY, action_ids, running_bot


def elements(view) -> dict[str, dict]:
    return {b["block_id"]: b["element"] for b in view.blocks if b.get("type") == "input"}


def test_the_form_opens_at_once_and_redraws_for_the_chosen_entitlement(bot):
    form = bot.open_form(ALICE)
    assert list(elements(form)) == ["entitlement"]
    options = bot.sim.suggest(ALICE, form.id, "entitlement_picker", "git")
    assert [o["value"] for o in options] == ["github:admin", "github:member"]
    since = bot.fake.last_seq
    bot.sim.click(ALICE, on=form.id, action_id="entitlement_picker", value="wiki:editor")
    bot.fake.wait_for_call("views.update", after=since, ok=True)
    redrawn = bot.fake.view(form.id)
    fields = elements(redrawn)
    assert list(fields) == ["entitlement", "duration", "justification", "ticket", "starts_at"]
    assert fields["duration"]["initial_option"]["value"] == "permanent"
    assert [o["value"] for o in fields["duration"]["options"]] == ["1d", "permanent"]
    assert fields["entitlement"]["initial_option"]["value"] == "wiki:editor"

    bot.sim.click(ALICE, on=form.id, action_id="entitlement_picker", value="github:admin")
    bot.fake.wait_until(lambda: elements(bot.fake.view(form.id))["duration"]["initial_option"]["value"] == "4h",
                        what="durations of github:admin")
    github = bot.fake.view(form.id)
    assert not next(b for b in github.blocks if b.get("block_id") == "justification").get("optional")
    assert "Approval: Manager → Owners" in github.visible_text and "high" in github.visible_text


def test_invalid_input_is_shown_inline_and_the_form_stays_open(bot):
    form = bot.open_form(ALICE, "prod-db write")
    bad_ticket = bot.sim.submit(ALICE, form.id, {"ticket": "JIRA-1", "justification": "fix data"})
    assert bad_ticket.response_action == "errors" and list(bad_ticket.errors) == ["ticket"]
    assert "INC-[0-9]+" in bad_ticket.errors["ticket"] and bad_ticket.top.id == form.id

    yesterday = bot.deps.clock.now() - timedelta(days=1)
    past = bot.sim.submit(ALICE, form.id, {"ticket": "INC-1", "justification": "fix data", "starts_at": yesterday})
    assert list(past.errors) == ["starts_at"]
    far = bot.sim.submit(ALICE, form.id, {"ticket": "INC-1", "justification": "fix data",
                                          "starts_at": bot.deps.clock.now() + timedelta(days=91)})
    assert list(far.errors) == ["starts_at"] and far.top.id == form.id
    assert "too far ahead" in far.errors["starts_at"] and "90 days" in far.errors["starts_at"]

    short = bot.open_form(ALICE, "github admin")
    too_short = bot.sim.submit(ALICE, short.id, {"justification": "no"})
    assert list(too_short.errors) == ["justification"] and bot.last_request_id() is None

    ok = bot.sim.submit(ALICE, short.id, {"justification": "branch protection change"})
    assert ok.response_action == "update" and bot.request(bot.last_request_id()).entitlement == "github:admin"


def test_a_future_start_time_is_kept_on_the_request(bot):
    form = bot.open_form(ALICE, "wiki editor")
    start = bot.deps.clock.now() + timedelta(days=2)
    bot.sim.submit(ALICE, form.id, {"starts_at": start, "duration": "1d"})
    request = bot.request(bot.last_request_id())
    assert request.starts_at == start.replace(microsecond=0) and request.duration_seconds == 86400


def test_slash_access_prefills_the_form(bot):
    form = bot.open_form(BOB, "github admin 1h")
    fields = elements(form)
    assert fields["entitlement"]["initial_option"]["value"] == "github:admin"
    assert fields["duration"]["initial_option"]["value"] == "1h"


def test_the_quick_path_submits_without_a_form(bot):
    since = bot.fake.last_seq
    ack = bot.sim.slash(ALICE, "/access", "wiki editor 1d moving the onboarding docs")
    assert ack.status == 200 and bot.fake.count("views.open") == 0
    bot.fake.wait_for_call("response_url", after=since)
    assert "Request #1 sent" in bot.fake.ephemerals(ALICE)[-1].text
    request = bot.request(1)
    assert request.justification == "moving the onboarding docs" and request.duration_seconds == 86400
    bot.settle()
    assert bot.card_for(DANA, 1)


def test_quick_path_refusals_say_what_to_fix(bot):
    bot.sim.slash(ALICE, "/access", "gthub admin 4h because")
    assert "don't know an app called “gthub”" in bot.fake.ephemerals(ALICE)[-1].text
    assert "`github`" in bot.fake.ephemerals(ALICE)[-1].text
    bot.sim.slash(ALICE, "/access", "github owner 4h because")
    assert "GitHub has no role “owner”" in bot.fake.ephemerals(ALICE)[-1].text
    bot.sim.slash(ALICE, "/access", "github admin forever because")
    assert "not a duration" in bot.fake.ephemerals(ALICE)[-1].text
    since = bot.fake.last_seq
    bot.sim.slash(ALICE, "/access", "github admin 2d because")  # over the 1-day maximum
    bot.fake.wait_for_call("response_url", after=since)
    assert "maximum" in bot.fake.ephemerals(ALICE)[-1].text and "/access github admin" in bot.fake.ephemerals(
        ALICE)[-1].text
    assert bot.last_request_id() is None
    help_text = bot.sim.slash(ALICE, "/access", "help").json["text"]
    assert "/access github admin 4h" in help_text


def test_unknown_and_unconfirmed_slack_users_are_told_why_not_errors(bot):
    ack = bot.sim.slash(MALLORY, "/access", "")
    assert ack.status == 200 and "mallory@elsewhere.test is not in accessbot's directory" in ack.json["text"]
    bot.fake.add_user("U0UNCONF01", "bob.other@acme.test", "unconfirmed", email_confirmed=False)
    ack = bot.sim.slash("U0UNCONF01", "/access", "")
    assert "not confirmed" in ack.json["text"]
    home = bot.sim.open_home(MALLORY)
    assert "not in accessbot's directory" in home.visible_text and action_ids(home.blocks) == []
    assert bot.fake.count("views.open") == 0


def test_a_confirmed_slack_account_is_linked_once_then_found_by_its_id(bot):
    bot.open_form(BOB)
    with bot.store.uow() as s:
        from bot.directory.service import by_email

        assert by_email(s, "bob@acme.test").slack_user_id == BOB
    lookups = bot.fake.count("users.info", user=BOB)
    bot.runtime.env.identity.forget(BOB)
    bot.open_form(BOB)
    assert bot.fake.count("users.info", user=BOB) == lookups == 1


def test_a_catalog_of_a_thousand_resources_answers_the_picker(store, clock, tmp_path):
    resources = "\n".join(f"  app{i:04d}:\n    name: App {i:04d}\n    entitlements:\n      user: {{target: t{i}}}"
                          for i in range(1000))
    catalog = ("defaults:\n  connector: mem\n  approval: [manager]\n  require_justification: false\n"
               f"resources:\n{resources}\n")
    with running_bot(store, clock, tmp_path, catalog=catalog) as big:
        form = big.open_form(ALICE)
        options = big.sim.suggest(ALICE, form.id, "entitlement_picker", "app")
        assert len(options) == 100 and options[0]["value"] == "app0000:user"
        assert [o["value"] for o in big.sim.suggest(ALICE, form.id, "entitlement_picker", "0999")] == ["app0999:user"]
        big.sim.click(ALICE, on=form.id, action_id="entitlement_picker", value="app0999:user")
        big.fake.wait_until(lambda: "duration" in elements(big.fake.view(form.id)), what="redraw")
        assert big.sim.submit(ALICE, form.id, {}).response_action == "update"
        assert big.request(big.last_request_id()).status == RequestStatus.PENDING
