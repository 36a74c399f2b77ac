"""Tokens and scopes: who is calling, and whether manifest.yml grants what the method needs.

The scope table follows the method pages on docs.slack.dev (notes/slack-platform.md §9.2). Bot methods take the
`xoxb-` token and the scopes in `oauth_config.scopes.bot`; `apps.connections.open` takes the app-level `xapp-`
token, which carries `connections:write`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.fake_slack.outcomes import SlackError

METHOD_SCOPES: dict[str, str | None] = {
    "auth.test": None,
    "blocks.validate": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.delete": "chat:write",
    "views.open": None,
    "views.update": None,
    "views.push": None,
    "views.publish": None,
    "conversations.open": "im:write",
    "users.info": "users:read",
    "users.lookupByEmail": "users:read.email",
    "usergroups.list": "usergroups:read",
    "usergroups.users.list": "usergroups:read",
    "usergroups.users.update": "usergroups:write",
    "apps.connections.open": "connections:write",
}
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
APP_TOKEN_SCOPES = frozenset({"connections:write"})
# Scopes a method may need on top of its main one, depending on its arguments.
CONDITIONAL_SCOPES = frozenset({"chat:write.public", "mpim:write", "users:read.email"})


@dataclass(frozen=True)
class Caller:
    kind: str  # "bot" or "app"
    scopes: frozenset[str]

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise SlackError("missing_scope", needed=scope, provided=",".join(sorted(self.scopes)))


def bearer_token(authorization: str | None, body_token: str | None) -> str | None:
    """Slack takes the token from `Authorization: Bearer` or, for form posts, a `token` field."""
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return body_token


def authenticate(method: str, token: str | None, *, bot_token: str, app_token: str,
                 bot_scopes: frozenset[str]) -> Caller:
    if not token:
        raise SlackError("not_authed")
    if token == bot_token:
        caller = Caller("bot", bot_scopes)
    elif token == app_token:
        caller = Caller("app", APP_TOKEN_SCOPES)
    else:
        raise SlackError("invalid_auth")
    if (caller.kind == "app") != (method in APP_TOKEN_METHODS) and method in METHOD_SCOPES:
        raise SlackError("not_allowed_token_type")
    scope = METHOD_SCOPES.get(method)
    if scope:
        caller.require(scope)
    return caller
