"""A real SCIM 2.0 server (scim2-server) on 127.0.0.1:0, with a fault injector in front of it.

``policy="rfc"`` is scim2-server's strict RFC behaviour; ``policy="entra"`` accepts Entra's
``remove members + value`` form. ``cursor=True`` also announces and serves the cursor paging of
RFC 9865 (scim2-server's ``cursor`` extra). The injector (a WSGI middleware) logs every request and can
answer the next matching requests with a scripted status (429 + Retry-After, 503, HTML 502...)
before they reach the server. Seeding goes straight to the storage, so a 2,000-member group costs
no HTTP.
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from scim2_models import (
    Email,
    Group,
    GroupMember,
    GroupMembership,
    NotFoundException,
    Pagination,
    ScimPolicy,
    ScimProvider,
    User,
)
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)

TOKEN = "test-token"


class GroupAwareStorage(InMemoryStorage):
    """InMemoryStorage that also keeps each user's read-only ``groups`` in step with group members,
    as most real servers do, so ``/Users?filter=groups.value eq "…"`` answers truthfully."""

    def create(self, resource_type, resource):
        with self.lock:
            created = super().create(resource_type, resource)
            self._sync_groups(created, old_members=set())
            return created

    def update(self, resource_type, resource, *, expected_version=None):
        with self.lock:
            old = self._member_set(resource_type, resource.id)
            updated = super().update(resource_type, resource, expected_version=expected_version)
            self._sync_groups(updated, old_members=old)
            return updated

    def delete(self, resource_type, resource_id, *, expected_version=None):
        with self.lock:
            old = self._member_set(resource_type, resource_id)
            super().delete(resource_type, resource_id, expected_version=expected_version)
            if resource_type.name == "Group":
                self._relink(resource_id, old, set())

    def _member_set(self, resource_type, resource_id) -> set[str]:
        if resource_type.name != "Group":
            return set()
        return {m.value for m in (self.get(resource_type, resource_id).members or [])}

    def _sync_groups(self, resource, *, old_members: set[str]) -> None:
        if isinstance(resource, Group):
            self._relink(resource.id, old_members, {m.value for m in resource.members or []})

    def _relink(self, group_id: str, old: set[str], new: set[str]) -> None:
        user_type = _resource_types()["User"]
        for user_id in old ^ new:
            try:
                user = self.get(user_type, user_id)
            except NotFoundException:
                continue  # a dangling member id: nothing to keep in step
            groups = [g for g in user.groups or [] if g.value != group_id]
            if user_id in new:
                groups.append(GroupMembership(value=group_id, type="direct"))
            user.groups = groups or None
            super().update(user_type, user)


class _ThreadedServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args) -> None:
        pass


@dataclass
class Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    method: str | None = None  # only requests with this method
    path: str | None = None  # only this exact path (after /v2)
    skip: int = 0  # let this many matching requests through first

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or path == self.path)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str  # after the /v2 prefix
    query: str
    injected: bool


class FaultInjector:
    """WSGI middleware: records requests; answers matching ones from the fault queue first."""

    def __init__(self, app):
        self.app = app
        self.faults: deque[Fault] = deque()
        self.seen: list[Seen] = []
        self.after: Callable[[Seen, bytes], None] | None = None  # sees each answer before the client does
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "").removeprefix("/v2")
        fault = self._take(method, path)
        seen = Seen(method, path, environ.get("QUERY_STRING", ""), fault is not None)
        with self._lock:
            self.seen.append(seen)
        if fault is None and self.after is not None:
            body = b"".join(self.app(environ, start_response))
            self.after(seen, body)
            return [body]
        if fault is None:
            return self.app(environ, start_response)
        headers = [("Content-Length", str(len(fault.body))), *fault.headers.items()]
        start_response(f"{fault.status} Injected", headers)
        return [fault.body]

    def _take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if not fault.matches(method, path):
                    continue
                if fault.skip:
                    fault.skip -= 1
                    return None
                self.faults.remove(fault)
                return fault
        return None


@functools.lru_cache(maxsize=None)
def _resource_types():
    return load_default_resource_types()


@functools.lru_cache(maxsize=None)
def _provider(policy: str, max_results: int | None, cursor: bool = False) -> ScimProvider:
    """Built once per variant: reading the RFC schemas costs more than a whole test."""
    config = load_default_service_provider_config()
    config.authentication_schemes = [BEARER_TOKEN_SCHEME]  # 401s carry WWW-Authenticate
    if max_results is not None:
        config.filter.max_results = max_results
    if cursor:
        config.pagination = Pagination(cursor=True, index=True, default_pagination_method="index")
    scim_policy = ScimPolicy(remove_value_as_filter=ScimPolicy.RemoveValue.apply) if policy == "entra" else None
    return ScimProvider.from_discovery(load_default_schemas().values(), load_default_resource_types().values(),
                                       config=config, policy=scim_policy)


class ScimServer:
    def __init__(self, policy: str = "rfc", token: str = TOKEN, max_results: int | None = None, cursor: bool = False,
                 keep_user_groups: bool = True):
        """``keep_user_groups=False``: scim2-server's own storage, unmodified, which leaves
        ``User.groups`` empty (so ``/Users?filter=groups.value eq …`` finds nobody)."""
        self.provider = _provider(policy, max_results, cursor)
        self.policy = policy
        self.token = token
        self.storage = GroupAwareStorage() if keep_user_groups else InMemoryStorage()
        service = ScimService(self.provider, secret="test-cursor-secret") if cursor else None
        self.injector = FaultInjector(BearerTokenApplication(self.storage, self.provider, service=service,
                                                             bearer_tokens=[token]))
        self._httpd = make_server("127.0.0.1", 0, self.injector, server_class=_ThreadedServer, handler_class=_Quiet)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._types = _resource_types()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}/v2"

    def start(self) -> ScimServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- faults and observation ----------------------------------------------------------------
    def inject(self, *faults: Fault) -> None:
        with self.injector._lock:
            self.injector.faults.extend(faults)

    @property
    def seen(self) -> list[Seen]:
        return list(self.injector.seen)

    def writes(self) -> int:
        return sum(1 for s in self.injector.seen if s.method not in ("GET", "HEAD") and not s.injected)

    # -- seeding and white-box reads -----------------------------------------------------------
    def add_user(self, user_name: str, *, email: str | None = None, active: bool = True) -> str:
        emails = [Email(value=email, type="work", primary=True)] if email else None
        user = User(user_name=user_name, emails=emails, active=active)
        return self.storage.create(self._types["User"], user).id

    def add_users(self, count: int, prefix: str = "user") -> list[str]:
        return [self.add_user(f"{prefix}{i:05d}@example.com") for i in range(count)]

    def add_group(self, name: str, member_ids: list[str] = ()) -> str:
        members = [GroupMember(value=i, type="User") for i in member_ids] or None
        return self.storage.create(self._types["Group"], Group(display_name=name, members=members)).id

    def group(self, group_id: str) -> Group:
        return self.storage.get(self._types["Group"], group_id)

    def member_ids(self, group_id: str) -> set[str]:
        return {m.value for m in (self.group(group_id).members or [])}

    def user(self, user_id: str) -> User:
        return self.storage.get(self._types["User"], user_id)
