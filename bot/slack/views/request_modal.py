"""The request form. Picking an entitlement (or a bundle) redraws the form for its policy: the duration
menu (with the default chosen), whether a justification and a ticket are required, and who will approve.
A bundle's option value is ``bundle/<name>`` (an entitlement ref never holds a ``/``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from slack_sdk.models.blocks import (
    DateTimePickerElement,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)

from bot.slack.ids import Action, Block, Callback, duration_action
from bot.slack.views import common as ui
from bot.slack.views import mrkdwn as md
from bot.slack.views.format import risk_text
from policies import Bundle, Catalog, Entitlement, humanize
from policies.schema import RISKS
from policies.durations import short

JUSTIFICATION_MAX = 1000
TICKET_MAX = 100
OPTION_TEXT_MAX = 75
BUNDLE_VALUE = "bundle/"


def bundle_value(name: str) -> str:
    return BUNDLE_VALUE + name


def bundle_of(value: str | None) -> str | None:
    """The bundle name a picker value stands for, or None for an entitlement."""
    return value[len(BUNDLE_VALUE):] if value and value.startswith(BUNDLE_VALUE) else None


@dataclass(frozen=True)
class FormChoice:
    """What the form needs to know about the chosen entitlement (from the catalog, no database)."""

    ref: str
    label: str
    description: str
    risk: str
    choices: tuple[timedelta | None, ...]  # None = permanent
    default: timedelta | None
    require_justification: bool
    require_ticket: bool
    ticket_pattern: str | None
    approval: tuple[str, ...]
    starts_later: bool = True  # the form offers "Start later" (not for bundles)
    break_glass: bool = False  # the policy offers an emergency path (who may use it is checked on click)

    @classmethod
    def of(cls, ent: Entitlement) -> FormChoice:
        choices = tuple(ent.durations.choices) + ((None,) if ent.durations.permanent_allowed else ())
        approval = tuple(s.label or s.default_label(s.kind, s.group) for s in ent.approval_steps)
        return cls(ent.ref, ent.label, ent.description or "", ent.risk, choices, ent.durations.default,
                   ent.require_justification, ent.require_ticket, ent.ticket_pattern, approval,
                   break_glass=ent.break_glass is not None)

    @classmethod
    def of_bundle(cls, catalog: Catalog, bundle: Bundle) -> FormChoice:
        """One form for all the bundle's entitlements: the durations every one of them allows, the
        strictest justification and ticket rules, every approver step they ask for."""
        ents = [catalog.entitlement(ref) for ref in bundle.entitlements]
        each = [cls.of(ent) for ent in ents]
        choices = tuple(c for c in each[0].choices if all(c in other.choices for other in each[1:]))
        default = each[0].default if each[0].default in choices else (choices[0] if choices else None)
        approval = tuple(dict.fromkeys(label for c in each for label in c.approval))
        included = "Includes: " + ", ".join(ent.label for ent in ents) + "."
        return cls(bundle_value(bundle.name), bundle.label, f"{bundle.description}\n{included}".strip(),
                   max((c.risk for c in each), key=_risk_rank), choices, default,
                   any(c.require_justification for c in each), any(c.require_ticket for c in each),
                   next((c.ticket_pattern for c in each if c.ticket_pattern), None), approval, starts_later=False)


def _risk_rank(risk: str) -> int:
    return RISKS.index(risk) if risk in RISKS else len(RISKS)


def form_choice(catalog: Catalog, value: str | None) -> FormChoice | None:
    """What the picker's value stands for; KeyError when the catalog has no such thing."""
    if not value:
        return None
    name = bundle_of(value)
    if name is not None:
        return FormChoice.of_bundle(catalog, catalog.bundles[name])
    return FormChoice.of(catalog.entitlement(value))


def entitlement_option(ref: str, label: str) -> Option:
    return Option(value=ref, label=md.truncate(label, OPTION_TEXT_MAX))


def duration_option(duration: timedelta | None) -> Option:
    return Option(value=short(duration), label=humanize(duration))


def render_request_modal(choice: FormChoice | None, *, meta: str, duration: timedelta | None = None,
                         duration_given: bool = False) -> dict:
    picker = ExternalDataSelectElement(
        action_id=Action.ENTITLEMENT_PICKER, placeholder=ui.plain("Type an app or a role…"), min_query_length=1,
        initial_option=entitlement_option(choice.ref, choice.label) if choice else None)
    blocks = [InputBlock(block_id=Block.ENTITLEMENT, label=ui.plain("App and role"), element=picker,
                         dispatch_action=True).to_dict()]
    if choice is None:
        blocks.append(ui.context("Pick an app and a role to see how long you can have it and who approves it."))
    else:
        blocks += _policy_blocks(choice, duration if duration_given else choice.default)
    return ui.modal(callback_id=Callback.REQUEST, title="Request access", submit="Request", blocks=blocks,
                    private_metadata=meta)


def _policy_blocks(choice: FormChoice, preselect: timedelta | None) -> list[dict]:
    approval = " → ".join(md.escape(a) for a in choice.approval) or "none (approved on submission)"
    about = [f"Risk: {risk_text(choice.risk)}", f"Approval: {approval}"]
    blocks = [ui.context(*([md.escape(md.truncate(choice.description, 300))] if choice.description else []), *about)]
    options = [duration_option(c) for c in choice.choices]
    initial = duration_option(preselect) if preselect in choice.choices else None
    if options:
        blocks.append(InputBlock(block_id=Block.DURATION, label=ui.plain("For how long"), element=StaticSelectElement(
            action_id=duration_action(choice.ref), options=options, initial_option=initial,
            placeholder=ui.plain("Choose a duration"))).to_dict())
    else:  # a bundle whose entitlements share no duration
        blocks.append(ui.context("Each entitlement gets its own default duration."))
    blocks.append(InputBlock(
        block_id=Block.JUSTIFICATION, label=ui.plain("Why do you need it?"), optional=not choice.require_justification,
        element=PlainTextInputElement(action_id=Action.JUSTIFICATION, multiline=True, max_length=JUSTIFICATION_MAX),
        hint=ui.plain("Your approvers read this." + (" Required for this access." if choice.require_justification
                                                     else ""))).to_dict())
    ticket_hint = f"Format: {choice.ticket_pattern}" if choice.ticket_pattern else "A change or incident reference."
    blocks.append(InputBlock(
        block_id=Block.TICKET, label=ui.plain("Ticket"), optional=not choice.require_ticket,
        element=PlainTextInputElement(action_id=Action.TICKET, max_length=TICKET_MAX),
        hint=ui.plain(ticket_hint)).to_dict())
    if choice.starts_later:
        blocks.append(InputBlock(
            block_id=Block.STARTS_AT, label=ui.plain("Start later"), optional=True,
            element=DateTimePickerElement(action_id=Action.STARTS_AT),
            hint=ui.plain("Leave empty to start as soon as it is approved.")).to_dict())
    if choice.break_glass:
        blocks.append(ui.actions(ui.button("Emergency (break-glass)", Action.BREAK_GLASS_OPEN, choice.ref,
                                           style="danger")))
    return blocks


def render_submitted_modal(text: str) -> dict:
    return ui.modal(callback_id=Callback.NOTICE, title="Request access", close="Done", blocks=[ui.section(text)])
