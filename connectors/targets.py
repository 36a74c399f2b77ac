"""What an entitlement's ``target:`` and ``target_options:`` must look like, per connector type.

Each connector class declares ``target_model``: a pydantic model of ``{"target": <the catalog's
target>, **<its target_options>}``. ``accessbot policy check`` and the catalog load validate every
entitlement against the type of the instance it names, so a GitHub entitlement that says
``target: acme`` (GitHub wants ``org`` or ``team:<slug>``) fails at load with file:line, not at the
first grant.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator

ACCOUNT = "account"  # the special ref of the account itself (see connectors.base.Target)


class TargetSpec(BaseModel):
    """Base of every target model. Unknown target options are refused: a typo must not pass."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str


class FreeTarget(TargetSpec):
    """Any non-empty target with any options: the connector passes both on as they are."""

    model_config = ConfigDict(extra="allow", frozen=True)


def target_problems(model: type[TargetSpec], target: str, options: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    """``(option or None for the target itself, reason)`` for each way the target is wrong; [] when it fits."""
    if not str(target).strip():
        return [(None, "the target is empty")]
    try:
        model.model_validate({**dict(options), "target": str(target)})
    except ValidationError as exc:
        return [_problem(model, error) for error in exc.errors(include_url=False)]
    return []


def _problem(model: type[TargetSpec], error: Mapping[str, Any]) -> tuple[str | None, str]:
    loc = [str(part) for part in error.get("loc", ())]
    field = loc[0] if loc else None
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        known = sorted(set(model.model_fields) - {"target"})
        close = difflib.get_close_matches(str(field), known, n=1, cutoff=0.5)
        message = ("unknown target option" + (f" (did you mean {close[0]!r}?)" if close else "")
                   + (f"; this connector type takes: {', '.join(known)}" if known else
                      "; this connector type takes no target options"))
    elif error["type"] == "missing":
        message = "missing required target option"
    return (None if field in (None, "target") else field), message


# -- the vendors' targets ------------------------------------------------------------------------
# Each says what the vendor's API takes as the thing an entitlement grants, in the vendor's words.
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
OKTA_GROUP_ID = re.compile(r"^00g[A-Za-z0-9]{17}$")
GOOGLE_GROUP_KEY = re.compile(r"^([^@\s]+@[^@\s]+\.[^@\s]+|[0-9a-z]{10,})$")  # an e-mail address, or the id
GITHUB_TARGET = re.compile(r"^(org|team:[A-Za-z0-9][A-Za-z0-9._-]*)$")
AWS_ACCOUNT = re.compile(r"^\d{12}$")
# CreateAccountAssignment's PermissionSetArn pattern, from the AWS SSO Admin API reference.
AWS_PERMISSION_SET_ARN = re.compile(
    r"^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}$")
# A user group's @handle: lowercase letters, digits, dots, dashes and underscores (Slack's own rule for
# handles, which it lowercases); resolved to the id by the connector.
SLACK_USERGROUP = re.compile(r"^(S[A-Z0-9]{2,}|@[a-z0-9._-]{1,80})$")


def _matching(pattern: re.Pattern[str], should_be: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"must be {should_be}")
        return value
    return AfterValidator(check)


class OktaTarget(TargetSpec):
    """An Okta group id (``00g…``, 20 characters: the last part of the group's Admin Console URL)."""

    target: Annotated[str, _matching(OKTA_GROUP_ID, "an Okta group id: 00g followed by 17 letters and digits, as "
                                                    "in the group's Admin Console URL (/admin/group/00g…)")]


class EntraTarget(TargetSpec):
    """A Microsoft Entra group object id (a GUID)."""

    target: Annotated[str, _matching(GUID, "the Entra group's Object ID, a GUID such as "
                                           "0b5c3c1a-2d4e-4f60-8a7b-9c0d1e2f3a4b (Entra admin center → Groups → "
                                           "the group → Overview)")]


class GoogleTarget(TargetSpec):
    """A Google group key (its e-mail address, or its id) and the role to hold in it."""

    target: Annotated[str, _matching(GOOGLE_GROUP_KEY, "a Google group's e-mail address (eng@acme.example) or its id")]
    role: Annotated[Literal["MEMBER", "MANAGER", "OWNER"] | None,
                    BeforeValidator(lambda value: value.upper() if isinstance(value, str) else value)] = None


class GitHubTarget(TargetSpec):
    """``org`` (membership of the instance's organisation) or ``team:<slug>``, and the role."""

    target: Annotated[str, _matching(GITHUB_TARGET, "'org' (membership of the organisation set by the connector's "
                                                    "org option) or 'team:<team slug>'")]
    role: Literal["member", "admin", "maintainer"] | None = None

    @model_validator(mode="after")
    def _role_fits(self) -> GitHubTarget:
        if self.target == "org" and self.role == "maintainer":
            raise ValueError("role 'maintainer' is a team role; an organisation role is member or admin")
        if self.target != "org" and self.role == "admin":
            raise ValueError("role 'admin' is an organisation role; a team role is member or maintainer")
        return self


class AwsIdcTarget(TargetSpec):
    """An AWS account id with the permission set to assign in it: ``target: "111111111111"`` with
    ``target_options: {permission_set_arn: arn:aws:sso:::permissionSet/ssoins-…/ps-…}``, or both in
    the target as ``ACCOUNT_ID/PERMISSION_SET_ARN``."""

    permission_set_arn: str | None = None

    @model_validator(mode="after")
    def _account_and_permission_set(self) -> AwsIdcTarget:
        account, _, in_ref = self.target.partition("/")
        if not AWS_ACCOUNT.match(account):
            raise ValueError("must start with the 12-digit AWS account id (quote it: \"111111111111\")")
        if in_ref and self.permission_set_arn:
            raise ValueError("give the permission set once: in the target or in target_options.permission_set_arn")
        arn = in_ref or self.permission_set_arn
        if not arn:
            raise ValueError("needs target_options.permission_set_arn (IAM Identity Center → Permission sets → "
                             "the set → ARN)")
        if not AWS_PERMISSION_SET_ARN.match(arn):
            raise ValueError("permission_set_arn must be a permission set ARN such as "
                             "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef")
        return self


class SlackUsergroupTarget(TargetSpec):
    """A Slack user group id (``S…``; usergroups.list, or the group's profile → Copy group ID), or its
    ``@handle`` (the connector resolves it; a renamed handle stops resolving, an id never does)."""

    target: Annotated[str, _matching(SLACK_USERGROUP, "a Slack user group id such as S0123ABCDEF, or its "
                                                      "@handle such as @oncall")]
