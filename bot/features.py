"""Every feature of accessbot, each a folder with a ``feature.py`` manifest (bot.ledger.registry).

Adding a feature: its folder, and one line here. The order is the order in which the Slack front
end registers each feature's listeners and notices (handlers of one event run in this order).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from bot.ledger import registry

FEATURES = (
    "bot.requests",
    "bot.ledger",
    "bot.admin",
    "bot.offboarding",
    "bot.lifecycle",
    "bot.breakglass",
    "bot.reviews",
    "bot.reconcile",
    "bot.oncall",
    "bot.usage",
)

registry.register(*(importlib.import_module(f"{package}.feature").FEATURE for package in FEATURES))


def slack_surfaces() -> list[ModuleType]:
    """Each feature's Slack module (LISTENERS, NOTICES), in FEATURES order; for bot.slack only."""
    return [importlib.import_module(feature.slack) for feature in registry.registered() if feature.slack]
