"""The connector types a connectors file may name, and where each one's class lives.

Classes are imported lazily (``connector_class``) so an instance of one vendor never needs another
vendor's libraries installed. Nothing here imports another connectors module, so the configuration
parser, the schema checks and the registry all read it without importing each other.
"""

from __future__ import annotations

import importlib
from typing import Any

KINDS: dict[str, str] = {
    "memory": "connectors.memory:MemoryConnector",
    "scim": "connectors.scim:ScimConnector",
    "manual": "connectors.manual:ManualConnector",
    "webhook": "connectors.webhook:WebhookConnector",
    "okta": "connectors.okta:OktaConnector",
    "google": "connectors.google:GoogleConnector",
    "entra": "connectors.entra:EntraConnector",
    "github": "connectors.github:GitHubConnector",
    "aws_idc": "connectors.aws_idc:AwsIdentityCenterConnector",
    "slack_usergroups": "connectors.slack_usergroups:SlackUsergroupConnector",
}


def connector_class(kind: str) -> Any:
    """The class of a connector type (a ``connectors.base.Connector`` subclass).

    Raises ``KeyError`` for an unknown type and ``ImportError`` when its libraries are missing."""
    module_name, class_name = KINDS[kind].split(":")
    return getattr(importlib.import_module(module_name), class_name)
