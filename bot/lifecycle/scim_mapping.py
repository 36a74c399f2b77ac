"""People as SCIM Users, and SCIM Users as directory changes.

What an IdP pushed is kept as pushed (``ScimUser.document``) and returned as pushed, except the
attributes accessbot's directory owns, which always show the directory's current value:

=====================================  ==========================  ==============================
SCIM                                   directory                   when absent from a PUT / removed
=====================================  ==========================  ==============================
``userName``                           (the SCIM key)              required
``emails`` (primary, else first)       ``email`` (else userName)   falls back to userName
``displayName`` / ``name``             ``name``                    unchanged
``title``                              ``title``                   cleared
``userType``                           ``employment_type``         unchanged (never guess a type)
``active``                             ``status`` (joiner/leaver)  unchanged
``addresses`` (primary/work locality)  ``location``                cleared
enterprise ``employeeNumber``          ``employee_id``             unchanged (identity)
enterprise ``department``              ``department``              cleared
enterprise ``manager.value``           ``manager`` (a User id)     cleared
=====================================  ==========================  ==============================

People who never came through SCIM (HR, the people file) are shown with the same attributes,
built from the directory; their userName is their email.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from scim2_models import InvalidValueException
from sqlalchemy.orm import Session

from bot.domain.enums import PersonStatus
from bot.domain.limits import row_id
from bot.lifecycle.scim_schema import ENTERPRISE_SCHEMA, USER_SCHEMA
from bot.store.models import Person, ScimUser

OWNED = ("title", "userType", "active")
OWNED_ENTERPRISE = ("employeeNumber", "department", "manager")


def _drop_empty(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v not in (None, "", [], {})}


def synthesized(person: Person) -> dict[str, Any]:
    """The document of someone no IdP has pushed."""
    doc = _drop_empty({
        "userName": person.email, "displayName": person.name, "title": person.title, "active": True,
        "userType": person.employment_type,
        "name": {"formatted": person.name} if person.name else None,
        "emails": [{"value": person.email, "type": "work", "primary": True}],
        "addresses": [{"type": "work", "locality": person.location, "primary": True}] if person.location else None,
    })
    doc[ENTERPRISE_SCHEMA] = {"employeeNumber": None, "department": None, "manager": {"value": None}}
    return doc


def representation(s: Session, person: Person, row: ScimUser | None) -> dict[str, Any]:
    """The User as we return it: stored document, directory-owned attributes overlaid, meta filled."""
    doc = copy.deepcopy(row.document) if row is not None else synthesized(person)
    overlay = {"title": person.title or None, "userType": person.employment_type or None,
               "active": person.status == PersonStatus.ACTIVE}
    for key in OWNED:
        if key in doc:
            doc[key] = overlay[key]
    enterprise = doc.get(ENTERPRISE_SCHEMA)
    if isinstance(enterprise, dict):
        _overlay_enterprise(person, enterprise)
        doc[ENTERPRISE_SCHEMA] = _drop_empty(enterprise)
    doc = _drop_empty(doc)
    doc["userName"] = row.user_name if row is not None else person.email
    if row is not None and row.external_id:
        doc["externalId"] = row.external_id
    doc["id"] = str(person.id)
    doc["schemas"] = [USER_SCHEMA] + ([ENTERPRISE_SCHEMA] if doc.get(ENTERPRISE_SCHEMA) else [])
    modified = max(person.updated_at, row.updated_at) if row is not None else person.updated_at
    doc["meta"] = {"resourceType": "User", "created": (row.created_at if row else person.created_at).isoformat(),
                   "lastModified": modified.isoformat(), "version": version_of(doc)}
    return doc


def _overlay_enterprise(person: Person, enterprise: dict[str, Any]) -> None:
    if "employeeNumber" in enterprise:
        enterprise["employeeNumber"] = person.employee_id
    if "department" in enterprise:
        enterprise["department"] = person.department or None
    if "manager" in enterprise:
        stored = enterprise["manager"] or {}
        if person.manager_id is None:
            enterprise["manager"] = None
        else:
            manager = {"value": str(person.manager_id)}
            if "$ref" in stored or not stored.get("value"):
                manager["$ref"] = f"Users/{person.manager_id}"
            enterprise["manager"] = manager


def version_of(doc: dict[str, Any]) -> str:
    content = {k: v for k, v in doc.items() if k != "meta"}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:20]
    return f'W/"{digest}"'


def stored_document(doc: dict[str, Any]) -> dict[str, Any]:
    """What to keep of an incoming resource: everything but the server's own attributes."""
    return {k: v for k, v in doc.items() if k not in ("id", "meta", "schemas", "externalId", "userName")}


def email_of(doc: dict[str, Any]) -> str:
    emails = [e for e in doc.get("emails") or [] if e.get("value")]
    primary = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    return (primary["value"] if primary else doc["userName"]).strip().lower()


def person_values(s: Session, doc: dict[str, Any], *, self_id: int | None = None) -> dict[str, Any]:
    """The directory fields a User document says (see the table above)."""
    enterprise = doc.get(ENTERPRISE_SCHEMA) or {}
    name = doc.get("name") or {}
    full = doc.get("displayName") or name.get("formatted") or " ".join(
        p for p in (name.get("givenName"), name.get("familyName")) if p)
    values: dict[str, Any] = {"title": doc.get("title") or "", "department": enterprise.get("department") or "",
                              "location": _location(doc), "manager_email": _manager_email(s, enterprise, self_id)}
    if full:
        values["name"] = full
    if doc.get("userType"):
        values["employment_type"] = doc["userType"]
    return values


def _location(doc: dict[str, Any]) -> str:
    addresses = doc.get("addresses") or []
    chosen = next((a for a in addresses if a.get("primary")), None) or next(
        (a for a in addresses if a.get("type") == "work"), addresses[0] if addresses else {})
    return chosen.get("locality") or chosen.get("region") or chosen.get("country") or chosen.get("formatted") or ""


def _manager_email(s: Session, enterprise: dict[str, Any], self_id: int | None) -> str:
    value = (enterprise.get("manager") or {}).get("value")
    if not value:
        return ""
    manager_id = row_id(str(value))
    manager = s.get(Person, manager_id) if manager_id is not None else None
    if manager is None:
        raise InvalidValueException(detail=f"manager {value!r} is not a User of this service")
    if manager.id == self_id:
        raise InvalidValueException(detail="a person cannot be their own manager")
    return manager.email
