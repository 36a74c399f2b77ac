"""Offboard a person: the database half of the offboarding engine, kept here for callers of the
first version. It marks the person a leaver, cancels their pending requests, re-routes approvals
waiting on them and starts ending every grant (write-ahead revoke rows tied to the Offboarding).

The connector half (suspend accounts, end sessions, run every system in parallel, report) is
``bot.offboarding.engine``: use ``engine.run(deps, ...)`` (or ``prepare.start`` then
``engine.drive``) rather than this function plus the provisioning sweep.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.store.models import Offboarding, Person
from bot.workflow.context import Ctx


def offboard(s: Session, ctx: Ctx, *, person: Person, reason: str = "") -> Offboarding:
    from bot.offboarding import prepare  # the engine sits above the workflow; imported on use

    return prepare.start(s, ctx, person=person, reason=reason)
