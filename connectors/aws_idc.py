"""AWS IAM Identity Center account assignments (boto3: sso-admin, identitystore, organizations).

Target: an AWS account and a permission set, as ref ``ACCOUNT_ID`` with
``target_options.permission_set_arn``, or as ref ``ACCOUNT_ID/PERMISSION_SET_ARN``.
Principal id: the Identity Store user id, found by ``userName`` (the e-mail unless
``handles["aws_idc"]`` names another userName; ``handles["aws_idc_user_id"]`` skips the lookup).

Quirks handled:

* Create/DeleteAccountAssignment are asynchronous: IN_PROGRESS → PENDING with
  ``target_ref = "create:<RequestId>"`` or ``"delete:<RequestId>"``; ``poll()`` reads
  Describe...CreationStatus/DeletionStatus → APPLIED, or raises InvalidRequest with the
  FailureReason when the request FAILED (e.g. a role quota hit after IN_PROGRESS).
* The assignments are read first, so a repeat is ALREADY without a request. ConflictException, on
  Create as on Delete, is what the API reference says it is: "a conflict with a previous successful
  write ... A retry (with appropriate backoff logic) is the recommended response" → TransientError;
  the retry reads the assignments again and so ends ALREADY if a concurrent write made it.
* The permission set is checked to exist (DescribePermissionSet, cached) before its assignments are
  trusted: ListAccountAssignments may answer an empty list for one that is gone, and a
  ResourceNotFoundException on Delete names no resource. A missing permission set is
  TargetNotFound, never "already revoked"; only an assignment that is really absent is ALREADY.
* Creating an assignment in an account outside the organisation fails silently, so the account
  is checked with organizations:DescribeAccount first (``check_account_in_organization``).
  A delegated administrator may not assign in the management account → ManagedExternally.
* Throttling is botocore's job (adaptive retry mode); no second retry layer is stacked on it.
  Throttling that outlasts it surfaces as RateLimited.
* Revocation does not end STS sessions already issued (up to the permission set's session length).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import boto3
import botocore.exceptions
import pydantic
from botocore.config import Config

from connectors.base import ActionResult, Capabilities, Check, Connector, Outcome, PrincipalRef, Subject, Target
from connectors.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    InvalidRequest,
    ManagedExternally,
    NotFound,
    PrincipalNotFound,
    RateLimited,
    TargetNotFound,
    TransientError,
)
from connectors.targets import AwsIdcTarget
from connectors.vendor_options import VendorOptions, parse_options, probe_checks
from connectors.vendor_results import settled

log = logging.getLogger(__name__)

AUTH_CODES = {"AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "InvalidClientTokenId",
              "ExpiredTokenException", "InvalidSignatureException", "SignatureDoesNotMatch"}
THROTTLE_CODES = {"ThrottlingException", "TooManyRequestsException", "Throttling"}
# arn:aws:sso:::permissionSet/ssoins-<instance>/ps-<id>; only the shape is checked, AWS judges the rest.
PERMISSION_SET_ARN = re.compile(r"^arn:aws[a-z-]*:sso:::\S+/ps-[0-9a-zA-Z]+$")


class AwsIdcOptions(VendorOptions):
    instance_arn: str | None = None  # discovered when the account has exactly one instance
    identity_store_id: str | None = None
    region: str | None = None
    endpoint_url: pydantic.HttpUrl | None = None  # for tests (moto) and VPC endpoints
    access_key_id: pydantic.SecretStr | None = None  # default: boto3's credential chain
    secret_access_key: pydantic.SecretStr | None = None
    session_token: pydantic.SecretStr | None = None
    check_account_in_organization: bool = True
    page_size: int = pydantic.Field(100, ge=1, le=100)
    max_attempts: int = pydantic.Field(10, ge=1, le=20)  # botocore adaptive retry, first attempt included
    timeout_seconds: float = pydantic.Field(15.0, gt=0)


@contextmanager
def aws_errors(what: str):
    """Map botocore failures to connector errors; callers catch the codes that mean something else first."""
    try:
        yield
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", ""), error.get("Message", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        detail = f"{what}: {code} {message}".strip()
        kind: type[ConnectorError]
        if code in AUTH_CODES:
            kind = AuthError
        elif code in THROTTLE_CODES:
            raise RateLimited(detail, retry_after=None, http_status=status, provider_code=code) from None
        elif code == "ResourceNotFoundException":
            kind = NotFound
        elif code == "ConflictException" or (status or 500) >= 500:
            kind = TransientError
        else:
            kind = InvalidRequest
        raise kind(detail, http_status=status, provider_code=code) from None
    except (botocore.exceptions.NoCredentialsError, botocore.exceptions.PartialCredentialsError,
            botocore.exceptions.CredentialRetrievalError) as exc:
        raise AuthError(f"{what}: no usable AWS credentials ({type(exc).__name__})") from None
    except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as exc:
        raise TransientError(f"{what}: {type(exc).__name__}") from None


def error_code(exc: botocore.exceptions.ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


class AwsIdentityCenterConnector(Connector):
    kind = "aws_idc"
    options_model = AwsIdcOptions
    target_model = AwsIdcTarget
    # Several permission sets in one account are separate access: a revoke removes only its own.
    capabilities = Capabilities(list_members=True, async_grants=True, revokes_by_options=True)

    def __init__(self, name: str, options: Mapping[str, Any], *, sso_admin: Any = None, identitystore: Any = None,
                 organizations: Any = None):
        super().__init__(name, options)
        self.config = parse_options(AwsIdcOptions, self.kind, name, options)
        self.sso = sso_admin or self._client("sso-admin")
        self.identitystore = identitystore or self._client("identitystore")
        self.organizations = organizations or self._client("organizations")
        self._lock = threading.Lock()
        self._instance: tuple[str, str] | None = None
        if self.config.instance_arn and self.config.identity_store_id:
            self._instance = (self.config.instance_arn, self.config.identity_store_id)
        self._accounts_in_org: set[str] = set()
        self._permission_sets: set[str] = set()  # known to exist
        self._management_account: str | None = None

    def _client(self, service: str) -> Any:
        secret = (lambda value: value.get_secret_value() if value else None)
        session = boto3.session.Session(
            aws_access_key_id=secret(self.config.access_key_id),
            aws_secret_access_key=secret(self.config.secret_access_key),
            aws_session_token=secret(self.config.session_token), region_name=self.config.region)
        config = Config(retries={"mode": "adaptive", "total_max_attempts": self.config.max_attempts},
                        connect_timeout=self.config.timeout_seconds, read_timeout=self.config.timeout_seconds)
        endpoint = str(self.config.endpoint_url) if self.config.endpoint_url else None
        return session.client(service, endpoint_url=endpoint, config=config)

    def close(self) -> None:
        for client in (self.sso, self.identitystore, self.organizations):
            getattr(client, "close", lambda: None)()

    # -- instance and configuration ------------------------------------------------------------
    def instance(self) -> tuple[str, str]:
        """(instance ARN, identity store id), discovered once when not configured."""
        with self._lock:
            if self._instance is None:
                with aws_errors("sso-admin:ListInstances"):
                    instances = self.sso.list_instances()["Instances"]
                if self.config.instance_arn:
                    instances = [i for i in instances if i["InstanceArn"] == self.config.instance_arn]
                if len(instances) != 1:
                    raise ConfigError(f"aws_idc {self.name!r}: found {len(instances)} matching Identity Center "
                                      "instances; set instance_arn and identity_store_id")
                self._instance = (instances[0]["InstanceArn"], instances[0]["IdentityStoreId"])
            return self._instance

    def check(self) -> list[Check]:
        def probe() -> str:
            instance_arn, store = self.instance()
            with aws_errors("identitystore:ListUsers"):
                self.identitystore.list_users(IdentityStoreId=store, MaxResults=1)
            if self.config.check_account_in_organization:
                with aws_errors("organizations:DescribeOrganization"):
                    self.organizations.describe_organization()
            return f"instance {instance_arn}, identity store {store}"
        return probe_checks(probe)

    @staticmethod
    def _assignment(target: Target) -> tuple[str, str]:
        account, _, permission_set = target.ref.partition("/")
        permission_set = permission_set or str(target.options.get("permission_set_arn", ""))
        if not re.fullmatch(r"\d{12}", account) or not PERMISSION_SET_ARN.match(permission_set):
            raise InvalidRequest(f"AWS target must be 'ACCOUNT_ID' with target_options.permission_set_arn, or "
                                 f"'ACCOUNT_ID/PERMISSION_SET_ARN' (12-digit account, sso permission set ARN); "
                                 f"got {target.ref!r}")
        return account, permission_set

    def _ensure_account_in_org(self, account: str) -> None:
        if not self.config.check_account_in_organization or account in self._accounts_in_org:
            return
        try:
            with aws_errors(f"organizations:DescribeAccount {account}"):
                try:
                    self.organizations.describe_account(AccountId=account)
                except botocore.exceptions.ClientError as exc:
                    if error_code(exc) in ("AccountNotFoundException", "AWSOrganizationsNotInUseException"):
                        raise TargetNotFound(f"AWS account {account} is not in the organisation") from None
                    raise
        except AuthError as exc:
            raise AuthError(f"{exc.detail} (grant organizations:DescribeAccount or set "
                            "check_account_in_organization: false)", provider_code=exc.provider_code) from None
        with self._lock:
            self._accounts_in_org.add(account)

    def _refuse_management_account(self, account: str, denied: ConnectorError) -> ConnectorError:
        """A delegated admin is denied assignments in the management account: say so plainly."""
        if not self.config.check_account_in_organization:
            return denied
        if self._management_account is None:
            try:
                with aws_errors("organizations:DescribeOrganization"):
                    self._management_account = self.organizations.describe_organization()[
                        "Organization"].get("MasterAccountId", "")
            except ConnectorError:
                return denied
        if account == self._management_account:
            return ManagedExternally(f"AWS account {account} is the management account: only the management "
                                     "account itself, not a delegated administrator, can assign access there",
                                     provider_code="AccessDeniedException")
        return denied

    # -- accounts ------------------------------------------------------------------------------
    def resolve(self, subject: Subject) -> PrincipalRef:
        if subject.handles.get("aws_idc_user_id"):
            return PrincipalRef(id=subject.handles["aws_idc_user_id"], display=subject.email)
        user_name = subject.handles.get("aws_idc") or subject.email.strip()
        _, store = self.instance()
        try:
            with aws_errors("identitystore:GetUserId"):
                user_id = self.identitystore.get_user_id(IdentityStoreId=store, AlternateIdentifier={
                    "UniqueAttribute": {"AttributePath": "userName", "AttributeValue": user_name}})["UserId"]
        except NotFound:
            raise PrincipalNotFound(f"no Identity Center user with userName {user_name} in {self.name}") from None
        return PrincipalRef(id=user_id, display=user_name)

    # -- assignments ---------------------------------------------------------------------------
    def _ensure_permission_set(self, permission_set: str, *, fresh: bool = False) -> None:
        if not fresh and permission_set in self._permission_sets:
            return
        instance_arn, _ = self.instance()
        try:
            with aws_errors("sso-admin:DescribePermissionSet"):
                self.sso.describe_permission_set(InstanceArn=instance_arn, PermissionSetArn=permission_set)
        except NotFound:
            with self._lock:
                self._permission_sets.discard(permission_set)
            raise TargetNotFound(f"permission set {permission_set} does not exist in {instance_arn}",
                                 provider_code="ResourceNotFoundException") from None
        with self._lock:
            self._permission_sets.add(permission_set)

    def _assigned_users(self, account: str, permission_set: str) -> list[str]:
        self._ensure_permission_set(permission_set)
        instance_arn, _ = self.instance()
        users: list[str] = []
        try:
            with aws_errors("sso-admin:ListAccountAssignments"):
                for page in self.sso.get_paginator("list_account_assignments").paginate(
                        InstanceArn=instance_arn, AccountId=account, PermissionSetArn=permission_set,
                        PaginationConfig={"PageSize": self.config.page_size}):
                    users.extend(a["PrincipalId"] for a in page.get("AccountAssignments", [])
                                 if a.get("PrincipalType") == "USER")
        except NotFound as exc:
            raise TargetNotFound(f"permission set {permission_set} not found: {exc.detail}") from None
        return users

    def _request(self, operation: str, principal: PrincipalRef, account: str, permission_set: str) -> dict[str, Any]:
        instance_arn, _ = self.instance()
        call = getattr(self.sso, f"{operation}_account_assignment")
        response = call(InstanceArn=instance_arn, TargetId=account, TargetType="AWS_ACCOUNT",
                        PermissionSetArn=permission_set, PrincipalType="USER", PrincipalId=principal.id)
        key = "AccountAssignmentCreationStatus" if operation == "create" else "AccountAssignmentDeletionStatus"
        return response[key]

    def _result(self, operation: str, status: dict[str, Any]) -> ActionResult:
        ref = f"{operation}:{status.get('RequestId', '')}"
        state = status.get("Status")
        if state == "SUCCEEDED":
            return ActionResult(Outcome.APPLIED, target_ref=ref)
        if state == "FAILED":
            raise InvalidRequest(f"AWS {operation} of the account assignment failed: "
                                 f"{status.get('FailureReason', 'no reason given')}", provider_code="FAILED")
        return ActionResult(Outcome.PENDING, target_ref=ref, detail=f"{operation} {state or 'submitted'}")

    def _planned(self, operation: str, principal: PrincipalRef, account: str, permission_set: str) -> ActionResult:
        api = "CreateAccountAssignment" if operation == "create" else "DeleteAccountAssignment"
        return ActionResult(Outcome.PLANNED, planned_calls=(
            f"sso-admin:{api} account={account} permission_set={permission_set} user={principal.id}",))

    def _submit(self, operation: str, principal: PrincipalRef, account: str, permission_set: str,
                action_id: str) -> ActionResult:
        try:
            with aws_errors(f"sso-admin:{operation.title()}AccountAssignment"):
                try:
                    status = self._request(operation, principal, account, permission_set)
                except botocore.exceptions.ClientError as exc:
                    if error_code(exc) == "ResourceNotFoundException" and operation == "delete":
                        return self._absent_on_delete(principal, account, permission_set)
                    if error_code(exc) == "ConflictException":
                        raise TransientError("AWS reports a conflict with a previous write that has not "
                                             "propagated yet (ConflictException); retrying",
                                             http_status=exc.response.get("ResponseMetadata", {}).get(
                                                 "HTTPStatusCode"), provider_code="ConflictException") from None
                    raise
        except AuthError as denied:
            raise self._refuse_management_account(account, denied) from None
        log.info("aws_idc %s: %s assignment %s/%s for %s (action %s): %s", self.name, operation, account,
                 permission_set, principal.id, action_id, status.get("Status"))
        return self._result(operation, status)

    def _absent_on_delete(self, principal: PrincipalRef, account: str, permission_set: str) -> ActionResult:
        """DeleteAccountAssignment said ResourceNotFoundException: find out which resource."""
        self._ensure_permission_set(permission_set, fresh=True)  # raises TargetNotFound if it is gone
        if principal.id in self._assigned_users(account, permission_set):
            raise TransientError(f"AWS answered ResourceNotFoundException deleting an assignment it still lists "
                                 f"({account}/{permission_set}); retrying", provider_code="ResourceNotFoundException")
        return ActionResult(Outcome.ALREADY, detail="assignment already gone")

    def grant(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        account, permission_set = self._assignment(target)
        self._ensure_account_in_org(account)
        if principal.id in self._assigned_users(account, permission_set):
            return settled("assignment exists", dry_run=dry_run)
        if dry_run:
            return self._planned("create", principal, account, permission_set)
        return self._submit("create", principal, account, permission_set, action_id)

    def revoke(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        account, permission_set = self._assignment(target)
        if principal.id not in self._assigned_users(account, permission_set):
            return settled("no such assignment", dry_run=dry_run)
        if dry_run:
            return self._planned("delete", principal, account, permission_set)
        return self._submit("delete", principal, account, permission_set, action_id)

    def poll(self, principal: PrincipalRef, target: Target, pending: ActionResult) -> ActionResult:
        operation, _, request_id = (pending.target_ref or "").partition(":")
        if operation not in ("create", "delete") or not request_id:
            raise InvalidRequest(f"not an AWS Identity Center request reference: {pending.target_ref!r}")
        instance_arn, _ = self.instance()
        with aws_errors(f"sso-admin:DescribeAccountAssignment{operation.title()}Status"):
            if operation == "create":
                status = self.sso.describe_account_assignment_creation_status(
                    InstanceArn=instance_arn, AccountAssignmentCreationRequestId=request_id,
                )["AccountAssignmentCreationStatus"]
            else:
                status = self.sso.describe_account_assignment_deletion_status(
                    InstanceArn=instance_arn, AccountAssignmentDeletionRequestId=request_id,
                )["AccountAssignmentDeletionStatus"]
        return self._result(operation, {"RequestId": request_id, **status})

    def is_granted(self, principal: PrincipalRef, target: Target) -> bool:
        return principal.id in self._assigned_users(*self._assignment(target))

    def list_members(self, target: Target) -> Iterator[PrincipalRef]:
        """Users assigned directly; group assignments are not people accessbot grants to, so left out."""
        return iter([PrincipalRef(id=user_id, display=f"identity store user {user_id}")
                     for user_id in self._assigned_users(*self._assignment(target))])

    def describe(self, target: Target) -> str:
        account, _, rest = target.ref.partition("/")
        permission_set = rest or str(target.options.get("permission_set_arn", ""))
        return f"{self.name}: AWS account {account} / {permission_set.rsplit('/', 1)[-1]}"
