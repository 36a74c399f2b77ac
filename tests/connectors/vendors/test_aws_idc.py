from __future__ import annotations

from dataclasses import dataclass

import pytest
from botocore.stub import Stubber

from connectors.aws_idc import AwsIdentityCenterConnector
from connectors.base import Outcome, PrincipalRef, Subject, Target
from connectors.errors import (
    AuthError,
    ConfigError,
    InvalidRequest,
    ManagedExternally,
    PrincipalNotFound,
    RateLimited,
    TargetNotFound,
    TransientError,
)
from tests.support.vendors.aws import (
    REGION,
    IdentityCenterSeed,
    MotoServer,
    ThrottlingEndpoint,
    add_identity_store_user,
    offline_client,
    seed_identity_center,
    status,
)

INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
STORE = "d-1234567890"
PS = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-abcdef0123456789"
ACCOUNT = "111122223333"
ALICE = PrincipalRef("9a67e5d4-1234-4f00-a000-000000000001", "alice@acme.test")
TARGET = Target(ACCOUNT, options={"permission_set_arn": PS}, entitlement="aws:readonly")
KEYS = {"access_key_id": "testing", "secret_access_key": "testing", "region": REGION}


# -- moto: the whole flow against a real (fake) AWS on 127.0.0.1 --------------------------------

@pytest.fixture(scope="module")
def moto_server():
    server = MotoServer()
    yield server
    server.stop()


@dataclass
class MotoWorld:
    connector: AwsIdentityCenterConnector
    server: MotoServer
    seed: IdentityCenterSeed
    alice: PrincipalRef = PrincipalRef("")

    @property
    def account(self) -> str:
        return self.seed.account

    @property
    def permission_set(self) -> str:
        return self.seed.permission_set_arn

    def assignments(self, account: str | None = None) -> list[dict]:
        return self.server.client("sso-admin").list_account_assignments(
            InstanceArn=self.seed.instance_arn, AccountId=account or self.account,
            PermissionSetArn=self.permission_set)["AccountAssignments"]

    def add_user(self, user_name: str) -> PrincipalRef:
        return PrincipalRef(add_identity_store_user(self.server, self.seed, user_name), user_name)


@pytest.fixture
def world(moto_server):
    connector = AwsIdentityCenterConnector("aws", {**KEYS, "endpoint_url": moto_server.url})
    world = MotoWorld(connector, moto_server, seed_identity_center(moto_server))
    world.alice = world.add_user("alice@acme.test")
    yield world
    connector.close()


def test_moto_grant_twice_applies_then_reports_already_without_a_duplicate(world):
    target = Target(f"{world.account}/{world.permission_set}")
    alice = world.connector.resolve(Subject(email="alice@acme.test"))

    first = world.connector.grant(alice, target, action_id="a1")
    second = world.connector.grant(alice, target, action_id="a2")

    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.ALREADY)  # moto succeeds at once
    assert first.target_ref.startswith("create:")
    assert [a["PrincipalId"] for a in world.assignments()] == [alice.id]  # moto would have stored a duplicate
    assert world.connector.is_granted(alice, target) is True


def test_moto_revoke_twice_applies_then_reports_already(world):
    target = Target(world.account, options={"permission_set_arn": world.permission_set})
    world.connector.grant(world.alice, target, action_id="a1")

    first = world.connector.revoke(world.alice, target, action_id="r1")
    second = world.connector.revoke(world.alice, target, action_id="r2")

    assert first.target_ref.startswith("delete:")
    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.ALREADY)
    assert world.assignments() == []
    assert world.connector.is_granted(world.alice, target) is False


def test_moto_revoke_on_a_permission_set_that_does_not_exist_is_target_not_found_not_already(world):
    # moto lists no assignments for an unknown permission set, as a "nothing to revoke" would read;
    # DescribePermissionSet tells the two apart (API_DescribePermissionSet: ResourceNotFoundException).
    gone = world.permission_set.rsplit("/", 1)[0] + "/ps-0000000000000000"
    with pytest.raises(TargetNotFound, match="does not exist"):
        world.connector.revoke(world.alice, Target(f"{world.account}/{gone}"), action_id="r1")
    with pytest.raises(TargetNotFound):
        world.connector.grant(world.alice, Target(f"{world.account}/{gone}"), action_id="a1")


def test_moto_two_permission_sets_in_one_account_are_revoked_separately(world):
    sso = world.server.client("sso-admin")
    admin_ps = sso.create_permission_set(Name="Admin", InstanceArn=world.seed.instance_arn)[
        "PermissionSet"]["PermissionSetArn"]
    readonly, admin = (Target(world.account, options={"permission_set_arn": arn}) for arn in
                       (world.permission_set, admin_ps))
    world.connector.grant(world.alice, readonly, action_id="a1")
    world.connector.grant(world.alice, admin, action_id="a2")
    kept = Target(world.account, options=readonly.options, retained=(admin.options,))

    assert world.connector.revoke(world.alice, kept, action_id="r1").outcome is Outcome.APPLIED
    assert world.connector.is_granted(world.alice, readonly) is False
    assert world.connector.is_granted(world.alice, admin) is True


def test_moto_account_outside_the_organisation_is_refused_before_assigning(world):
    with pytest.raises(TargetNotFound, match="not in the organisation"):
        world.connector.grant(world.alice, Target(f"999999999999/{world.permission_set}"), action_id="a1")
    assert world.assignments("999999999999") == []


def test_moto_list_members_pages_through_every_assignment(world, moto_server):
    connector = AwsIdentityCenterConnector("aws", {**KEYS, "endpoint_url": moto_server.url, "page_size": 2})
    target = Target(f"{world.account}/{world.permission_set}")
    people = [world.add_user(f"user{i}@acme.test") for i in range(5)]
    for person in people:
        connector.grant(person, target, action_id=person.id)

    assert sorted(m.id for m in connector.list_members(target)) == sorted(p.id for p in people)


def test_moto_resolve_and_check(world):
    assert world.connector.resolve(Subject(email="x@acme.test", handles={"aws_idc": "alice@acme.test"})) == world.alice
    with pytest.raises(PrincipalNotFound):
        world.connector.resolve(Subject(email="nobody@acme.test"))
    checks = world.connector.check()
    assert all(c.ok for c in checks)
    assert world.seed.instance_arn in checks[-1].detail


# -- Stubber: the asynchronous and conflicting cases moto cannot produce ---------------------------

@pytest.fixture
def stubbed():
    sso, store, orgs = offline_client("sso-admin"), offline_client("identitystore"), offline_client("organizations")
    with Stubber(sso) as sso_stub, Stubber(orgs) as orgs_stub:
        connector = AwsIdentityCenterConnector("aws", {**KEYS, "instance_arn": INSTANCE, "identity_store_id": STORE},
                                               sso_admin=sso, identitystore=store, organizations=orgs)
        yield connector, sso_stub, orgs_stub
        sso_stub.assert_no_pending_responses()
        orgs_stub.assert_no_pending_responses()


def expect_permission_set(stub: Stubber, *, exists: bool = True) -> None:
    """DescribePermissionSet (API_DescribePermissionSet): the permission set, or ResourceNotFoundException."""
    params = {"InstanceArn": INSTANCE, "PermissionSetArn": PS}
    if exists:
        stub.add_response("describe_permission_set", {"PermissionSet": {"PermissionSetArn": PS, "Name": "ReadOnly"}},
                          params)
    else:
        stub.add_client_error("describe_permission_set", service_error_code="ResourceNotFoundException",
                              service_message="PermissionSet not found", http_status_code=400,
                              expected_params=params)


def expect_listing(stub: Stubber, *user_ids: str, next_token: str | None = None, after: str | None = None) -> None:
    params = {"InstanceArn": INSTANCE, "AccountId": ACCOUNT, "PermissionSetArn": PS, "MaxResults": 100}
    if after:
        params["NextToken"] = after
    response = {"AccountAssignments": [{"AccountId": ACCOUNT, "PermissionSetArn": PS, "PrincipalType": "USER",
                                        "PrincipalId": uid} for uid in user_ids]}
    if next_token:
        response["NextToken"] = next_token
    stub.add_response("list_account_assignments", response, params)


def assignment_params() -> dict:
    return {"InstanceArn": INSTANCE, "TargetId": ACCOUNT, "TargetType": "AWS_ACCOUNT", "PermissionSetArn": PS,
            "PrincipalType": "USER", "PrincipalId": ALICE.id}


def test_assignment_in_progress_then_failed_raises_the_failure_reason(stubbed):
    connector, sso, orgs = stubbed
    orgs.add_response("describe_account", {"Account": {"Id": ACCOUNT}}, {"AccountId": ACCOUNT})
    expect_permission_set(sso)
    expect_listing(sso)
    sso.add_response("create_account_assignment", status("AccountAssignmentCreationStatus", "IN_PROGRESS"),
                     assignment_params())
    poll_params = {"InstanceArn": INSTANCE, "AccountAssignmentCreationRequestId": status("x", "x")["x"]["RequestId"]}
    sso.add_response("describe_account_assignment_creation_status",
                     status("AccountAssignmentCreationStatus", "IN_PROGRESS"), poll_params)
    sso.add_response("describe_account_assignment_creation_status",
                     status("AccountAssignmentCreationStatus", "FAILED",
                            FailureReason="Received a 409 status error: You have exceeded the role quota."),
                     poll_params)

    pending = connector.grant(ALICE, TARGET, action_id="a1")
    still = connector.poll(ALICE, TARGET, pending)
    with pytest.raises(InvalidRequest, match="role quota") as caught:
        connector.poll(ALICE, TARGET, still)

    assert pending.outcome is Outcome.PENDING and still.outcome is Outcome.PENDING
    assert pending.target_ref == "create:00000000-0000-0000-0000-000000000001"
    assert caught.value.retryable is False


def test_conflict_on_delete_is_transient_and_the_retry_goes_through(stubbed):
    connector, sso, _ = stubbed
    expect_permission_set(sso)
    expect_listing(sso, ALICE.id)
    sso.add_client_error("delete_account_assignment", service_error_code="ConflictException",
                         service_message="An operation is in progress", http_status_code=400,
                         expected_params=assignment_params())
    expect_listing(sso, ALICE.id)
    sso.add_response("delete_account_assignment", status("AccountAssignmentDeletionStatus", "IN_PROGRESS", 2),
                     assignment_params())
    sso.add_response("describe_account_assignment_deletion_status",
                     status("AccountAssignmentDeletionStatus", "SUCCEEDED", 2),
                     {"InstanceArn": INSTANCE, "AccountAssignmentDeletionRequestId": status("x", "x", 2)["x"]["RequestId"]})

    with pytest.raises(TransientError, match="ConflictException") as caught:
        connector.revoke(ALICE, TARGET, action_id="r1")
    assert caught.value.retryable is True
    pending = connector.revoke(ALICE, TARGET, action_id="r1")
    assert connector.poll(ALICE, TARGET, pending).outcome is Outcome.APPLIED


def test_conflict_on_create_is_a_concurrent_write_to_retry_not_already_granted(stubbed):
    # API_CreateAccountAssignment lists ConflictException (HTTP 400): "a conflict with a previous
    # successful write ... A retry (with appropriate backoff logic) is the recommended response".
    connector, sso, orgs = stubbed
    orgs.add_response("describe_account", {"Account": {"Id": ACCOUNT}}, {"AccountId": ACCOUNT})
    expect_permission_set(sso)
    expect_listing(sso)  # a concurrent write has not propagated to this listing yet
    sso.add_client_error("create_account_assignment", service_error_code="ConflictException",
                         service_message="A conflicting operation is in progress", http_status_code=400,
                         expected_params=assignment_params())
    expect_listing(sso, ALICE.id)  # the retry: the other write has landed

    with pytest.raises(TransientError, match="ConflictException") as caught:
        connector.grant(ALICE, TARGET, action_id="a1")
    assert caught.value.retryable is True
    assert connector.grant(ALICE, TARGET, action_id="a1").outcome is Outcome.ALREADY  # no second create


def expect_delete_not_found(sso: Stubber) -> None:
    """Alice is listed, and DeleteAccountAssignment answers ResourceNotFoundException."""
    expect_permission_set(sso)
    expect_listing(sso, ALICE.id)
    sso.add_client_error("delete_account_assignment", service_error_code="ResourceNotFoundException",
                         http_status_code=400, expected_params=assignment_params())


def test_resource_not_found_on_delete_for_a_vanished_permission_set_is_not_already(stubbed):
    # API_DeleteAccountAssignment's ResourceNotFoundException does not say which resource is missing.
    connector, sso, _ = stubbed
    expect_delete_not_found(sso)
    expect_permission_set(sso, exists=False)  # deleted meanwhile
    with pytest.raises(TargetNotFound, match="does not exist") as caught:
        connector.revoke(ALICE, TARGET, action_id="r1")
    assert caught.value.retryable is False


def test_resource_not_found_on_delete_of_an_assignment_that_is_gone_is_already(stubbed):
    connector, sso, _ = stubbed
    expect_delete_not_found(sso)
    expect_permission_set(sso)
    expect_listing(sso)  # someone removed it in between
    assert connector.revoke(ALICE, TARGET, action_id="r1").outcome is Outcome.ALREADY


def test_listing_follows_next_tokens(stubbed):
    connector, sso, _ = stubbed
    expect_permission_set(sso)
    expect_listing(sso, "u1", "u2", next_token="page2")
    expect_listing(sso, "u3", after="page2")
    assert [m.id for m in connector.list_members(TARGET)] == ["u1", "u2", "u3"]


def test_management_account_from_a_delegated_admin_is_managed_elsewhere(stubbed):
    connector, sso, orgs = stubbed
    orgs.add_response("describe_account", {"Account": {"Id": ACCOUNT}}, {"AccountId": ACCOUNT})
    expect_permission_set(sso)
    expect_listing(sso)
    sso.add_client_error("create_account_assignment", service_error_code="AccessDeniedException", http_status_code=403)
    orgs.add_response("describe_organization", {"Organization": {"Id": "o-abc", "MasterAccountId": ACCOUNT}})
    with pytest.raises(ManagedExternally, match="management account"):
        connector.grant(ALICE, TARGET, action_id="a1")


def test_bad_credentials_fail_the_check_as_auth():
    sso = offline_client("sso-admin")
    with Stubber(sso) as stub:
        stub.add_client_error("list_instances", service_error_code="UnrecognizedClientException",
                              service_message="The security token included in the request is invalid.",
                              http_status_code=400)
        connector = AwsIdentityCenterConnector("aws", KEYS, sso_admin=sso, identitystore=offline_client(
            "identitystore"), organizations=offline_client("organizations"))
        checks = {c.name: c for c in connector.check()}
    assert checks["credentials"].ok is False
    assert checks["credentials"].error_kind == "auth"


def test_bad_target_refs_are_refused_clearly(stubbed):
    connector, _, _ = stubbed
    for ref in ("12345", f"{ACCOUNT}/not-an-arn", ACCOUNT):
        with pytest.raises(InvalidRequest, match="ACCOUNT_ID"):
            connector.grant(ALICE, Target(ref), action_id="a1")


def test_options_are_validated():
    with pytest.raises(ConfigError, match="max_attempts"):
        AwsIdentityCenterConnector("aws", {**KEYS, "max_attempts": 0})


# -- botocore's adaptive retry is the only retry layer ----------------------------------------------

@pytest.mark.parametrize(("throttles", "outcome"), [(1, "ok"), (5, "rate_limited")])
def test_throttling_is_retried_by_botocore_alone(throttles, outcome):
    endpoint = ThrottlingEndpoint(throttles)
    connector = AwsIdentityCenterConnector("aws", {
        **KEYS, "endpoint_url": endpoint.url, "instance_arn": INSTANCE, "identity_store_id": STORE,
        "check_account_in_organization": False, "max_attempts": 2})
    try:
        if outcome == "ok":
            assert connector.is_granted(ALICE, TARGET) is False
        else:
            with pytest.raises(RateLimited):
                connector.is_granted(ALICE, TARGET)
    finally:
        connector.close()
        endpoint.stop()
    # Two attempts in all for the throttled call: no second retry layer.
    expected = ["DescribePermissionSet"] * 2 + (["ListAccountAssignments"] if outcome == "ok" else [])
    assert endpoint.operations == expected
    assert connector.sso.meta.config.retries["mode"] == "adaptive"


def test_denied_listing_is_an_auth_error(stubbed):
    connector, sso, _ = stubbed
    expect_permission_set(sso)
    sso.add_client_error("list_account_assignments", service_error_code="AccessDeniedException",
                         http_status_code=403)
    with pytest.raises(AuthError):
        connector.is_granted(ALICE, TARGET)
