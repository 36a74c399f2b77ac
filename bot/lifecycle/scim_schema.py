"""What our SCIM service announces: the User attributes we keep, and the service's capabilities.

We publish a subset of RFC 7643's User and Enterprise User schemas: an IdP (and a compliance
checker) then only sends attributes we store and return faithfully, instead of having phone
numbers, photos or passwords silently dropped.
"""

from __future__ import annotations

from functools import cache

from scim2_models import (
    AuthenticationScheme,
    EnterpriseUser,
    External,
    Reference,
    Required,
    ResourceType,
    Schema,
    SchemaExtension,
    ScimProvider,
    ServiceProviderConfig,
    User,
)

MAX_RESULTS = 200

# attribute -> kept sub-attributes (None: a simple attribute)
USER_ATTRIBUTES: dict[str, tuple[str, ...] | None] = {
    "userName": None,
    "name": ("formatted", "familyName", "givenName"),
    "displayName": None,
    "title": None,
    "userType": None,
    "active": None,
    "emails": ("value", "type", "primary", "display"),
    "addresses": ("formatted", "locality", "region", "country", "type", "primary"),
}
ENTERPRISE_ATTRIBUTES: dict[str, tuple[str, ...] | None] = {
    "employeeNumber": None,
    "department": None,
    "manager": ("value", "$ref"),
}

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

BEARER = AuthenticationScheme(
    type=AuthenticationScheme.Type.oauthbearertoken, name="OAuth Bearer Token",
    description="Authentication with the bearer token set in ACCESSBOT_SCIM_BEARER_TOKEN",
    spec_uri=Reference[External]("https://datatracker.ietf.org/doc/html/rfc6750"), primary=True,
)


def _subset(schema: Schema, keep: dict[str, tuple[str, ...] | None]) -> Schema:
    schema = schema.model_copy(deep=True)
    attributes = []
    for attribute in schema.attributes or []:
        if attribute.name not in keep:
            continue
        wanted = keep[attribute.name]
        if wanted is not None:
            attribute.sub_attributes = [a for a in attribute.sub_attributes or [] if a.name in wanted]
            for sub in attribute.sub_attributes:
                if sub.name == "$ref":
                    sub.required = Required.false  # Entra and Okta send a manager's value alone
        attributes.append(attribute)
    schema.attributes = attributes
    return schema


def schemas() -> list[Schema]:
    return [_subset(User.to_schema(), USER_ATTRIBUTES), _subset(EnterpriseUser.to_schema(), ENTERPRISE_ATTRIBUTES)]


def resource_types() -> list[ResourceType]:
    return [ResourceType(
        id="User", name="User", endpoint="/Users", description="People in accessbot's directory",
        schema_=USER_SCHEMA, schema_extensions=[SchemaExtension(schema_=ENTERPRISE_SCHEMA, required=False)],
    )]


def service_provider_config() -> ServiceProviderConfig:
    return ServiceProviderConfig.model_validate({
        "documentationUri": "https://github.com/accessbot/accessbot/blob/main/docs/lifecycle.md",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [BEARER.model_dump()],
    })


@cache
def provider() -> ScimProvider:
    """Built once: the dynamic models of our User are derived from the published schemas."""
    return ScimProvider.from_discovery(schemas(), resource_types(), config=service_provider_config())
