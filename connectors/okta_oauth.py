"""Scoped OAuth 2.0 access tokens for an Okta service app (client credentials + private_key_jwt).

Okta recommends this over SSWS API tokens: the token carries only the granted ``okta.*`` scopes and
lives an hour (developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/).

The flow, as documented there:

* The app signs a client assertion (RS256, ``kid`` of the registered public key) with claims
  ``iss`` = ``sub`` = client id, ``aud`` = the org's token URL ``{org}/oauth2/v1/token``, ``iat``,
  ``exp`` (at most an hour later) and a unique ``jti`` (Okta refuses a reused one).
* ``POST {org}/oauth2/v1/token`` (form-encoded) with ``grant_type=client_credentials``, ``scope``,
  ``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`` and
  ``client_assertion``; the answer is ``{"token_type": "Bearer", "expires_in", "access_token", "scope"}``.
* Refusals are OAuth errors (``invalid_client``, ``invalid_scope``...) with HTTP 400 or 401.

Only the org authorization server mints tokens with Okta API scopes, hence ``/oauth2/v1/token``
and not a custom server's ``/oauth2/{id}/v1/token``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

import jwt

from connectors.errors import AuthError, ConfigError
from connectors.http import ApiClient, raise_for_status
from connectors.vendor_http import json_body

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 300  # seconds; Okta accepts up to an hour, a short one limits a leaked assertion
REFRESH_MARGIN = 60  # seconds before expiry at which a token is renewed


class OktaServiceAppTokens:
    """Access tokens for one service app, requested when missing or about to expire (thread-safe)."""

    def __init__(self, org_url: str, client_id: str, private_key_pem: str, scopes: tuple[str, ...], *,
                 key_id: str | None = None, api: ApiClient, clock: Callable[[], float] = time.time):
        self.token_url = org_url.rstrip("/") + "/oauth2/v1/token"
        self.client_id = client_id
        self.scopes = scopes
        self._key_id = key_id
        self._api = api
        self._clock = clock
        self._lock = threading.Lock()
        self._token: tuple[str, float] | None = None  # (access token, expiry as epoch seconds)
        try:
            self._key = jwt.algorithms.RSAAlgorithm(jwt.algorithms.RSAAlgorithm.SHA256).prepare_key(private_key_pem)
        except (ValueError, TypeError, jwt.InvalidKeyError) as exc:
            raise ConfigError(f"okta private_key is not a usable RSA private key in PEM form "
                              f"({type(exc).__name__})") from None

    def assertion(self) -> str:
        now = int(self._clock())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": self.token_url,
                  "iat": now, "exp": now + ASSERTION_LIFETIME, "jti": uuid.uuid4().hex}
        headers = {"kid": self._key_id} if self._key_id else None
        return jwt.encode(claims, self._key, algorithm="RS256", headers=headers)

    def __call__(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._token[1] - REFRESH_MARGIN:
                self._token = self._request()
            return self._token[0]

    def _request(self) -> tuple[str, float]:
        response = self._api.request("POST", self.token_url, data={
            "grant_type": "client_credentials", "scope": " ".join(self.scopes),
            "client_assertion_type": CLIENT_ASSERTION_TYPE, "client_assertion": self.assertion()})
        if response.status_code in (400, 401):
            body = json_body(response)
            raise AuthError(f"Okta refused the service app's token request: {body.get('error', 'error')}: "
                            f"{body.get('error_description', '')}".rstrip(": "),
                            http_status=response.status_code, provider_code=str(body.get("error", "")))
        raise_for_status(response, ok=(200,), what="POST /oauth2/v1/token")
        body = json_body(response)
        token, lifetime = body.get("access_token"), body.get("expires_in", 3600)
        if not isinstance(token, str) or not token or not isinstance(lifetime, int | float):
            raise AuthError("Okta's token endpoint answered without an access token")
        return token, self._clock() + float(lifetime)
