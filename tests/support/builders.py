"""Builders for what tests set up again and again: a catalog (as the YAML the real loader reads), the
people of the directory, and grants already held. Each test names what it adds to the common cast
instead of pasting a whole catalog, so a change to the house defaults is made once."""

from __future__ import annotations

import copy
from typing import Any

import yaml

IT_ADMINS = "it-admins"
IT_CHANNEL = "C0ITOPS"
SETTINGS = {"it_admins_group": IT_ADMINS, "it_channel": IT_CHANNEL, "fallback": {"group": IT_ADMINS}}
DEFAULTS = {"connector": "mem", "durations": {"choices": ["1h", "4h", "1d"], "default": "4h", "maximum": "1d"},
            "approval": ["manager"], "require_justification": False}
PERMANENT = {"permanent": True, "default": "permanent"}
PAYMENTS_FOUR_EYES = {"name": "payments-four-eyes", "entitlements": ["erp:payments-create", "erp:payments-approve"],
                      "reason": "nobody may both create and approve payments"}


def resource(name: str, **entitlements: dict[str, Any] | str) -> dict[str, Any]:
    """``github=resource("GitHub", member=auto("gh-members"), connector="gh")``: the keyword arguments that
    are mappings are entitlements; the others (connector, owners, eligibility…) are the resource's keys."""
    keys = {k: v for k, v in entitlements.items() if not isinstance(v, dict) or k in ("eligibility",)}
    return {"name": name, **keys,
            "entitlements": {k: v for k, v in entitlements.items() if k not in keys}}


def auto(target: str, **keys: Any) -> dict[str, Any]:
    """An entitlement granted without approval."""
    return {"target": target, "approval": [], **keys}


def erp(*, create: dict[str, Any] | None = None, approve: dict[str, Any] | None = None) -> dict[str, Any]:
    """Finance ERP: the two payment roles that ``PAYMENTS_FOUR_EYES`` keeps apart."""
    return resource("Finance ERP", **{"payments-create": {"target": "erp-pay-create", **(create or {})},
                                      "payments-approve": {"target": "erp-pay-approve", **(approve or {})}})


def catalog_document(resources: dict[str, dict[str, Any]], *, settings: dict[str, Any] | None = None,
                     defaults: dict[str, Any] | None = None, **sections: Any) -> dict[str, Any]:
    """The catalog as data: the house ``SETTINGS`` and ``DEFAULTS`` updated with ``settings`` / ``defaults``
    (a key set to None is dropped), then ``resources`` and any other section (separation_of_duties,
    birthright, bundles…). A test changes what it needs in it, then ``dump``s it."""
    return copy.deepcopy({"settings": _merged(SETTINGS, settings), "defaults": _merged(DEFAULTS, defaults),
                          "resources": resources, **sections})  # never the shared constants themselves


def catalog(resources: dict[str, dict[str, Any]], **keys: Any) -> str:
    """The catalog YAML the real loader reads (``catalog_document``'s arguments)."""
    return dump(catalog_document(resources, **keys))


def dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def _merged(base: dict[str, Any], changes: dict[str, Any] | None) -> dict[str, Any]:
    merged = {**base, **(changes or {})}
    return {k: v for k, v in merged.items() if v is not None}


def person(email: str, name: str, department: str, title: str, *, manager: str | None = None,
           groups: tuple[str, ...] = (), **facts: Any) -> dict[str, Any]:
    """One directory entry as tests/support/world.py:seed_people writes it."""
    entry: dict[str, Any] = {"email": email, "name": name, "department": department, "title": title, **facts}
    if manager:
        entry["manager_email"] = manager
    if groups:
        entry["groups"] = list(groups)
    return entry


def granted(world, email: str, ref: str, people: list[dict[str, Any]]) -> int:
    """Give ``email`` the entitlement through the normal request path, their manager (from ``people``)
    approving when the policy asks; the grant id (provisioned when the caller runs the runner)."""
    request_id = world.submit(email, ref)
    if world.request(request_id).status == "pending":
        manager = next(p["manager_email"] for p in people if p["email"] == email)
        world.decide(manager, request_id)
    return world.request(request_id).grant_id
