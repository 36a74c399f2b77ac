"""Button values and private_metadata of the unused-access DM: a pointer only, never trusted (the
operation checks that the clicker is the person the question was put to)."""

from __future__ import annotations

from bot.slack.metadata import Meta


class UsageAskRef(Meta):
    ask_id: int
