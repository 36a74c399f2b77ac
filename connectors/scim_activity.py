"""SCIM has no standard last-use attribute: a connector configured with ``last_activity_attribute``
reads that one from /Users, page by page (``startIndex``; the cursor is the next index).

The attribute is written as SCIM names it: ``lastLogin`` (core), ``meta.lastLogin`` (a sub-attribute) or
``urn:example:params:scim:schemas:extension:acme:2.0:User:lastLogin`` (an extension's attribute).
"""

from __future__ import annotations

from typing import Any

from connectors import scim_wire as wire
from connectors.activity import parse_time
from connectors.base import Activity, ActivityMeaning, ActivityPage, PrincipalRef
from connectors.errors import NotFound


def read(user: dict[str, Any], attribute: str) -> Any:
    if attribute.startswith("urn:"):
        urn, _, name = attribute.rpartition(":")
        extension = user.get(urn)
        return extension.get(name) if isinstance(extension, dict) else None
    value: Any = user
    for part in attribute.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def page(connector, cursor: str | None) -> ActivityPage:
    attribute = connector.settings.last_activity_attribute
    start = int(cursor or 1)
    response = connector._get("/Users", params={"startIndex": start, "count": connector.settings.page_size,
                                                "attributes": f"id,userName,emails,{attribute}"})
    connector._raise_unless_ok(response, "list users for last activity", not_found=NotFound)
    listing = wire.list_page(response, f"{connector.name}: user list")
    activity = tuple(Activity(PrincipalRef(id=str(u["id"]), display=str(u.get("userName") or "")),
                              parse_time(read(u, attribute)))
                     for u in listing.resources if u.get("id"))
    following = start + len(listing.resources)
    done = not listing.resources or (listing.total is not None and following > listing.total)
    return ActivityPage(activity, None if done else str(following), ActivityMeaning.APP_SIGN_IN,
                        f"SCIM /Users {attribute}")
