"""Who the IT admins are (the catalog's it_admins_group), for mentions when something needs them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.slack.readmodels.request import PersonInfo

MAX_MENTIONS = 10


def it_admins(s: Session, catalog) -> tuple[PersonInfo, ...]:
    group = catalog.settings.it_admins_group
    if not group:
        return ()
    return tuple(PersonInfo.of(p) for p in directory.members_of_group(s, group)[:MAX_MENTIONS])
