"""On-call auto-approval: who is on call, for auto-approve rules (see docs/policies.md)."""

from __future__ import annotations

from bot.ledger.registry import Feature
from bot.oncall.events import OnCallEvent

FEATURE = Feature(name="oncall", events=(OnCallEvent,))
