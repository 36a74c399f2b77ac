"""Button values and private_metadata of the IT surfaces (manual tasks, alerts, offboarding).

Like bot/slack/metadata.py: pointers only (an id and a version), never trusted for authorisation;
every click re-reads the row and the operation checks that the clicker is an IT admin.
"""

from __future__ import annotations

from bot.domain.limits import EpochSeconds, RowId
from bot.slack.metadata import Meta


class TaskRef(Meta):
    task_id: RowId


class ActionRef(Meta):
    """A provisioning action (its id is a uuid string)."""

    action_id: str


class OffboardingRef(Meta):
    offboarding_id: RowId


class OffboardForm(Meta):
    """What the /offboard confirmation modal is about: who, and when (None: now; else epoch seconds)."""

    person_id: RowId
    at: EpochSeconds | None = None
