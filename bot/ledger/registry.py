"""What a feature adds to the ledger core, declared in the feature's own folder (``feature.py``).

The core and the engines that serve every feature (the timer sweep, the provisioning runner, the
Slack front end) never name a feature: they ask this registry. ``bot/features.py`` lists the
features once and registers them; adding a feature is its folder plus one line there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.ledger.context import Ctx
from bot.ledger.due import DueJob, TimerKind
from bot.ledger.events import EventName

if TYPE_CHECKING:
    from bot.store.models import ProvisioningAction

# A due row's work inside the transaction that marks it done; True when it queued connector work.
InTransaction = Callable[[Session, Ctx, DueJob, Any], bool]
# A due row's work that calls connectors and opens its own transactions (``deps``, job).
ConnectorWork = Callable[[Any, DueJob], None]
# Run once before a group of rows of that kind runs in one transaction (locks, in a stable order).
Prepare = Callable[[Session, list[DueJob]], None]


@dataclass(frozen=True)
class Hold:
    """A precondition's answer: do not call the connector now. ``skip``: never (the action is
    settled as skipped, ``reason`` shown where it is reported); else retry later."""

    reason: str
    skip: bool = False


# Asked by the provisioning runner for each claimed action of that kind: None to go ahead.
Precondition = Callable[[Session, "ProvisioningAction"], Hold | None]


@dataclass(frozen=True)
class WaitsFor:
    """A claim-order rule: an action of kind ``later`` is not claimed while an unfinished action of
    kind ``earlier`` for the same person and connector was queued before it, or in the same instant."""

    later: str  # ActionKind
    earlier: str  # ActionKind


@dataclass(frozen=True)
class Settled:
    """How a provisioning action ended: ``outcome`` done, skipped or failed (for good)."""

    outcome: str
    error_kind: str | None = None
    detail: str = ""


# Told, in the outcome's transaction, of every provisioning action that reached an end.
ActionSettled = Callable[[Session, Ctx, "ProvisioningAction", Settled], None]


@dataclass(frozen=True)
class Feature:
    name: str
    timer_kinds: tuple[type[TimerKind], ...] = ()
    events: tuple[type[EventName], ...] = ()
    in_transaction: Mapping[TimerKind, InTransaction] = field(default_factory=dict)
    prepare: Mapping[TimerKind, Prepare] = field(default_factory=dict)
    connector_work: Mapping[TimerKind, ConnectorWork] = field(default_factory=dict)
    preconditions: Mapping[str, Precondition] = field(default_factory=dict)  # by ActionKind
    # Claim-order rules the runner turns into its claim query (it knows no feature's rule).
    claim_order: tuple[WaitsFor, ...] = ()
    on_action_settled: tuple[ActionSettled, ...] = ()
    # Run once when the timers start (a worker, or the single-process roles), with ``deps``: first
    # schedules a feature's recurring work needs (they are idempotent: rows are keyed).
    on_timers_start: tuple[Callable[[Any], None], ...] = ()
    # Dotted name of the module with its Slack LISTENERS and NOTICES, imported only by bot.slack.
    slack: str | None = None


_features: dict[str, Feature] = {}


def register(*features: Feature) -> None:
    """Idempotent by name; a kind has one handler in the whole bot."""
    for feature in features:
        _features.pop(feature.name, None)
        handled = {kind for other in _features.values() for kind in (*other.in_transaction, *other.connector_work)}
        for kind in (*feature.in_transaction, *feature.connector_work):
            if not isinstance(kind, TimerKind) or kind in handled:
                raise ValueError(f"feature {feature.name}: {kind!r} is not a TimerKind, or has a handler already")
        _features[feature.name] = feature


def registered() -> tuple[Feature, ...]:
    return tuple(_features.values())


def precondition(kind: str) -> Precondition | None:
    return next((f.preconditions[kind] for f in _features.values() if kind in f.preconditions), None)


def claim_order() -> tuple[WaitsFor, ...]:
    return tuple(rule for f in _features.values() for rule in f.claim_order)


def action_settled(s: Session, ctx: Ctx, action: ProvisioningAction, settled: Settled) -> None:
    for feature in _features.values():
        for hook in feature.on_action_settled:
            hook(s, ctx, action, settled)


def timers_starting(deps: Any) -> None:
    for feature in _features.values():
        for hook in feature.on_timers_start:
            hook(deps)


def by_ref(handler: Callable[[Any, str, dict[str, Any]], None]) -> ConnectorWork:
    """A connector-work handler written as ``handler(deps, ref_id, payload)`` (ids only)."""
    return lambda deps, job: handler(deps, job.ref_id, job.payload)
