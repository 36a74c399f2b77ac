"""Putting text into Slack mrkdwn safely.

Anything a person typed (a justification, a deny reason, a ticket, a name from HR) goes through
``escape`` before it reaches a mrkdwn text object. Slack's control sequences all start with ``<``
(``<!channel>``, ``<@U123>``, ``<#C1>``, ``<https://evil|innocent>``), so escaping ``&``, ``<`` and ``>``
as Slack documents turns them into plain characters. Bare ``@here`` / ``@channel`` / ``@everyone`` are
also defused (Slack may parse them in non-verbatim text), and renderers mark user text ``verbatim`` so
bare URLs and #channel names are not turned into links either.

Our own mentions and dates are built here from ids we looked up, never from user text.
"""

from __future__ import annotations

import re
from datetime import datetime

_SPECIAL_MENTION = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)
_ZERO_WIDTH_JOINER = "\u2060"
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def escape(text: str | None) -> str:
    if not text:
        return ""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL_MENTION.sub(lambda m: "@" + _ZERO_WIDTH_JOINER + m.group(1), escaped)


def truncate(text: str, limit: int) -> str:
    """Cut to ``limit`` characters with an ellipsis; never cuts an escape sequence in half."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def person(name: str, slack_user_id: str | None) -> str:
    """A mention when we know the Slack user (so it resolves to their current name), else the name."""
    if slack_user_id and _SLACK_ID.match(slack_user_id):
        return f"<@{slack_user_id}>"
    return escape(name) or "someone"


def channel(channel_id: str) -> str:
    return f"<#{channel_id}>" if re.match(r"^[CG][A-Z0-9]{2,}$", channel_id) else escape(channel_id)


def date(at: datetime, token: str = "{date_short_pretty} {time}") -> str:
    """A date every reader sees in their own time zone; the fallback (UTC) shows where Slack cannot format."""
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{token}|{fallback}>"


def quote(text: str) -> str:
    """User text as a block quote (already escaped by the caller)."""
    return "\n".join(f">{line}" for line in text.splitlines() or [""])
