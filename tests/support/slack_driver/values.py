"""What a user enters into an element, typed the way Slack reports it in `state.values` and `actions[]`.

Slack's client refuses what the user could not enter: an option that is not offered, text over `max_length`
or under `min_length`, an empty required input. So does the driver, with an AssertionError.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

SINGLE_OPTION = frozenset({"static_select", "external_select", "radio_buttons", "overflow"})
MULTI_OPTION = frozenset({"multi_static_select", "multi_external_select", "checkboxes"})
TEXT_VALUE = frozenset({"plain_text_input", "email_text_input", "url_text_input", "number_input"})
SELECTED_KEY = {
    "users_select": "selected_user", "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation", "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel", "multi_channels_select": "selected_channels",
    "datepicker": "selected_date", "timepicker": "selected_time", "datetimepicker": "selected_date_time",
}


def empty_value(element: dict) -> dict[str, Any]:
    """The state of an element the user has not touched: its initial value, if any."""
    kind = element.get("type")
    if kind in SINGLE_OPTION:
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind in MULTI_OPTION:
        return {"type": kind, "selected_options": element.get("initial_options") or []}
    if kind in TEXT_VALUE:
        return {"type": kind, "value": element.get("initial_value")}
    if kind in SELECTED_KEY:
        key = SELECTED_KEY[kind]
        initial_key = key.replace("selected_", "initial_")
        default = [] if kind.startswith("multi_") else None
        return {"type": kind, key: element.get(initial_key, default)}
    return {"type": kind}


def typed_value(element: dict, value: Any) -> dict[str, Any]:
    """`value` entered into `element`, checked against what the element offers."""
    kind = element.get("type")
    if kind in SINGLE_OPTION:
        return {"type": kind, "selected_option": pick_option(element, value)}
    if kind in MULTI_OPTION:
        values = value if isinstance(value, (list, tuple)) else [value]
        return {"type": kind, "selected_options": [pick_option(element, v) for v in values]}
    if kind in TEXT_VALUE:
        return {"type": kind, "value": checked_text(element, value)}
    if kind in SELECTED_KEY:
        value = list(value) if kind.startswith("multi_") else as_selected(value)
        return {"type": kind, SELECTED_KEY[kind]: value}
    raise AssertionError(f"the driver cannot enter a value into a {kind!r} element")


def as_selected(value: Any) -> Any:
    """Dates as `YYYY-MM-DD`, times as `HH:MM`, date-times as epoch seconds, as the pickers report them."""
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


def is_empty(state: dict[str, Any]) -> bool:
    return all(v in (None, "", []) for k, v in state.items() if k != "type")


def pick_option(element: dict, wanted: Any) -> dict:
    """An offered option by value or visible text; external selects take any option (the app offered it)."""
    if isinstance(wanted, dict):
        option = wanted
    else:
        offered = [o for o in element.get("options") or [] if isinstance(o, dict)]
        offered += [o for group in element.get("option_groups") or [] for o in group.get("options", [])]
        if element.get("type", "").endswith("external_select"):
            option = {"text": {"type": "plain_text", "text": str(wanted)}, "value": str(wanted)}
        else:
            matches = [o for o in offered if o.get("value") == wanted or o["text"].get("text") == wanted]
            if not matches:
                raise AssertionError(f"{wanted!r} is not among the options of {element.get('action_id')!r}: "
                                     f"{[o.get('value') for o in offered]}")
            option = matches[0]
    return option


def checked_text(element: dict, value: Any) -> str:
    text = str(value)
    low, high = element.get("min_length"), element.get("max_length")
    if high is not None and len(text) > high:
        raise AssertionError(f"{element.get('action_id')!r} takes at most {high} characters; Slack would refuse")
    if low is not None and text and len(text) < low:
        raise AssertionError(f"{element.get('action_id')!r} needs at least {low} characters; Slack would refuse")
    if element.get("type") == "number_input":
        number = float(text)
        if not element.get("is_decimal_allowed") and not number.is_integer():
            raise AssertionError(f"{element.get('action_id')!r} takes whole numbers only")
        for bound, ok in (("min_value", lambda b: number >= float(b)), ("max_value", lambda b: number <= float(b))):
            if element.get(bound) is not None and not ok(element[bound]):
                raise AssertionError(f"{text} is outside {bound}={element[bound]} of {element.get('action_id')!r}")
    return text
