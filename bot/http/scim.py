"""SCIM 2.0 service provider at ``/scim/v2``: an IdP (Okta, Entra, OneLogin...) pushes people here.

``/Users`` (GET with ``filter``, ``startIndex``/``count``, ``attributes``/``excludedAttributes``;
POST; PUT; PATCH; DELETE; ``If-Match`` ETags; ``/Users/.search`` and ``/.search``) plus the
discovery endpoints ``/ServiceProviderConfig``, ``/ResourceTypes`` and ``/Schemas``. Every request
but ``/ServiceProviderConfig`` needs ``Authorization: Bearer <ACCESSBOT_SCIM_BEARER_TOKEN>``;
without a configured token the service answers 401 to everything.

The protocol is scim2-server's framework-independent ``ScimHandler`` (``ScimRequest`` in,
``ScimResponse`` out); people live in ``bot.http.scim_storage.DirectoryStorage``. Each request is
one transaction; offboardings a deactivation starts run after the commit.
"""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import parse_qsl

from fastapi import APIRouter, FastAPI, Request, Response
from scim2_models import InvalidValueException, SCIMException, UnauthorizedException
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.routing import Operation
from scim2_server.service import ScimService
from starlette.concurrency import run_in_threadpool

from bot.domain.enums import Trigger
from bot.domain.limits import unstorable
from bot.http.scim_storage import DirectoryStorage
from bot.ledger.context import Actor
from bot.lifecycle import scim_schema
from bot.offboarding import engine

log = logging.getLogger(__name__)
PREFIX = "/scim/v2"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
SCIM_ACTOR = Actor.system("scim", Trigger.SCIM)


class ScimEndpoint:
    """One per app: the service (schemas, config) is built once; storage and handler per request."""

    def __init__(self, deps):
        self.deps = deps
        self.service = ScimService(scim_schema.provider())
        self.model = self.service.get_model(self.service.get_resource_type("User"))

    def serve(self, request: ScimRequest) -> ScimResponse:
        try:
            if not self._is_public(request):
                self._authenticate(request)
            self._refuse_unstorable(request)
            response, started = self._handle(request)
        except Exception as error:  # noqa: BLE001 - SCIM errors become Error bodies; others are logged bugs
            if not isinstance(error, SCIMException):
                log.exception("SCIM %s %s failed", request.method, request.path)
            response, started = self.service.error_response(error), []
        engine.drive_later(self.deps, started)
        if request.method not in ("GET", "HEAD") and int(response.status) < 400:
            self.deps.kick()  # a joiner or mover may have queued grants
        response.headers.setdefault("Cache-Control", "no-cache")
        return response

    def _handle(self, request: ScimRequest) -> tuple[ScimResponse, list[int]]:
        with self.deps.store.uow() as s:
            storage = DirectoryStorage(s, self.deps.ctx(SCIM_ACTOR), self.model)
            response = ScimHandler(self.service, storage).handle(request)
        return response, storage.offboarding_ids

    def _is_public(self, request: ScimRequest) -> bool:
        """RFC 7643 §5: the service provider configuration is readable without credentials."""
        try:
            return self.service.match(request).operation is Operation.service_provider_config
        except SCIMException:
            return False

    def _refuse_unstorable(self, request: ScimRequest) -> None:
        """Text no database stores (NUL, lone surrogates), in the body or the query: 400 invalidValue."""
        try:
            document = json.loads(request.body) if request.body else None
        except (ValueError, RecursionError):
            document = None  # the handler answers invalidSyntax
        problem = unstorable(document) or unstorable(request.query, "query")
        if problem:
            raise InvalidValueException(detail=problem)

    def _authenticate(self, request: ScimRequest) -> None:
        expected = self.deps.settings.scim_bearer_token
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        if expected is None or scheme.lower() != "bearer" or not hmac.compare_digest(
                token.strip().encode(), expected.get_secret_value().encode()):
            raise UnauthorizedException(detail="a valid bearer token is required")


def build_router(endpoint: ScimEndpoint) -> APIRouter:
    router = APIRouter(tags=["scim"])

    @router.api_route(PREFIX, methods=METHODS, include_in_schema=False)
    @router.api_route(PREFIX + "/{path:path}", methods=METHODS, include_in_schema=False)
    async def scim(request: Request, path: str = "") -> Response:
        base_url = str(request.base_url).rstrip("/") + PREFIX
        scim_request = ScimRequest(
            method=request.method, base_url=base_url, path="/" + path.removesuffix(".scim"),
            query=dict(parse_qsl(request.url.query, keep_blank_values=True)),
            headers=list(request.headers.items()), body=await request.body())
        response = await run_in_threadpool(endpoint.serve, scim_request)
        body = b"" if response.body is None else json.dumps(response.body).encode()
        return Response(content=body, status_code=int(response.status), headers=response.headers)

    return router


def scim_plugin(app: FastAPI, deps) -> None:
    """``create_app(plugins=[scim_plugin, ...])``: mounts ``/scim/v2``."""
    app.include_router(build_router(ScimEndpoint(deps)))
