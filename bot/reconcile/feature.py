"""Drift detection: runs and orphan findings recorded (accessbot reconcile)."""

from __future__ import annotations

from bot.ledger.registry import Feature
from bot.reconcile.events import ReconcileEvent

FEATURE = Feature(name="reconcile", events=(ReconcileEvent,))
