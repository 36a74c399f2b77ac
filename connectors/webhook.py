"""Webhook connector: for in-house systems, a signed JSON POST to the customer's endpoint.

Request (grant, revoke; ``check`` to ``check_url``; ``ping`` from ``connectors check``)::

    POST <url>
    X-Accessbot-Timestamp: 1767225600
    X-Accessbot-Signature: v1=<hex HMAC-SHA256 of "v1:{timestamp}:{raw body}" with the shared secret>
                           (while ``previous_secret`` is set: ", v1=<the same with the previous secret>")
    X-Accessbot-Action-Id: <action id>          # the same on every retry: use it to de-duplicate
    {"action": "grant", "action_id": "...", "person": {"email": "...", "name": "..."},
     "entitlement": "payroll:admin", "target": "admins", "options": {...}, "sent_at": "2026-01-01T00:00:00Z"}

Answers: 2xx → APPLIED (or ALREADY with ``{"status": "already"}``); 409 → ALREADY; 202 (or
``{"status": "pending", "ref": "..."}``) → PENDING, followed by GET ``status_url`` when configured;
401/403 → AuthError; 404 → NotFound (``{"error": "person_not_found" | "target_not_found"}`` to be
precise); 429 → RateLimited; 5xx → TransientError; any other 4xx → InvalidRequest.

Last use (optional, ``last_used_url``): ``{"action": "last_used", "cursor": null | "...", "sent_at": ...}``
→ ``{"accounts": [{"email": "...", "last_used_at": "2026-09-02T08:00:00Z" | null}], "next_cursor": null | "...",
"meaning": "app_sign_in" | "entitlement_use" | "account_use" | "login"}``; null means the system cannot tell.

``verify_signature`` (in ``connectors.webhook_signature``, standard library only, so a customer
can copy that one file) is what the receiving side runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from pydantic import Field, SecretStr, field_validator

from connectors.activity import parse_time
from connectors.base import (
    ActionResult,
    Activity,
    ActivityMeaning,
    ActivityPage,
    Capabilities,
    Check,
    Connector,
    Outcome,
    PrincipalRef,
    Subject,
    Target,
)
from connectors.config import ConnectorOptions, https_url, parse_options
from connectors.errors import (
    AuthError,
    ConnectorError,
    InvalidRequest,
    NotFound,
    PrincipalNotFound,
    TargetNotFound,
    TransientError,
    Unsupported,
)
from connectors.http import ApiClient, short_body
from connectors.webhook_signature import (
    ACTION_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    signature_header,
    verify_signature,
)

__all__ = ["WebhookConnector", "WebhookOptions", "WebhookSigner", "sign", "verify_signature"]



class WebhookSigner(httpx.Auth):
    """Signs each attempt afresh, so a retry carries a current timestamp; during a rotation with the
    new secret and the previous one, so the receiver may hold either."""

    requires_request_body = True

    def __init__(self, secret: SecretStr, clock: Callable[[], float] = time.time, *,
                 previous_secret: SecretStr | None = None):
        self._secrets = [s for s in (secret, previous_secret) if s is not None]
        self._clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        timestamp = str(int(self._clock()))
        request.headers[TIMESTAMP_HEADER] = timestamp
        request.headers[SIGNATURE_HEADER] = signature_header(
            [s.get_secret_value() for s in self._secrets], timestamp, request.content)
        yield request


class WebhookOptions(ConnectorOptions):
    url: str
    secret: SecretStr
    # Set while the receiver moves to ``secret``: requests then carry both signatures (docs/connectors.md).
    previous_secret: SecretStr | None = None
    check_url: str | None = None
    status_url: str | None = None  # may hold {ref}; GET it to follow a 202
    last_used_url: str | None = None  # POST {"action": "last_used"} here for usage (bot.usage)
    timeout: float = Field(10.0, gt=0, le=120)
    max_inline_wait: float = Field(5.0, ge=0, le=60)
    retry_backoff: float = Field(0.5, gt=0, le=10)

    @field_validator("secret", "previous_secret")
    @classmethod
    def _not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("the shared secret is empty; an empty key signs nothing")
        return value

    @field_validator("url", "check_url", "status_url", "last_used_url")
    @classmethod
    def _https_only(cls, value: str | None) -> str | None:
        # Requests carry e-mail addresses.
        return None if value is None else https_url(value)


class WebhookConnector(Connector):
    kind = "webhook"
    options_model = WebhookOptions
    # target_model stays the free-form default: targets go to the receiver as written.
    capabilities = Capabilities(list_members=False, async_grants=True)

    def __init__(self, name: str, options: Mapping[str, Any], *, clock: Callable[[], float] = time.time):
        super().__init__(name, options)
        self.settings = parse_options(WebhookOptions, name, options)
        self.capabilities = self.capabilities_for(name, options)
        self._clock = clock
        self.http = ApiClient("", auth=WebhookSigner(self.settings.secret, clock, previous_secret=self.settings.previous_secret), timeout=self.settings.timeout,
                              max_inline_wait=self.settings.max_inline_wait, backoff=self.settings.retry_backoff,
                              headers={"User-Agent": "accessbot-webhook"})

    @classmethod
    def capabilities_for(cls, name: str, options: Mapping[str, Any]) -> Capabilities:
        return Capabilities(list_members=False, async_grants=True, last_activity=bool(options.get("last_used_url")))

    def close(self) -> None:
        self.http.close()

    def last_activity(self, cursor: str | None = None) -> ActivityPage:
        if not self.settings.last_used_url:
            raise Unsupported(f"{self.name}: no last_used_url configured, so usage is unknown")
        action_id = f"last-used-{int(self._clock())}"
        body = {"action": "last_used", "action_id": action_id, "cursor": cursor, "sent_at": self._now_iso()}
        response = self._post(self.settings.last_used_url, body, action_id)
        self._raise_for_error(response, "last_used")
        data = _json(response)
        accounts = data.get("accounts") if isinstance(data.get("accounts"), list) else []
        activity = tuple(Activity(PrincipalRef(id=str(a["email"]).lower(), display=str(a["email"])),
                                  parse_time(a.get("last_used_at")))
                         for a in accounts if isinstance(a, dict) and isinstance(a.get("email"), str))
        meaning = data.get("meaning") if data.get("meaning") in set(ActivityMeaning) else ActivityMeaning.APP_SIGN_IN
        following = data.get("next_cursor")
        return ActivityPage(activity, str(following) if following else None, ActivityMeaning(meaning),
                            f"webhook {self.name} last_used")

    # -- contract ------------------------------------------------------------------------------
    def resolve(self, subject: Subject) -> PrincipalRef:
        # The receiving system knows people by e-mail; it says 404 person_not_found if it does not.
        return PrincipalRef(id=subject.email, display=subject.name)

    def grant(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        return self._act("grant", principal, target, action_id, dry_run)

    def revoke(self, principal: PrincipalRef, target: Target, *, action_id: str, dry_run: bool = False) -> ActionResult:
        return self._act("revoke", principal, target, action_id, dry_run)

    def is_granted(self, principal: PrincipalRef, target: Target) -> bool:
        if not self.settings.check_url:
            raise Unsupported(f"{self.name}: no check_url configured, so the endpoint cannot be asked")
        action_id = f"check-{int(self._clock())}"
        response = self._post(self.settings.check_url, self._body("check", principal, target, action_id), action_id)
        self._raise_for_error(response, "check")
        granted = _json(response).get("granted")
        if not isinstance(granted, bool):
            raise InvalidRequest(f"{self.name}: check answered without a boolean 'granted'",
                                 http_status=response.status_code)
        return granted

    def poll(self, principal: PrincipalRef, target: Target, pending: ActionResult) -> ActionResult:
        if not self.settings.status_url or not pending.target_ref:
            return pending  # nothing to ask: the workflow's stale-action alarm takes over
        url = self.settings.status_url.replace("{ref}", quote(pending.target_ref, safe=""))
        response = self.http.request("GET", url)
        self._raise_for_error(response, "status")
        body = _json(response)
        status = str(body.get("status", "")).lower()
        detail = str(body.get("detail") or "") or None
        if status in ("applied", "done", "succeeded"):
            return ActionResult(Outcome.APPLIED, target_ref=pending.target_ref, detail=detail)
        if status == "already":
            return ActionResult(Outcome.ALREADY, target_ref=pending.target_ref, detail=detail)
        if status == "pending":
            return pending
        if status == "failed":
            error = TransientError if body.get("retryable") is True else InvalidRequest
            raise error(f"{self.name}: the endpoint reports the action failed: {detail or 'no detail'}",
                        provider_code="failed")
        raise InvalidRequest(f"{self.name}: unknown status {status[:40]!r} from status_url")

    def check(self) -> list[Check]:
        note = "" if self.settings.status_url else " (no status_url: 202 answers stay pending)"
        checks = [Check("config", True, f"POST {_safe_url(self.settings.url)}{note}")]
        action_id = f"ping-{int(self._clock())}"
        body = {"action": "ping", "action_id": action_id, "sent_at": self._now_iso()}
        try:
            response = self._post(self.settings.url, body, action_id)
            self._raise_for_error(response, "ping")
        except AuthError as exc:
            return [*checks, Check("credentials", False, exc.detail, exc.kind)]
        except ConnectorError as exc:
            return [*checks, Check("reachability", False, exc.detail, exc.kind)]
        return [*checks, Check("reachability", True, f"ping answered {response.status_code}"),
                Check("credentials", True, "signature accepted")]

    # -- internals -----------------------------------------------------------------------------
    def _act(self, action: str, principal: PrincipalRef, target: Target, action_id: str,
             dry_run: bool) -> ActionResult:
        if dry_run:
            return ActionResult(Outcome.PLANNED, planned_calls=(
                f"POST {_safe_url(self.settings.url)} action={action} person={principal.id} target={target.ref}",))
        response = self._post(self.settings.url, self._body(action, principal, target, action_id), action_id)
        if response.status_code == 409:
            return ActionResult(Outcome.ALREADY, detail=_detail(response) or None, http_status=409)
        self._raise_for_error(response, action)
        body = _json(response)
        status = str(body.get("status", "")).lower()
        ref = str(body["ref"]) if body.get("ref") else None
        if response.status_code == 202 or status == "pending":
            return ActionResult(Outcome.PENDING, target_ref=ref or action_id, http_status=response.status_code,
                                detail=str(body.get("detail") or "") or None)
        outcome = Outcome.ALREADY if status == "already" else Outcome.APPLIED
        return ActionResult(outcome, target_ref=ref, http_status=response.status_code)

    def _body(self, action: str, principal: PrincipalRef, target: Target, action_id: str) -> dict[str, Any]:
        return {"action": action, "action_id": action_id,
                "person": {"email": principal.id, "name": principal.display},
                "entitlement": target.entitlement, "target": target.ref, "options": dict(target.options),
                "sent_at": self._now_iso()}

    def _post(self, url: str, body: Mapping[str, Any], action_id: str) -> httpx.Response:
        raw = json.dumps(body, separators=(",", ":"), default=str).encode()
        return self.http.request("POST", url, content=raw,
                                 headers={"Content-Type": "application/json", ACTION_ID_HEADER: action_id})

    def _now_iso(self) -> str:
        return datetime.fromtimestamp(self._clock(), timezone.utc).isoformat().replace("+00:00", "Z")

    def _raise_for_error(self, response: httpx.Response, action: str) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        detail = f"{self.name}: {action} refused: HTTP {status} {_detail(response)}".rstrip()
        if status in (401, 403):
            raise AuthError(detail + " (check the shared secret)", http_status=status)
        if status == 404:
            code = str(_json(response).get("error") or "")
            error = {"person_not_found": PrincipalNotFound, "target_not_found": TargetNotFound}.get(code, NotFound)
            raise error(detail, http_status=status, provider_code=code or None)
        raise InvalidRequest(detail, http_status=status, provider_code=str(_json(response).get("error") or "") or None)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _detail(response: httpx.Response) -> str:
    body = _json(response)
    text = body.get("detail") or body.get("message") or body.get("error")
    return str(text)[:200] if text else short_body(response)


def _safe_url(url: str) -> str:
    """Scheme, host and path only: a query string may carry a token."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"
