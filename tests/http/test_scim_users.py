"""What an IdP's SCIM pushes do to people and their access."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.enums import PersonStatus
from bot.ledger import due
from bot.lifecycle.timers import LifecycleKind
from bot.offboarding import engine
from bot.store.models import LifecycleEvent
from tests.http.conftest import SCIM_TOKEN
from tests.lifecycle.helpers import drain, live, offboardings, person, wait_for_offboarding
from tests.support.deps import due_rows

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
AUTH = {"Authorization": f"Bearer {SCIM_TOKEN}"}


def _create(client, user_name, email=None, **extra):
    body = {"schemas": [USER, ENTERPRISE], "userName": user_name, "active": True,
            "emails": [{"value": email or user_name, "type": "work", "primary": True}], **extra}
    response = client.post("/scim/v2/Users", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def _patch(client, user_id, *operations, headers=None):
    body = {"schemas": [PATCH], "Operations": list(operations)}
    return client.patch(f"/scim/v2/Users/{user_id}", json=body, headers={**AUTH, **(headers or {})})


def test_every_request_but_the_configuration_needs_the_bearer_token(client, world):
    refused = client.get("/scim/v2/Users", headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401 and refused.headers["content-type"].startswith("application/scim+json")
    assert refused.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert SCIM_TOKEN not in refused.text
    assert client.post("/scim/v2/Users", json={"userName": "x@acme.test"}).status_code == 401
    assert client.get("/scim/v2/ServiceProviderConfig").status_code == 200
    assert client.get("/scim/v2/Schemas").status_code == 401


def test_creating_a_user_is_a_joiner_with_birthright_access(client, deps, world):
    created = _create(client, "Nina@Acme.test", email="nina@acme.test", displayName="Nina Rossi",
                      title="Engineer", **{ENTERPRISE: {"employeeNumber": "E42", "department": "Engineering",
                                                        "manager": {"value": str(person(deps, "dana@acme.test").id)}}})
    drain(deps)
    nina = person(deps, "nina@acme.test")
    assert (nina.name, nina.title, nina.department, nina.employee_id) == ("Nina Rossi", "Engineer", "Engineering", "E42")
    assert nina.manager_id == person(deps, "dana@acme.test").id and created["id"] == str(nina.id)
    assert live(deps, "nina@acme.test") == {"wiki:editor": "active", "github:member": "active"}
    assert created["userName"] == "Nina@Acme.test" and created["meta"]["version"].startswith('W/"')
    assert created[ENTERPRISE]["manager"] == {"value": str(nina.manager_id)}  # as sent: value alone


def test_filtering_by_user_name_ignores_case_and_lists_page_by_page(client, deps, world):
    _create(client, "nina@acme.test")
    found = client.get("/scim/v2/Users", params={"filter": 'userName eq "NINA@acme.test"'}, headers=AUTH).json()
    assert found["totalResults"] == 1 and found["Resources"][0]["userName"] == "nina@acme.test"
    # People who came from HR or the people file are Users too, named by their email.
    alice = client.get("/scim/v2/Users", params={"filter": 'userName eq "alice@acme.test"'}, headers=AUTH).json()
    assert alice["Resources"][0]["emails"] == [{"value": "alice@acme.test", "type": "work", "primary": True}]
    page = client.get("/scim/v2/Users", params={"startIndex": 3, "count": 4}, headers=AUTH).json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (10, 3, 4)
    assert [r["id"] for r in page["Resources"]] == ["3", "4", "5", "6"]
    engineers = client.get("/scim/v2/Users", params={"filter": 'title co "engineer" and active eq true'},
                           headers=AUTH).json()  # not a userName lookup: evaluated over the directory
    assert sorted(r["userName"] for r in engineers["Resources"]) == ["alice@acme.test", "dana@acme.test",
                                                                     "erin@acme.test"]
    searched = client.post("/scim/v2/.search", headers=AUTH, json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": 'userName eq "nina@acme.test"'})
    assert searched.json()["totalResults"] == 1
    bad = client.get("/scim/v2/Users", params={"filter": 'userName eq'}, headers=AUTH)
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"


def test_deactivating_a_user_offboards_them_and_reactivating_is_a_rehire(client, deps, world):
    user = _create(client, "nina@acme.test", **{ENTERPRISE: {"department": "Engineering"}})
    drain(deps)
    assert _patch(client, user["id"], {"op": "replace", "path": "active", "value": False}).status_code in (200, 204)
    record = wait_for_offboarding(deps, "nina@acme.test")
    assert record.status == "done" and live(deps, "nina@acme.test") == {}
    assert not world.holds("nina@acme.test", "gh-members") and "nina@acme.test" in world.mem.suspended
    assert client.get(f"/scim/v2/Users/{user['id']}", headers=AUTH).json()["active"] is False

    _patch(client, user["id"], {"op": "replace", "path": "active", "value": True})
    drain(deps)
    assert person(deps, "nina@acme.test").status == PersonStatus.ACTIVE
    assert "nina@acme.test" not in world.mem.suspended  # the account accessbot suspended is back
    assert engine.current_report(deps, "nina@acme.test").rehire.items[0].state == "ok"
    assert live(deps, "nina@acme.test") == {"wiki:editor": "active", "github:member": "active"}
    with deps.store.uow() as s:
        kinds = [e.type for e in s.scalars(select(LifecycleEvent).order_by(LifecycleEvent.id))]
    assert kinds == ["joiner", "leaver", "joiner"]


def test_a_department_change_is_a_mover_with_a_grace_period(client, deps, world):
    user = _create(client, "nina@acme.test", **{ENTERPRISE: {"department": "Engineering"}})
    drain(deps)
    replaced = dict(user, **{ENTERPRISE: {"department": "Sales"}})
    replaced.pop("meta")
    response = client.put(f"/scim/v2/Users/{user['id']}", json=replaced, headers=AUTH)
    assert response.status_code == 200 and response.json()[ENTERPRISE]["department"] == "Sales"
    drain(deps)
    assert live(deps, "nina@acme.test")["salesforce:user"] == "active"
    assert live(deps, "nina@acme.test")["github:member"] == "active"  # until the grace period ends
    [pending] = due_rows(deps.store, LifecycleKind.POLICY_REVOKE)
    assert pending.payload["reason"].startswith("no birthright rule gives GitHub member")


def test_deleting_a_user_offboards_them_and_the_user_is_gone_but_the_history_stays(client, deps, world):
    user = _create(client, "nina@acme.test", **{ENTERPRISE: {"department": "Engineering"}})
    drain(deps)
    assert client.delete(f"/scim/v2/Users/{user['id']}", headers=AUTH).status_code == 204
    wait_for_offboarding(deps, "nina@acme.test")
    assert client.get(f"/scim/v2/Users/{user['id']}", headers=AUTH).status_code == 404
    listed = client.get("/scim/v2/Users", params={"filter": 'userName eq "nina@acme.test"'}, headers=AUTH).json()
    assert listed["totalResults"] == 0
    assert person(deps, "nina@acme.test").status == PersonStatus.LEAVER
    assert [r.status for r in offboardings(deps, "nina@acme.test")] == ["done"]
    # The IdP may create the account again later: that is a re-hire of the same person.
    again = _create(client, "nina@acme.test")
    assert again["id"] == user["id"] and person(deps, "nina@acme.test").status == PersonStatus.ACTIVE
    drain(deps)
    assert "nina@acme.test" not in world.mem.suspended


def test_reactivating_a_user_someone_else_had_suspended_leaves_the_account_alone(client, deps, world):
    user = _create(client, "nina@acme.test", **{ENTERPRISE: {"department": "Engineering"}})
    drain(deps)
    world.mem.suspended.add("nina@acme.test")  # disabled by hand in the target before the IdP's push
    _patch(client, user["id"], {"op": "replace", "path": "active", "value": False})
    wait_for_offboarding(deps, "nina@acme.test")

    _patch(client, user["id"], {"op": "replace", "path": "active", "value": True})
    drain(deps)
    assert person(deps, "nina@acme.test").status == PersonStatus.ACTIVE
    assert "nina@acme.test" in world.mem.suspended
    [left] = engine.current_report(deps, "nina@acme.test").rehire.left_suspended
    assert left["system"] == "mem" and "already suspended" in left["reason"]


def test_a_taken_user_name_or_email_is_a_uniqueness_error_and_changes_nothing(client, deps, world):
    _create(client, "nina@acme.test")
    again = client.post("/scim/v2/Users", json={"schemas": [USER], "userName": "NINA@acme.test"}, headers=AUTH)
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"
    email_taken = client.post("/scim/v2/Users", headers=AUTH, json={
        "schemas": [USER], "userName": "someone", "emails": [{"value": "alice@acme.test", "primary": True}]})
    assert email_taken.status_code == 409
    assert person(deps, "alice@acme.test").status == PersonStatus.ACTIVE


def test_a_stale_etag_is_refused(client, deps, world):
    user = _create(client, "nina@acme.test")
    stale = user["meta"]["version"]
    assert _patch(client, user["id"], {"op": "replace", "path": "title", "value": "Lead"},
                  headers={"If-Match": stale}).status_code in (200, 204)
    refused = _patch(client, user["id"], {"op": "replace", "path": "title", "value": "Chief"},
                     headers={"If-Match": stale})
    assert refused.status_code == 412 and person(deps, "nina@acme.test").title == "Lead"


def test_an_unknown_manager_is_an_invalid_value(client, deps, world):
    response = client.post("/scim/v2/Users", headers=AUTH, json={
        "schemas": [USER, ENTERPRISE], "userName": "nina@acme.test", ENTERPRISE: {"manager": {"value": "999"}}})
    assert response.status_code == 400 and response.json()["scimType"] == "invalidValue"
    with deps.store.uow() as s:
        assert s.scalar(select(LifecycleEvent)) is None
