"""The directory as scim2-server storage: SCIM Users are people, and every write is a lifecycle event.

scim2-server's ``ScimHandler`` does the protocol (routing, validation, PATCH, filters' syntax,
ETags, errors); this storage reads people, evaluates filters (``userName eq`` in SQL, the rest
in memory over at most the directory), and turns writes into joiner / mover / leaver events
through ``bot.lifecycle.apply.receive`` (create → joiner, ``active: false`` or DELETE → leaver,
``active: true`` again → re-hire, any other change → mover). One instance lives for one request,
inside its transaction; offboardings it starts are driven after commit by the router.
"""

from __future__ import annotations

import uuid
from typing import Any

from scim2_models import (
    InvalidValueException,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    SearchRequest,
    UniquenessException,
)
from scim2_models.path import CompareOperator, Comparison
from scim2_server.storage import ScimStorage, SearchPage
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.domain.enums import PersonStatus
from bot.domain.errors import DomainError
from bot.domain.limits import DB_INT_MAX, row_id
from bot.ledger.context import Ctx
from bot.lifecycle import apply
from bot.lifecycle import scim_mapping as mapping
from bot.lifecycle.events import LifecycleInput
from bot.lifecycle.identity import IdentityConflict
from bot.store.models import Person, ScimUser


class DirectoryStorage(ScimStorage):
    def __init__(self, session: Session, ctx: Ctx, model: type[Resource[Any]]):
        self.s, self.ctx, self.model = session, ctx, model
        self.offboarding_ids: list[int] = []

    # -- reads -------------------------------------------------------------------------------
    def _load(self, resource_id: str) -> tuple[Person, ScimUser | None]:
        person_id = row_id(resource_id)
        person = self.s.get(Person, person_id) if person_id is not None else None
        row = self.s.get(ScimUser, person.id) if person is not None else None
        if person is None or (row is not None and row.deleted_at is not None):
            raise NotFoundException(detail=f"User {resource_id} not found")
        return person, row

    def _resource(self, person: Person, row: ScimUser | None) -> Resource[Any]:
        return self.model.model_validate(mapping.representation(self.s, person, row))

    def get(self, resource_type: ResourceType, resource_id: str, *,
            response_parameters: ResponseParameters[Any] | None = None) -> Resource[Any]:
        return self._resource(*self._load(resource_id))

    def search(self, resource_types: list[ResourceType], search_request: SearchRequest[Any], *,
               position: Any = None) -> SearchPage:
        scim_filter = search_request.filter
        # No page starts past the last row id, nor is longer than every row: clamped so OFFSET and
        # LIMIT stay in the database's integer range (RFC 7644 §3.4.2.4 lets any positive integer in).
        start = min(search_request.start_index_0 or 0, DB_INT_MAX)
        count = None if search_request.count is None else min(search_request.count, DB_INT_MAX)
        if scim_filter is None:  # a full sync pages through everyone: page in the database
            total = self.s.scalar(select(func.count()).select_from(self._query().subquery()))
            rows = self._candidates(None, offset=start, limit=count)
            return SearchPage(total, [self._resource(p, r) for p, r in rows])
        found = [self._resource(p, r) for p, r in self._candidates(_user_name_wanted(scim_filter))]
        found = [r for r in found if scim_filter.match(r)]
        return SearchPage(len(found), found[start:None if count is None else start + count])

    @staticmethod
    def _query():
        return select(Person, ScimUser).outerjoin(ScimUser, ScimUser.person_id == Person.id).where(
            ScimUser.deleted_at.is_(None))

    def _candidates(self, user_name: str | None, *, offset: int = 0,
                    limit: int | None = None) -> list[tuple[Person, ScimUser | None]]:
        query = self._query()
        if user_name is not None:  # the IdP's usual lookup, answered by the database
            key = user_name.casefold()
            query = query.where((ScimUser.user_name_key == key) | (ScimUser.person_id.is_(None) & (
                func.lower(Person.email) == key)))
        query = query.order_by(Person.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [(p, r) for p, r in self.s.execute(query).all()]

    # -- writes ------------------------------------------------------------------------------
    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        doc = resource.model_dump()
        self._check_user_name(doc["userName"], None)
        email = mapping.email_of(doc)
        existing = directory.by_email(self.s, email)
        if existing is not None and (existing.status == PersonStatus.ACTIVE or self._is_live(existing)):
            raise UniquenessException(detail=f"{email} is already User {existing.id}")
        kind = "leaver" if doc.get("active") is False else "joiner"
        person = self._apply(kind, doc, email, existing.id if existing is not None else None)
        self._store(person, doc, resource.external_id)
        return self.get(resource_type, str(person.id))

    def update(self, resource_type: ResourceType, resource: Resource[Any], *,
               expected_version: str | None = None) -> Resource[Any]:
        person, row = self._load(str(resource.id))
        self._check_version(person, row, expected_version)
        doc = resource.model_dump()
        self._check_user_name(doc["userName"], person.id)
        was_active, active = person.status == PersonStatus.ACTIVE, doc.get("active")
        kind = "leaver" if was_active and active is False else "joiner" if not was_active and active else "mover"
        person = self._apply(kind, doc, mapping.email_of(doc), person.id)
        self._store(person, doc, resource.external_id)
        return self.get(resource_type, str(person.id))

    def delete(self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None) -> None:
        person, row = self._load(resource_id)
        self._check_version(person, row, expected_version)
        if person.status == PersonStatus.ACTIVE:
            doc = mapping.representation(self.s, person, row)
            self._apply("leaver", doc, person.email, person.id, values={})
        if row is None:
            row = self._store(person, mapping.synthesized(person), None)
        row.deleted_at = self.ctx.now

    # -- helpers -----------------------------------------------------------------------------
    def _is_live(self, person: Person) -> bool:
        row = self.s.get(ScimUser, person.id)
        return row is not None and row.deleted_at is None and person.status == PersonStatus.ACTIVE

    def _check_user_name(self, user_name: str, self_id: int | None) -> None:
        for person, row in self._candidates(user_name):
            if person.id != self_id:
                raise UniquenessException(detail=f"userName {user_name!r} is already User {person.id}")

    def _check_version(self, person: Person, row: ScimUser | None, expected: str | None) -> None:
        if expected is not None and expected != mapping.representation(self.s, person, row)["meta"]["version"]:
            raise PreconditionFailedException(detail="the User changed since that version")

    def _apply(self, kind: str, doc: dict[str, Any], email: str, person_id: int | None,
               values: dict[str, Any] | None = None) -> Person:
        if values is None:
            values = mapping.person_values(self.s, doc, self_id=person_id)
        employee = (doc.get(mapping.ENTERPRISE_SCHEMA) or {}).get("employeeNumber") or None
        event = LifecycleInput(
            event_id=f"scim:{uuid.uuid4()}", source="scim", type=kind, occurred_at=self.ctx.now,
            effective_at=self.ctx.now, effective_given=False, email=email, values=values, employee_id=employee,
            person_id=person_id, termination="immediate" if kind == "leaver" else None,
            reason="deactivated by the identity provider (SCIM)" if kind == "leaver" else "")
        try:
            result = apply.receive(self.s, self.ctx, event)
        except IdentityConflict as error:
            raise UniquenessException(detail=error.message) from None
        except DomainError as error:
            raise InvalidValueException(detail=error.message) from None
        self.offboarding_ids += result.offboarding_ids
        return self.s.get(Person, result.person_id)

    def _store(self, person: Person, doc: dict[str, Any], external_id: str | None) -> ScimUser:
        row = self.s.get(ScimUser, person.id)
        if row is None:
            row = ScimUser(person_id=person.id, created_at=self.ctx.now)
            self.s.add(row)
        user_name = doc.get("userName") or person.email
        row.user_name, row.user_name_key, row.external_id = user_name, user_name.casefold(), external_id
        row.document, row.updated_at, row.deleted_at = mapping.stored_document(doc), self.ctx.now, None
        self.s.flush()
        return row


def _user_name_wanted(scim_filter) -> str | None:
    """``userName eq "x"``: the one filter answered in SQL (case-insensitively, as RFC 7643 says)."""
    node = getattr(scim_filter, "ast", None)
    if isinstance(node, Comparison) and node.op == CompareOperator.eq and isinstance(node.value, str) \
            and str(node.attr_path).casefold() in ("username", "urn:ietf:params:scim:schemas:core:2.0:user:username"):
        return node.value
    return None
