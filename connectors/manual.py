"""Manual connector: for apps with no API, a person does the work from a task.

It never calls anything. ``grant``/``revoke``/``suspend`` return ``Outcome.PENDING`` with the
human instructions in ``detail``; the workflow turns that into a ManualTask row and a Slack card
with Done / Can't do in ``task_channel``, reminds every ``repost_after`` and escalates after
``escalate_after``. Completion comes back through the task, so ``poll`` only says "still
pending" and ``is_granted`` is not knowable here. ``accounts: false`` (a door-badge system: badges,
no accounts) takes suspend and reactivate out of the instance's capabilities, so no offboarding
plans a task nobody can do.

Instructions are templates with ``{person}``, ``{email}``, ``{entitlement}``, ``{target}``,
``{action}`` and ``{app}``. Per-entitlement text can come from the catalog's target options
(``instructions`` or ``grant_instructions``/``revoke_instructions``...), then from this instance's
options, then from the defaults below. They are plain text: the Slack layer escapes them.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictBool, field_validator, model_validator

from connectors.base import ActionResult, Capabilities, Check, Connector, Outcome, PrincipalRef, Subject, Target
from connectors.config import ConnectorOptions, Duration, format_duration, parse_options
from connectors.errors import InvalidRequest, Unsupported
from connectors.targets import TargetSpec

PLACEHOLDERS = frozenset({"person", "email", "entitlement", "target", "action", "app"})
ACTIONS = ("grant", "revoke", "suspend", "reactivate")
DEFAULT_INSTRUCTIONS = {
    "grant": "Give {person} <{email}> {entitlement} in {app} (target: {target}).",
    "revoke": "Remove {entitlement} from {person} <{email}> in {app} (target: {target}).",
    "suspend": "Disable the {app} account of {person} <{email}> (do not delete it).",
    "reactivate": "Re-enable the {app} account of {person} <{email}>.",
}
SLACK_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")


def template_problem(template: str) -> str | None:
    """Why a template cannot be rendered safely, or None. Only the known placeholders are allowed."""
    try:
        fields = [f for _, f, spec, conv in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        return f"malformed template ({exc})"
    unknown = sorted({f for f in fields if f not in PLACEHOLDERS})
    if unknown:
        return f"unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)}; use " + \
            ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
    return None


def _renderable(value: str | None) -> str | None:
    if value is not None and (problem := template_problem(value)):
        raise ValueError(problem)
    return value


Template = Annotated[str | None, AfterValidator(_renderable)]


class ManualOptions(ConnectorOptions):
    channel: str
    app: str = ""
    # Whether people have accounts here that IT can disable (a door-badge system has none): without
    # them the offboarding plans no "suspend account" task, and a re-hire no reactivation.
    accounts: StrictBool = True
    instructions: Template = None  # for every action, unless an action has its own
    grant_instructions: Template = None
    revoke_instructions: Template = None
    suspend_instructions: Template = None
    reactivate_instructions: Template = None
    repost_after: Duration = Field(default=timedelta(days=1))
    escalate_after: Duration = Field(default=timedelta(days=3))

    @field_validator("channel")
    @classmethod
    def _slack_channel_id(cls, value: str) -> str:
        if not SLACK_CHANNEL_ID.match(value):
            raise ValueError("must be a Slack channel id such as C0123456789 (names change, ids do not)")
        return value

    @model_validator(mode="after")
    def _positive_durations(self) -> ManualOptions:
        if self.repost_after <= timedelta(0) or self.escalate_after <= timedelta(0):
            raise ValueError("repost_after and escalate_after must be longer than zero")
        return self


class ManualTarget(TargetSpec):
    """Any target (it is only shown to the person doing the task), with per-entitlement instructions."""

    instructions: Template = None
    grant_instructions: Template = None
    revoke_instructions: Template = None
    suspend_instructions: Template = None
    reactivate_instructions: Template = None


class ManualConnector(Connector):
    kind = "manual"
    options_model = ManualOptions
    target_model = ManualTarget
    capabilities = Capabilities(list_members=False, suspend=True, reactivate=True, async_grants=True, manual=True)

    def __init__(self, name: str, options: Mapping[str, Any]):
        super().__init__(name, options)
        self.settings = parse_options(ManualOptions, name, options)
        self.capabilities = self._offers(self.settings)

    @classmethod
    def capabilities_for(cls, name: str, options: Mapping[str, Any]) -> Capabilities:
        return cls._offers(parse_options(ManualOptions, name, options))

    @classmethod
    def _offers(cls, settings: ManualOptions) -> Capabilities:
        return replace(cls.capabilities, suspend=settings.accounts, reactivate=settings.accounts)

    # -- what the workflow needs to open and chase the task -----------------------------------
    @property
    def task_channel(self) -> str:
        return self.settings.channel

    @property
    def repost_after(self) -> timedelta:
        return self.settings.repost_after

    @property
    def escalate_after(self) -> timedelta:
        return self.settings.escalate_after

    def render_instructions(self, person: Subject | PrincipalRef, target: Target, action: str) -> str:
        """The task text for ``action`` ("grant", "revoke", "suspend", "reactivate")."""
        if action not in ACTIONS:
            raise InvalidRequest(f"manual tasks know {', '.join(ACTIONS)}, not {action!r}")
        template = self._template(target, action)
        if problem := template_problem(template):
            raise InvalidRequest(f"{self.name}: instructions for {target.entitlement or target.ref}: {problem}")
        email, name = (person.email, person.name) if isinstance(person, Subject) else (person.id, person.display)
        return template.format(person=name or email, email=email, entitlement=target.entitlement or target.ref,
                               target=target.ref, action=action, app=self.settings.app or self.name)

    def _template(self, target: Target, action: str) -> str:
        for source in (target.options, self.settings.model_dump()):
            for key in (f"{action}_instructions", "instructions"):
                if isinstance(source.get(key), str):
                    return source[key]
        return DEFAULT_INSTRUCTIONS[action]

    # -- contract ------------------------------------------------------------------------------
    def check(self) -> list[Check]:
        return [Check("config", True, f"tasks go to {self.task_channel}; repost every "
                                      f"{format_duration(self.repost_after)}, escalate after "
                                      f"{format_duration(self.escalate_after)}"
                                      + ("" if self.settings.accounts else "; no accounts to suspend"))]

    def resolve(self, subject: Subject) -> PrincipalRef:
        return PrincipalRef(id=subject.email, display=subject.name or subject.email)

    def grant(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        return self._task(principal, target, "grant", action_id, dry_run)

    def revoke(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        return self._task(principal, target, "revoke", action_id, dry_run)

    def suspend(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        self._needs_accounts("suspend")
        return self._task(principal, Target("account", entitlement=f"{self.name}:account"), "suspend", action_id,
                          dry_run)

    def reactivate(self, principal: PrincipalRef, *, action_id: str, dry_run: bool = False) -> ActionResult:
        self._needs_accounts("reactivate")
        return self._task(principal, Target("account", entitlement=f"{self.name}:account"), "reactivate",
                          action_id, dry_run)

    def _needs_accounts(self, action: str) -> None:
        if not self.settings.accounts:
            raise Unsupported(f"{self.name} has no accounts to {action} (accounts: false)")

    def is_granted(self, principal: PrincipalRef, target: Target) -> bool:
        raise Unsupported(f"{self.name} has no API: whether access is in place is recorded on the manual task")

    def poll(self, principal: PrincipalRef, target: Target, pending: ActionResult) -> ActionResult:
        # The person answers on the task card; nothing here can tell sooner.
        return pending

    def _task(self, principal: PrincipalRef, target: Target, action: str, action_id: str,
              dry_run: bool) -> ActionResult:
        instructions = self.render_instructions(principal, target, action)
        if dry_run:
            return ActionResult(Outcome.PLANNED, detail=instructions,
                                planned_calls=(f"open a manual task in {self.task_channel}: {instructions}",))
        return ActionResult(Outcome.PENDING, target_ref=f"manual:{action_id}", detail=instructions)
