"""SCIM 2.0 wire format for the SCIM connector: filters, PATCH bodies, list and error responses.

Requests are built with scim2-models so they are what Okta and Entra send. Responses are read
leniently by hand: real servers add vendor attributes and extension schemas, drop ``schemas``,
send ``"False"`` for false and answer errors as HTML, and a strict model would refuse them all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError
from scim2_models import Context, Error, Group, PatchOp, PatchOperation, User

from connectors.errors import InvalidRequest
from connectors.http import short_body

SCIM_JSON = "application/scim+json"
# scimType values that mean "this PATCH form is not understood here" (try the other remove form).
FORM_REFUSED = frozenset({"invalidValue", "invalidPath", "invalidSyntax", "invalidFilter"})
_DUPLICATE_TEXT = re.compile(r"already (exists|a member)|duplicate", re.IGNORECASE)


def quoted(value: str) -> str:
    """A SCIM filter string literal: user input can never close the quote and add a clause."""
    if any(ord(ch) < 0x20 for ch in value):
        raise InvalidRequest("identifiers with control characters cannot be used in a SCIM filter")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def membership_filter(group_id: str, user_id: str) -> str:
    return f"id eq {quoted(group_id)} and members[value eq {quoted(user_id)}]"


# -- PATCH bodies ------------------------------------------------------------------------------
def add_member_body(user_id: str) -> dict[str, Any]:
    return _group_patch(PatchOperation(op="add", path="members", value=[{"value": user_id}]))


def remove_member_body(user_id: str, style: str) -> dict[str, Any]:
    """RFC/Okta form (``members[value eq "id"]``) or Entra form (``members`` + value).

    Both name the one member. A remove on ``members`` with neither removes every member
    (RFC 7644 §3.5.2.2), so ``assert_targeted_remove`` refuses to let one out.
    """
    if style == "value":
        operation = PatchOperation(op="remove", path="members", value=[{"value": user_id}])
    else:
        operation = PatchOperation(op="remove", path=f"members[value eq {quoted(user_id)}]")
    body = _group_patch(operation)
    assert_targeted_remove(body)
    return body


def assert_targeted_remove(body: Mapping[str, Any]) -> None:
    for operation in body.get("Operations", []):
        if str(operation.get("op", "")).lower() != "remove":
            continue
        path = str(operation.get("path") or "").strip()
        whole_members = path.lower() == "members" and not operation.get("value")
        if not path or whole_members:
            raise InvalidRequest("refusing a SCIM remove that names no member: it would empty the group")


def active_body(active: bool) -> dict[str, Any]:
    # Okta's form: replace with no path and a partial resource as the value.
    op = PatchOp[User](operations=[PatchOperation(op="replace", value={"active": active})])
    return op.model_dump(scim_ctx=Context.RESOURCE_PATCH_REQUEST)


def _group_patch(operation: PatchOperation) -> dict[str, Any]:
    return PatchOp[Group](operations=[operation]).model_dump(scim_ctx=Context.RESOURCE_PATCH_REQUEST)


def encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body).encode()


# -- responses ---------------------------------------------------------------------------------
def json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def as_bool(value: Any) -> bool | None:
    """SCIM booleans as sent in the wild: true, "true", "True", "False"..."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


@dataclass(frozen=True)
class ListPage:
    total: int | None
    resources: list[Mapping[str, Any]]
    next_cursor: str | None = None  # RFC 9865: the next page's cursor; None on the last page


def list_page(response: httpx.Response, what: str) -> ListPage:
    body = json_body(response)
    if not isinstance(body, Mapping):
        raise InvalidRequest(f"{what}: the target answered something that is not a SCIM list: {short_body(response)}",
                             http_status=response.status_code)
    resources = body.get("Resources") or body.get("resources") or []
    if not isinstance(resources, list):
        raise InvalidRequest(f"{what}: 'Resources' is not a list", http_status=response.status_code)
    total = body.get("totalResults")
    next_cursor = body.get("nextCursor")
    return ListPage(int(total) if isinstance(total, int | str) and str(total).isdigit() else None,
                    [r for r in resources if isinstance(r, Mapping)],
                    str(next_cursor) if isinstance(next_cursor, str) and next_cursor else None)


def announces_cursor_paging(config: Any) -> bool:
    """Whether a /ServiceProviderConfig body announces RFC 9865 cursor paging."""
    pagination = config.get("pagination") if isinstance(config, Mapping) else None
    return isinstance(pagination, Mapping) and as_bool(pagination.get("cursor")) is True


def user_matches(user: Mapping[str, Any], email: str, *, by_email: bool) -> bool:
    """Whether a looked-up user is the one asked for (userName is case-insensitive, RFC 7643 §4.1.1)."""
    wanted = email.strip().lower()
    if not by_email:
        return str(user.get("userName") or "").strip().lower() == wanted
    emails = user.get("emails") or []
    return any(isinstance(e, Mapping) and str(e.get("value") or "").strip().lower() == wanted for e in emails)


def member_ids(resource: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(id, display)`` of a group's user members; nested groups are not people and are skipped."""
    found = []
    for member in resource.get("members") or []:
        if not isinstance(member, Mapping) or not member.get("value"):
            continue
        if str(member.get("type") or "User").lower() != "user":
            continue
        found.append((str(member["value"]), str(member.get("display") or "")))
    return found


@dataclass(frozen=True)
class ScimError:
    status: int
    scim_type: str | None
    detail: str

    def describe(self) -> str:
        kind = f" {self.scim_type}" if self.scim_type else ""
        return f"HTTP {self.status}{kind}: {self.detail}".rstrip(": ")

    @property
    def means_duplicate(self) -> bool:
        return self.status == 409 or self.scim_type == "uniqueness" or bool(_DUPLICATE_TEXT.search(self.detail))


def scim_error(response: httpx.Response) -> ScimError:
    """Read an error body: a SCIM Error (status as a string), some other JSON, or HTML/text."""
    body = json_body(response)
    if isinstance(body, Mapping):
        try:
            error = Error.model_validate(body)
            return ScimError(error.status or response.status_code, error.scim_type, (error.detail or "").strip())
        except ValidationError:
            return _loose_error(body, response.status_code)
    text = re.sub(r"<[^>]+>", " ", short_body(response, limit=400))
    return ScimError(response.status_code, None, " ".join(text.split())[:200])


def _loose_error(body: Mapping[str, Any], status: int) -> ScimError:
    scim_type = body.get("scimType") or body.get("scim_type")
    detail = body.get("detail") or body.get("message") or body.get("error_description") or body.get("error") or ""
    if isinstance(detail, Mapping):  # {"error": {"code": ..., "message": ...}}
        detail = detail.get("message") or detail.get("code") or ""
    return ScimError(status, str(scim_type) if scim_type else None, str(detail)[:200])
