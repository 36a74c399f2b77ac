"""Offline Block Kit validator used by the fake Slack and by renderer unit tests.

Slack publishes no schema, so this is the next best thing: every block is parsed by slack_sdk's models and
serialised again. A block type slack_sdk does not know, or a key it drops on the way (a typo, a field that does
not exist), is an error; so is any limit slack_sdk's own validators reject. On top of that come the rules
slack_sdk does not check but Slack does (notes/slack-platform.md §5.1): 50 blocks per message, unique block_id,
unique action_id within a block, at most 10 checkbox/radio options, section fields of at most 2000 characters,
plain_text_input.max_length of at most 3000, a submit button on modals holding inputs, no submit/close on a Home
view, 250 kB per view and 40,000 characters of message text.

Every function returns a list of `(json_pointer, message)`; an empty list means valid.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, Option
from slack_sdk.models.views import View

Problem = tuple[str, str]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_VIEW_BYTES = 250_000
MAX_FIELD_TEXT = 2000
MAX_CHOICE_OPTIONS = 10  # checkboxes and radio_buttons
MAX_PLAIN_TEXT_INPUT_LENGTH = 3000
MAX_SUGGESTED_OPTIONS = 100
CHOICE_ELEMENTS = frozenset({"checkboxes", "radio_buttons"})
INPUT_BLOCK_TYPES = frozenset({"input"})
_MODEL_ERRORS = (SlackObjectFormationError, TypeError, ValueError, AttributeError, KeyError)


def message_errors(blocks: Any, text: str | None = None) -> list[Problem]:
    """Problems of a message's `blocks` (≤50) and top-level `text` (≤40,000 characters)."""
    problems: list[Problem] = []
    if text is not None and len(text) > MAX_MESSAGE_TEXT:
        problems.append(("/text", f"text is longer than {MAX_MESSAGE_TEXT} characters"))
    if blocks is not None:
        problems += block_errors(blocks, max_blocks=MAX_MESSAGE_BLOCKS)
    return problems


def view_errors(view: Any) -> list[Problem]:
    """Problems of a modal or Home view, as views.open / views.update / views.push / views.publish check them."""
    if not isinstance(view, dict):
        return [("/view", "view must be a JSON object")]
    problems = _view_shape_errors(view)
    size = len(json.dumps(view, separators=(",", ":")).encode())
    if size > MAX_VIEW_BYTES:
        problems.append(("/view", f"view is {size} bytes, more than {MAX_VIEW_BYTES}"))
    problems += block_errors(view.get("blocks", []), max_blocks=MAX_VIEW_BLOCKS, pointer="/view/blocks")
    return problems


def block_errors(blocks: Any, *, max_blocks: int, pointer: str = "/blocks") -> list[Problem]:
    """Round-trip every block through slack_sdk, then apply the rules slack_sdk lacks."""
    if not isinstance(blocks, list):
        return [(pointer, "blocks must be a JSON array")]
    problems: list[Problem] = []
    if len(blocks) > max_blocks:
        problems.append((pointer, f"{len(blocks)} blocks, more than {max_blocks}"))
    seen_block_ids: set[str] = set()
    for index, raw in enumerate(blocks):
        here = f"{pointer}/{index}"
        if not isinstance(raw, dict) or "type" not in raw:
            problems.append((here, "a block must be an object with a type"))
            continue
        problems += _round_trip_errors(raw, here)
        problems += _duplicate(seen_block_ids, raw.get("block_id"), f"{here}/block_id", "block_id")
        problems += _extra_block_errors(raw, here)
    return problems


def suggestion_errors(body: Any) -> list[Problem]:
    """Problems of a block_suggestion answer: `options` or `option_groups`, at most 100 options in all."""
    if not isinstance(body, dict):
        return [("/", "a block_suggestion answer must be a JSON object")]
    if "option_groups" in body:
        groups = body["option_groups"] or []
        options = [(f"/option_groups/{g}/options/{i}", o) for g, grp in enumerate(groups)
                   for i, o in enumerate(grp.get("options", []))]
    else:
        options = [(f"/options/{i}", o) for i, o in enumerate(body.get("options") or [])]
    problems: list[Problem] = []
    if len(options) > MAX_SUGGESTED_OPTIONS:
        problems.append(("/options", f"{len(options)} options, more than {MAX_SUGGESTED_OPTIONS}"))
    for here, raw in options:
        problems += option_errors(raw, here)
    return problems


def option_errors(raw: Any, pointer: str) -> list[Problem]:
    if not isinstance(raw, dict):
        return [(pointer, "an option must be an object")]
    try:
        parsed = Option(**raw).to_dict()
    except _MODEL_ERRORS as exc:
        return [(pointer, str(exc))]
    return list(_dropped_keys(raw, parsed, pointer))


def input_block_ids(view: dict) -> set[str]:
    return {b["block_id"] for b in view.get("blocks", []) if b.get("type") in INPUT_BLOCK_TYPES and "block_id" in b}


def response_errors_problems(view: dict, errors: Any) -> list[Problem]:
    """`response_action="errors"`: every key must name an input block of the view being submitted."""
    if not isinstance(errors, dict) or not errors:
        return [("/errors", "errors must be a non-empty object of block_id → message")]
    known = input_block_ids(view)
    return [(f"/errors/{key}", f"{key!r} is not the block_id of an input block in this view (have {sorted(known)})")
            for key in errors if key not in known]


def _view_shape_errors(view: dict) -> list[Problem]:
    problems: list[Problem] = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [("/view/type", f"view type must be 'modal' or 'home', not {kind!r}")]
    top_level = {key: value for key, value in view.items() if key != "blocks"}
    try:
        # Blocks are checked one by one in block_errors; a placeholder keeps View's count check quiet here.
        parsed = View(**top_level, blocks=[{"type": "divider"}]).to_dict()
        problems += _dropped_keys(top_level, parsed, "/view")
    except _MODEL_ERRORS as exc:
        problems.append(("/view", str(exc)))
    has_inputs = any(isinstance(b, dict) and b.get("type") in INPUT_BLOCK_TYPES for b in view.get("blocks", []))
    if kind == "modal" and not view.get("title"):
        problems.append(("/view/title", "a modal needs a title"))
    if kind == "modal" and has_inputs and not view.get("submit"):
        problems.append(("/view/submit", "a modal with input blocks needs a submit button"))
    return problems  # a Home view with submit/close is refused by slack_sdk's own View validator


def _round_trip_errors(raw: dict, pointer: str) -> list[Problem]:
    try:
        model = Block.parse(raw)
    except _MODEL_ERRORS as exc:
        return [(pointer, str(exc))]
    if model is None:
        return [(f"{pointer}/type", f"unknown block type {raw.get('type')!r}")]
    try:
        parsed = model.to_dict()
    except _MODEL_ERRORS as exc:
        return [(pointer, str(exc))]
    return list(_dropped_keys(raw, parsed, pointer))


def _dropped_keys(raw: Any, parsed: Any, pointer: str) -> Iterator[Problem]:
    """What slack_sdk lost or changed on the round trip: unknown keys, unknown element types, wrong shapes."""
    if isinstance(raw, dict):
        if not isinstance(parsed, dict):
            kind = raw.get("type")
            yield (pointer, f"unknown element type {kind!r}" if parsed is None and kind else "invalid object")
            return
        for key, value in raw.items():
            if key not in parsed:
                if value is None or value == "":
                    continue  # slack_sdk omits empty values; Slack treats them as absent too
                yield (f"{pointer}/{key}", f"unknown or misspelled key {key!r}")
            else:
                yield from _dropped_keys(value, parsed[key], f"{pointer}/{key}")
    elif isinstance(raw, list):
        if not isinstance(parsed, list) or len(parsed) != len(raw):
            yield (pointer, "invalid array")
            return
        for index, (item, parsed_item) in enumerate(zip(raw, parsed)):
            yield from _dropped_keys(item, parsed_item, f"{pointer}/{index}")
    elif raw != parsed:
        yield (pointer, f"invalid value {raw!r}")


def _extra_block_errors(block: dict, pointer: str) -> list[Problem]:
    problems: list[Problem] = []
    for index, field in enumerate(block.get("fields") or []):
        if isinstance(field, dict) and len(field.get("text", "")) > MAX_FIELD_TEXT:
            problems.append((f"{pointer}/fields/{index}", f"field text is longer than {MAX_FIELD_TEXT} characters"))
    seen_action_ids: set[str] = set()
    for here, element in block_elements(block, pointer):
        problems += _duplicate(seen_action_ids, element.get("action_id"), f"{here}/action_id", "action_id")
        problems += _element_errors(element, here)
    return problems


def _duplicate(seen: set[str], value: str | None, pointer: str, what: str) -> list[Problem]:
    if not value:
        return []
    if value in seen:
        return [(pointer, f"duplicate {what} {value!r}")]
    seen.add(value)
    return []


def _element_errors(element: dict, pointer: str) -> list[Problem]:
    problems: list[Problem] = []
    kind = element.get("type")
    if kind in CHOICE_ELEMENTS and len(element.get("options") or []) > MAX_CHOICE_OPTIONS:
        problems.append((f"{pointer}/options", f"{kind} takes at most {MAX_CHOICE_OPTIONS} options"))
    if kind == "plain_text_input":
        for key in ("max_length", "min_length"):
            value = element.get(key)
            if isinstance(value, int) and value > MAX_PLAIN_TEXT_INPUT_LENGTH:
                problems.append((f"{pointer}/{key}", f"{key} cannot exceed {MAX_PLAIN_TEXT_INPUT_LENGTH}"))
        low, high = element.get("min_length"), element.get("max_length")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            problems.append((f"{pointer}/min_length", "min_length is greater than max_length"))
    return problems


def block_elements(block: dict, pointer: str = "") -> Iterator[tuple[str, dict]]:
    """The interactive elements of one block with their pointers (accessory, actions elements, input element)."""
    if isinstance(block.get("accessory"), dict):
        yield f"{pointer}/accessory", block["accessory"]
    if block.get("type") == "actions":
        for index, element in enumerate(block.get("elements") or []):
            if isinstance(element, dict):
                yield f"{pointer}/elements/{index}", element
    if isinstance(block.get("element"), dict):
        yield f"{pointer}/element", block["element"]
