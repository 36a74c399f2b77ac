"""SCIM answers scim2-server never gives, replayed with respx: the shapes real targets send.

Bodies follow RFC 7644 §3.12 (``status`` is a string on the wire) or what vendors are known to
send instead (HTML from a gateway, Graph-style JSON, 409 on a duplicate add: see the notes).
"""

from __future__ import annotations

import httpx
import pytest
import respx

from connectors.base import Outcome, PrincipalRef, Subject, Target
from connectors.errors import AuthError, InvalidRequest, PrincipalNotFound, TransientError, Unsupported
from connectors.scim import ScimConnector

BASE = "https://scim.example.test/v2"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
ALICE = PrincipalRef("u-alice", "alice@example.com")
GROUP = Target("g-eng")


def scim_error(status: int, scim_type: str | None = None, detail: str = "") -> httpx.Response:
    body = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return httpx.Response(status, json=body, headers={"Content-Type": "application/scim+json"})


def member_list(is_member: bool) -> httpx.Response:
    resources = [{"id": GROUP.ref, "displayName": "eng"}] if is_member else []
    return httpx.Response(200, json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                                     "totalResults": len(resources), "Resources": resources})


def user_exists(target) -> None:
    """The connector reads the user before adding them (a dangling member value must not look APPLIED)."""
    target.get(f"/Users/{ALICE.id}").mock(return_value=httpx.Response(200, json={"id": ALICE.id, "active": True}))


@pytest.fixture
def connector():
    c = ScimConnector("app", {"base_url": BASE, "token": "t0ken", "retry_backoff": 0.001})
    yield c
    c.close()


@pytest.fixture
def target():
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        yield mock


def test_no_target_on_remove_means_someone_removed_them_first(connector, target):
    target.get("/Groups").mock(return_value=member_list(True))
    patch = target.patch(f"/Groups/{GROUP.ref}").mock(return_value=scim_error(400, "noTarget", "no member matched"))
    assert connector.revoke(ALICE, GROUP, action_id="r1").outcome is Outcome.ALREADY
    assert patch.call_count == 1


@pytest.mark.parametrize("answer", [
    scim_error(409, "uniqueness", "Member already exists"),
    scim_error(400, None, "User is already a member of this group"),
    httpx.Response(409, json={"error": "conflict"}),
])
def test_duplicate_add_answers_mean_already(connector, target, answer):
    target.get("/Groups").mock(return_value=member_list(False))
    user_exists(target)
    target.patch(f"/Groups/{GROUP.ref}").mock(return_value=answer)
    assert connector.grant(ALICE, GROUP, action_id="g1").outcome is Outcome.ALREADY


def test_an_unrelated_400_on_add_is_an_invalid_request_with_the_scim_type(connector, target):
    target.get("/Groups").mock(return_value=member_list(False))
    user_exists(target)
    target.patch(f"/Groups/{GROUP.ref}").mock(return_value=scim_error(400, "mutability", "members is readOnly"))
    with pytest.raises(InvalidRequest, match="members is readOnly") as caught:
        connector.grant(ALICE, GROUP, action_id="g1")
    assert caught.value.provider_code == "mutability"
    assert caught.value.http_status == 400


def test_html_error_pages_are_reduced_to_readable_text(connector, target):
    target.get("/Users").mock(return_value=httpx.Response(
        403, text="<html><body><h1>Forbidden</h1><p>IP not allowed</p></body></html>",
        headers={"Content-Type": "text/html"}))
    with pytest.raises(AuthError) as caught:
        connector.resolve(Subject("alice@example.com"))
    assert "Forbidden IP not allowed" in caught.value.detail
    assert "<h1>" not in caught.value.detail
    assert "t0ken" not in caught.value.detail


def test_a_gateway_html_502_is_retried_then_transient(connector, target):
    route = target.get("/Users").mock(return_value=httpx.Response(502, text="<html>Bad Gateway</html>"))
    with pytest.raises(TransientError):
        connector.resolve(Subject("alice@example.com"))
    assert route.call_count == 4


def test_not_implemented_is_unsupported_and_not_retried(connector, target):
    target.get("/Groups").mock(return_value=member_list(False))
    user_exists(target)
    route = target.patch(f"/Groups/{GROUP.ref}").mock(return_value=scim_error(501, None, "PATCH not implemented"))
    with pytest.raises(Unsupported):
        connector.grant(ALICE, GROUP, action_id="g1")
    assert route.call_count == 1


def test_a_404_on_add_with_the_group_present_blames_the_user(connector, target):
    target.get("/Groups").mock(return_value=member_list(False))
    user_exists(target)
    target.patch(f"/Groups/{GROUP.ref}").mock(return_value=scim_error(404, None, "Resource u-alice not found"))
    target.get(f"/Groups/{GROUP.ref}").mock(return_value=httpx.Response(200, json={"id": GROUP.ref}))
    with pytest.raises(PrincipalNotFound, match="u-alice"):
        connector.grant(ALICE, GROUP, action_id="g1")


def test_refused_rfc_remove_form_is_never_retried_in_the_entra_form(connector, target):
    """A server that ignores ``value`` would treat the Entra form as "remove every member"."""
    target.get("/Groups").mock(return_value=member_list(True))
    route = target.patch(f"/Groups/{GROUP.ref}").mock(return_value=scim_error(400, "invalidPath", "filters unsupported"))
    with pytest.raises(InvalidRequest):
        connector.revoke(ALICE, GROUP, action_id="r1")
    assert route.call_count == 1
    assert connector.remove_style == "filter"


def test_a_non_scim_json_error_is_read(connector, target):
    target.get("/Users").mock(return_value=httpx.Response(
        400, json={"error": {"code": "Request_BadRequest", "message": "Invalid filter clause"}}))
    with pytest.raises(InvalidRequest, match="Invalid filter clause"):
        connector.resolve(Subject("alice@example.com"))


def test_a_list_answer_that_is_not_json_is_refused(connector, target):
    target.get("/Users").mock(return_value=httpx.Response(200, text="<html>login page</html>"))
    with pytest.raises(InvalidRequest, match="not a SCIM list"):
        connector.resolve(Subject("alice@example.com"))


@pytest.mark.parametrize(("pagination", "same_page", "refusal"), [
    ("index", {"totalResults": 5, "Resources": [{"id": "u1", "userName": "a"}, {"id": "u2", "userName": "b"}]},
     "does not advance"),  # the server ignores startIndex
    ("cursor", {"totalResults": 5, "nextCursor": "c1", "Resources": [{"id": "u1", "userName": "a"}]},
     "repeats the same cursor"),
])
def test_a_server_whose_paging_does_not_advance_cannot_produce_a_partial_list(target, pagination, same_page, refusal):
    connector = ScimConnector("app", {"base_url": BASE, "token": "t", "member_listing": "user_filter",
                                      "page_size": 2, "pagination": pagination})
    target.get(f"/Groups/{GROUP.ref}").mock(return_value=httpx.Response(200, json={"id": GROUP.ref}))
    target.get("/Users").mock(return_value=httpx.Response(200, json=same_page))
    with pytest.raises(InvalidRequest, match=refusal):
        list(connector.list_members(GROUP))


def test_an_expired_cursor_mid_listing_raises_instead_of_returning_part(target):
    """RFC 9865 §2.3: a cursor may expire between pages (400 expiredCursor)."""
    connector = ScimConnector("app", {"base_url": BASE, "token": "t", "member_listing": "user_filter",
                                      "page_size": 1, "pagination": "cursor"})
    target.get(f"/Groups/{GROUP.ref}").mock(return_value=httpx.Response(200, json={"id": GROUP.ref}))
    first = {"totalResults": 2, "nextCursor": "c1", "Resources": [{"id": "u1", "userName": "a"}]}
    target.get("/Users", params={"cursor": ""}).mock(return_value=httpx.Response(200, json=first))
    target.get("/Users", params={"cursor": "c1"}).mock(return_value=scim_error(400, "expiredCursor", "too old"))
    with pytest.raises(InvalidRequest, match="expiredCursor"):
        list(connector.list_members(GROUP))


def test_active_sent_as_a_string_is_understood(connector, target):
    target.get(f"/Users/{ALICE.id}").mock(return_value=httpx.Response(200, json={"id": ALICE.id, "active": "False"}))
    assert connector.suspend(ALICE, action_id="s1").outcome is Outcome.ALREADY


def test_a_lookup_answered_with_someone_else_is_refused(connector, target):
    """A server that ignores the filter returns its first user: provisioning them would be wrong."""
    target.get("/Users").mock(return_value=httpx.Response(200, json={
        "totalResults": 1, "Resources": [{"id": "u-bob", "userName": "bob@example.com"}]}))
    with pytest.raises(InvalidRequest, match="does not apply SCIM filters"):
        connector.resolve(Subject("alice@example.com"))


def test_a_membership_filter_that_is_ignored_is_detected_and_members_are_read(connector, target):
    every_group = {"totalResults": 2, "Resources": [{"id": GROUP.ref}, {"id": "g-other"}]}
    target.get("/Groups").mock(return_value=httpx.Response(200, json=every_group))
    members = target.get(f"/Groups/{GROUP.ref}").mock(
        return_value=httpx.Response(200, json={"id": GROUP.ref, "members": [{"value": "u-bob"}]}))
    user_exists(target)
    patch = target.patch(f"/Groups/{GROUP.ref}").mock(return_value=httpx.Response(204))
    assert connector.grant(ALICE, GROUP, action_id="g1").outcome is Outcome.APPLIED
    assert patch.call_count == 1 and members.call_count == 1
