"""What a signed Slack request must look like before Bolt, the middleware or a listener reads it.

Slack's payloads are documented JSON objects; Bolt's context builders and our listeners index into
them (``body["user"]["id"]``, ``payload["authorizations"][0]``, ``view["private_metadata"]``) on
the assumption that they are. A correctly signed body that is not what Slack sends (a leaked
signing secret, a replay tool, a broken proxy) must get a 400 with the reason logged, not a
traceback and a 500, so the fields those readers rely on are checked here, once, by type.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.request.internals import parse_body

from bot.domain.limits import unstorable

MAX_DEPTH = 32  # Slack's deepest payloads (rich text in a modal's state) stay well under this

# Where a field may be of several kinds (``user`` is an object in interactions, an id in events).
_ID = (str,)
_OBJECT = (dict,)
_OBJECT_OR_ID = (dict, str)
_FIELDS: dict[str, tuple[type, ...]] = {
    "type": _ID, "user_id": _ID, "team_id": _ID, "channel_id": _ID,
    "enterprise_id": _ID, "trigger_id": _ID, "response_url": _ID, "callback_id": _ID, "event_id": _ID,
    "action_id": _ID, "block_id": _ID, "value": _ID, "private_metadata": _ID, "ts": _ID, "message_ts": _ID,
    "selected_option": _OBJECT, "user": _OBJECT_OR_ID, "team": _OBJECT_OR_ID, "channel": _OBJECT_OR_ID,
    "enterprise": _OBJECT_OR_ID, "event": _OBJECT, "view": _OBJECT, "container": _OBJECT, "message": _OBJECT,
    "state": _OBJECT, "values": _OBJECT, "actions": (list,), "authorizations": (list,), "blocks": (list,),
    "response_urls": (list,), "selected_options": (list,),
}
# Only at the top: elsewhere ``text`` is a text object, not a string.
_TOP_FIELDS: dict[str, tuple[type, ...]] = {**_FIELDS, "command": _ID, "text": _ID}
# Inside these objects ``id`` is what Bolt and our listeners read as the identity.
_ID_HOLDERS = frozenset({"user", "team", "channel", "enterprise", "view", "container"})
# Lists whose items are read as objects.
_LISTS_OF_OBJECTS = frozenset({"actions", "authorizations", "response_urls", "selected_options"})


# Interaction payloads always name who acted (docs.slack.dev reference/interaction-payloads).
_INTERACTIONS = frozenset({"block_actions", "block_suggestion", "view_submission", "view_closed", "shortcut",
                           "message_action"})


class MalformedPayload(ValueError):
    """The body is signed but is not a Slack payload; the message says which field, never its value."""


def read(body: str, content_type: str | None) -> dict[str, Any]:
    """Bolt's own parsing of ``body``, checked field by field; MalformedPayload when it is not Slack's."""
    try:
        payload = parse_body(body, content_type)
    except (ValueError, RecursionError):
        raise MalformedPayload("the body is not JSON or a form Slack sends") from None
    if not isinstance(payload, dict):
        raise MalformedPayload(f"the payload is a JSON {type(payload).__name__}, not an object")
    _check(payload, "", 0)
    _require_actor(payload)
    problem = unstorable(payload)  # Slack sends UTF-8 without NUL; no database would store either
    if problem:
        raise MalformedPayload(problem)
    return payload


def _check(node: dict[str, Any], where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise MalformedPayload(f"the payload is nested deeper than {MAX_DEPTH} levels")
    for key, value in node.items():
        path = f"{where}.{key}" if where else key
        kinds = (_FIELDS if depth else _TOP_FIELDS).get(key)
        if kinds is not None and value is not None and not isinstance(value, kinds):
            raise MalformedPayload(f"{path} is a {type(value).__name__}, not {' or '.join(k.__name__ for k in kinds)}")
        if key in _ID_HOLDERS and isinstance(value, dict) and not isinstance(value.get("id", ""), str):
            raise MalformedPayload(f"{path}.id is not a string")
        if key in _LISTS_OF_OBJECTS and isinstance(value, list) and not all(isinstance(v, dict) for v in value):
            raise MalformedPayload(f"{path} holds something other than objects")
        _descend(value, path, depth + 1)


def _require_actor(payload: dict[str, Any]) -> None:
    """Who acted, as Slack always sends it for that kind of request."""
    if "command" in payload:
        if not payload.get("user_id"):
            raise MalformedPayload("a slash command without user_id")
        return
    kind = payload.get("type")
    user = payload.get("user")
    if kind in _INTERACTIONS and not (isinstance(user, dict) and user.get("id")):
        raise MalformedPayload(f"a {kind} payload without user.id")
    if kind == "block_actions" and not payload.get("actions"):
        raise MalformedPayload("a block_actions payload without actions")


def _descend(value: Any, path: str, depth: int) -> None:
    if isinstance(value, dict):
        _check(value, path, depth)
    elif isinstance(value, list):
        if depth > MAX_DEPTH:
            raise MalformedPayload(f"the payload is nested deeper than {MAX_DEPTH} levels")
        for item in value:
            _descend(item, path, depth + 1)

