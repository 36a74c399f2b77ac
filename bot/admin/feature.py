"""IT's admin operations: push a grant (/access-admin, the admin API). Offboarding's four-eyes
confirmation is the offboarding feature's (bot.offboarding.confirm)."""

from __future__ import annotations

from bot.ledger.registry import Feature

FEATURE = Feature(name="admin", slack="bot.slack.surfaces.admin")
