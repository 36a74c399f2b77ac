"""The usage feature's audit actions and outbox events (a persisted API: renaming one strands rows)."""

from __future__ import annotations

from bot.ledger.events import EventName


class UsageEvent(EventName):
    COLLECTED = "usage.collected"  # a connector's pass finished
    COLLECTION_FAILED = "usage.collection_failed"  # a pass stopped on an error: its data is not used
    COLLECT_REQUESTED = "usage.collect_requested"  # IT moved the next pass to now
    STALE = "usage.stale"  # evaluation skipped a connector whose data is too old (no action, said so)
    ASKED = "usage.asked"  # "keep it or release it?" sent (notified: the DM)
    KEPT = "usage.kept"  # the clock restarts
    RELEASED = "usage.released"  # revoked through the ordinary revoke path (notified: the confirmation)
    OWNER_ASKED = "usage.owner_asked"  # nobody answered and the policy hands it to an owner
    LAPSED = "usage.lapsed"  # the owner did not answer either: nothing is released
