"""The offline Block Kit validator: what slack_sdk checks, and the limits it misses."""

from __future__ import annotations

import copy

from tests.support.blockkit import message_errors, suggestion_errors, view_errors

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}


def button(action_id: str, text: str = "Go") -> dict:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}}


def modal(*blocks: dict, **extra) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Request"}, "blocks": list(blocks), **extra}


def text_input(block_id: str = "reason", **element) -> dict:
    return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": "Reason"},
            "element": {"type": "plain_text_input", "action_id": "value", **element}}


REQUEST_CARD = [
    {"type": "header", "block_id": "head", "text": {"type": "plain_text", "text": "Access request", "emoji": True}},
    {"type": "section", "block_id": "facts", "fields": [
        {"type": "mrkdwn", "text": "*Requester*\n<@U1>"}, {"type": "mrkdwn", "text": "*App*\nGitHub (admin)"}]},
    {"type": "context", "block_id": "meta", "elements": [
        {"type": "mrkdwn", "text": "Request 42 · <!date^1700000000^{date_short_pretty} {time}|Nov 14>"}]},
    {"type": "actions", "block_id": "decide", "elements": [
        {**button("approve", "Approve"), "style": "primary", "value": "42",
         "confirm": {"title": {"type": "plain_text", "text": "Approve?"},
                     "text": {"type": "mrkdwn", "text": "Grant GitHub admin to <@U1>?"},
                     "confirm": {"type": "plain_text", "text": "Approve"},
                     "deny": {"type": "plain_text", "text": "Cancel"}}},
        {**button("deny", "Deny"), "style": "danger", "value": "42"}]},
]


def pointers(problems: list[tuple[str, str]]) -> list[str]:
    return [pointer for pointer, _ in problems]


def test_a_realistic_request_card_round_trips_without_problems():
    assert message_errors(REQUEST_CARD, "Access request from Alice") == []


def test_more_than_50_blocks_in_a_message_is_refused_but_100_in_a_view_is_fine():
    assert message_errors([SECTION] * 51) == [("/blocks", "51 blocks, more than 50")]
    assert message_errors([SECTION] * 50) == []
    assert view_errors(modal(*[SECTION] * 100)) == []
    assert pointers(view_errors(modal(*[SECTION] * 101))) == ["/view/blocks"]


def test_unknown_block_and_element_types_are_named():
    assert message_errors([{"type": "sectoin", "text": {"type": "mrkdwn", "text": "x"}}]) == [
        ("/blocks/0/type", "unknown block type 'sectoin'")]
    problems = message_errors([{"type": "actions", "elements": [{**button("a"), "type": "buton"}]}])
    assert problems == [("/blocks/0/elements/0", "unknown element type 'buton'")]


def test_misspelled_keys_are_reported_where_they_are():
    card = copy.deepcopy(REQUEST_CARD)
    card[3]["elements"][0]["vaule"] = card[3]["elements"][0].pop("value")
    assert message_errors(card) == [("/blocks/3/elements/0/vaule", "unknown or misspelled key 'vaule'")]
    assert pointers(view_errors(modal(SECTION, privat_metadata="42"))) == ["/view/privat_metadata"]


def test_duplicate_block_ids_and_duplicate_action_ids_within_a_block():
    assert message_errors([{**SECTION, "block_id": "a"}, {**SECTION, "block_id": "a"}]) == [
        ("/blocks/1/block_id", "duplicate block_id 'a'")]
    twice = {"type": "actions", "elements": [button("go", "One"), button("go", "Two")]}
    assert message_errors([twice]) == [("/blocks/0/elements/1/action_id", "duplicate action_id 'go'")]
    separate = [{"type": "actions", "elements": [button("go")]}, {"type": "actions", "elements": [button("go")]}]
    assert message_errors(separate) == []  # the same action_id in two blocks is allowed


def test_checkbox_options_section_fields_and_input_max_length_limits():
    options = [{"text": {"type": "plain_text", "text": str(i)}, "value": str(i)} for i in range(11)]
    boxes = {"type": "input", "block_id": "pick", "label": {"type": "plain_text", "text": "Pick"},
             "element": {"type": "checkboxes", "action_id": "boxes", "options": options}}
    assert pointers(view_errors(modal(boxes, submit={"type": "plain_text", "text": "Go"}))) == [
        "/view/blocks/0/element/options"]
    long_field = {"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}
    assert pointers(message_errors([long_field])) == ["/blocks/0/fields/0"]
    too_long = text_input(max_length=3001)
    assert pointers(view_errors(modal(too_long, submit={"type": "plain_text", "text": "Go"}))) == [
        "/view/blocks/0/element/max_length"]


def test_slack_sdk_limits_surface_as_problems():
    header = {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}
    assert message_errors([header]) == [("/blocks/0", "text attribute cannot exceed 150 characters")]
    assert view_errors(modal(SECTION) | {"title": {"type": "plain_text", "text": "x" * 25}}) == [
        ("/view", "title must be between 1 and 24 characters")]


def test_view_rules_submit_for_inputs_no_submit_on_home_and_size():
    assert pointers(view_errors(modal(text_input()))) == ["/view/submit"]
    assert view_errors(modal(text_input(), submit={"type": "plain_text", "text": "Send"})) == []
    home = {"type": "home", "blocks": [SECTION], "submit": {"type": "plain_text", "text": "No"}}
    assert view_errors(home) == [("/view", "home view cannot have submit and close")]
    huge = modal(*[{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2900}}] * 90)
    assert any(message.startswith("view is ") for _, message in view_errors(huge))


def test_message_text_over_40000_characters():
    assert message_errors(None, "x" * 40_001) == [("/text", "text is longer than 40000 characters")]
    assert message_errors(None, "x" * 40_000) == []


def test_block_suggestion_answers_hold_at_most_100_valid_options():
    def option(i: int) -> dict:
        return {"text": {"type": "plain_text", "text": f"App {i}"}, "value": f"app-{i}"}

    assert suggestion_errors({"options": [option(i) for i in range(100)]}) == []
    assert pointers(suggestion_errors({"options": [option(i) for i in range(101)]})) == ["/options"]
    bad_value = {"options": [{"text": {"type": "plain_text", "text": "x"}, "value": "v" * 151}]}
    assert suggestion_errors(bad_value) == [("/options/0", "value attribute cannot exceed 150 characters")]
