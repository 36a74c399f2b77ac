"""The person an IT admin mentioned (`/offboard @jane`, `/access-admin grants @jane`).

A leaver's Slack account is often deactivated already, and may never have been linked to the
directory: we look the account's e-mail up (deleted accounts included) and never link anything
here. Only a confirmed e-mail counts, so nobody can make IT act on someone else by putting that
person's address on their own profile.
"""

from __future__ import annotations

import re

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.directory import service as directory
from bot.domain.errors import UnknownPerson

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def mention_id(word: str) -> str | None:
    """``<@U123|jane>`` (a should_escape command's mention) → ``U123``."""
    matched = _MENTION.match(word)
    return matched.group(1) if matched else None


def mentioned_person(deps, client: WebClient, slack_user_id: str) -> int:
    """The directory id of the person behind a mentioned Slack user; UnknownPerson when there is none."""
    # Refusals are shown escaped (errors.refusal_text): plain words, no mentions.
    with deps.store.uow() as s:
        linked = directory.by_slack_id(s, slack_user_id)
        if linked is not None:
            return linked.id
    try:
        user = client.users_info(user=slack_user_id)["user"]
    except SlackApiError as error:
        if error.response.get("error") == "user_not_found":
            raise UnknownPerson("Slack does not know that user.") from None
        raise
    email = (user.get("profile") or {}).get("email")
    if not email or user.get("is_bot"):
        raise UnknownPerson("That person has no e-mail address in Slack, so I can't match them to the directory.")
    if not user.get("is_email_confirmed"):
        raise UnknownPerson("Their Slack e-mail address is not confirmed, so I can't be sure who it is. "
                            "Ask them to confirm it, or act on them by e-mail from the command line.")
    with deps.store.uow() as s:
        person = directory.by_email(s, email)
        if person is None:
            raise UnknownPerson(f"{email} is not in accessbot's directory.")
        return person.id
