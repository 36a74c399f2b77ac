"""Putting text into Slack mrkdwn safely.

Anything a person typed (a justification, a deny reason, a ticket, a name from HR) goes through
``escape`` before it reaches a mrkdwn text object. Slack's control sequences all start with ``<``
(``<!channel>``, ``<@U123>``, ``<#C1>``, ``<https://evil|innocent>``), so escaping ``&``, ``<`` and ``>``
as Slack documents turns them into plain characters. Bare ``@here`` / ``@channel`` / ``@everyone`` are
also defused (Slack may parse them in non-verbatim text), and renderers mark user text ``verbatim`` so
bare URLs and #channel names are not turned into links either.

Our own mentions and dates are built here from ids we looked up, never from user text.

``Mrkdwn`` marks text that is fit for Slack as it stands. A message's notification line (``text``,
which Slack shows in notifications and parses like any mrkdwn) must be one: ``compose`` builds it
from a template of ours and values it escapes, ``first_line`` takes it from the mrkdwn a block shows
(so it never says more than the block). ``Rendered`` refuses anything else, so a renderer cannot
put a raw name into a notification by forgetting to escape it.
"""

from __future__ import annotations

import re
from datetime import datetime

_SPECIAL_MENTION = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)
_ZERO_WIDTH_JOINER = "\u2060"
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class Mrkdwn(str):
    """Text already fit for Slack mrkdwn: user text escaped; only our own mentions, dates and links live."""

    __slots__ = ()


def escape(text: str | None) -> Mrkdwn:
    if not text:
        return Mrkdwn("")
    if isinstance(text, Mrkdwn):
        return text  # escaped once already; again would show "&amp;lt;"
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Mrkdwn(_SPECIAL_MENTION.sub(lambda m: "@" + _ZERO_WIDTH_JOINER + m.group(1), escaped))


def compose(template: str, **values: object) -> Mrkdwn:
    """``template`` (ours, a literal) with every value escaped, unless it is ``Mrkdwn`` already
    (a mention, a date, text escaped before): the way to write a notification line.

        compose("Access request #{id} from {who}", id=7, who=person.name)
    """
    return Mrkdwn(template.format(**{k: v if isinstance(v, Mrkdwn) else escape(str(v)) for k, v in values.items()}))


def first_line(text: Mrkdwn | str) -> Mrkdwn:
    """The notification line of a message from the mrkdwn its first block shows (bold markers dropped).
    The block text is what the views test checks with hostile names, and the line says nothing more."""
    return Mrkdwn(text.split("\n", 1)[0].replace("*", ""))


def truncate(text: str, limit: int) -> str:
    """Cut to ``limit`` characters with an ellipsis; never cuts an escape sequence in half."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def person(name: str, slack_user_id: str | None) -> Mrkdwn:
    """A mention when we know the Slack user (so it resolves to their current name), else the name."""
    if slack_user_id and _SLACK_ID.match(slack_user_id):
        return Mrkdwn(f"<@{slack_user_id}>")
    return escape(name) or Mrkdwn("someone")


def people(persons, limit: int = 20) -> Mrkdwn:
    """Several people (anything with ``name`` and ``slack_user_id``), as ``person`` shows each."""
    return Mrkdwn(" ".join(person(p.name, p.slack_user_id) for p in list(persons)[:limit]))


def channel(channel_id: str) -> Mrkdwn:
    return Mrkdwn(f"<#{channel_id}>") if re.match(r"^[CG][A-Z0-9]{2,}$", channel_id) else escape(channel_id)


def date(at: datetime, token: str = "{date_short_pretty} {time}") -> Mrkdwn:
    """A date every reader sees in their own time zone; the fallback (UTC) shows where Slack cannot format."""
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return Mrkdwn(f"<!date^{int(at.timestamp())}^{token}|{fallback}>")


def quote(text: str) -> str:
    """User text as a block quote (already escaped by the caller)."""
    return "\n".join(f">{line}" for line in text.splitlines() or [""])
