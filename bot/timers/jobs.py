"""What each kind of due row does when its time comes: the handlers every feature registered
(its ``feature.py``, listed in bot/features.py). The timers know no feature.

Kind names are a persisted API: renaming one strands rows, so a rename is a data migration. Two
families of handler:

* ``IN_TRANSACTION`` handlers change the ledger. They run inside the transaction that also marks
  the row done (or moves it), so their effects land exactly once. They re-read state under a lock
  and do nothing when it moved on (an extension, a decision, a manual revoke wins over the timer).
  They return True when they queued connector work, which the service then runs at once.
* ``CONNECTOR_WORK`` handlers call a connector through the provisioning runner, outside any
  transaction (the runner claims its own rows); the row is marked done afterwards.
"""

from __future__ import annotations

from bot import features
from bot.ledger.registry import ConnectorWork, InTransaction, InTransactionGroup, Prepare

_registered = features.registry.registered()

IN_TRANSACTION: dict[str, InTransaction] = {k: h for f in _registered for k, h in f.in_transaction.items()}
# Run once before a group of rows of that kind runs in one transaction (fire.fire_together).
PREPARE: dict[str, Prepare] = {k: h for f in _registered for k, h in f.prepare.items()}
# The same work for consecutive rows of that kind in such a group, with each statement once for them.
IN_TRANSACTION_GROUP: dict[str, InTransactionGroup] = {
    k: h for f in _registered for k, h in f.in_transaction_group.items()}
CONNECTOR_WORK: dict[str, ConnectorWork] = {k: h for f in _registered for k, h in f.connector_work.items()}

KNOWN_KINDS = frozenset(IN_TRANSACTION) | frozenset(CONNECTOR_WORK)
