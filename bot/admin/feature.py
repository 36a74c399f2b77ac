"""IT's admin operations: push a grant, confirm an offboarding (the second pair of eyes)."""

from __future__ import annotations

from bot.ledger.registry import Feature

FEATURE = Feature(name="admin", slack="bot.slack.surfaces.admin")
