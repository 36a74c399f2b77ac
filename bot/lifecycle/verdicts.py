"""Policy verdicts reused across people who look the same to the rules.

A rule reads a few of a person's fields (department, groups...), known from its parse tree, and
thousands of people share them; a catalog never changes once loaded (a reload is a new object).
So an eligibility or birthright outcome is kept per catalog, keyed by exactly the fields its rules
read (and the owners' departments when a rule reads them): CEL runs once per distinct case instead
of once per grant. A rule that uses a variable whole is never reused.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable

from policies import Eligibility, PersonFacts

_SAME_FOR_EVERY_PERSON = {"entitlement", "owner_departments"}  # fixed by the entitlement (owners: in the key)
_MOST = 200_000  # entries per catalog before starting afresh (distinct cases, not people)
_BY_CATALOG: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


class Verdicts:
    def __init__(self, catalog):
        self.catalog = catalog
        self._known: dict[tuple, object] = {}
        self._birthright_fields = _union([rule.condition for rule in catalog.birthright_rules])

    @classmethod
    def of(cls, catalog) -> Verdicts:
        with _LOCK:
            verdicts = _BY_CATALOG.get(catalog)
            if verdicts is None:
                verdicts = _BY_CATALOG[catalog] = cls(catalog)
            return verdicts

    def birthright(self, person: PersonFacts) -> list:
        """``catalog.birthright_for(person)``."""
        return self._remember(("birthright",), person, self._birthright_fields,
                              lambda: self.catalog.birthright_for(person))

    def eligibility(self, ref: str, person: PersonFacts,
                    owner_departments: Callable[[object], list[str] | None]) -> Eligibility:
        """``entitlement.is_eligible(...)``; ``owner_departments(entitlement)`` as access_review reads them.
        A reused verdict names this person: its reason is the first one's with the email swapped."""
        entitlement = self.catalog.entitlement(ref)
        rule = entitlement.eligibility
        departments = owner_departments(entitlement)
        fields = _union([rule.condition]) if rule is not None else frozenset()
        email, verdict = self._remember(("eligible", ref, tuple(departments or ())), person, fields,
                                        lambda: (person.email, entitlement.is_eligible(person, departments)))
        if email == person.email:
            return verdict
        if verdict.reason.count(email) != 1:
            return entitlement.is_eligible(person, departments)
        return Eligibility(verdict.allowed, verdict.reason.replace(email, person.email))

    def _remember(self, prefix: tuple, person: PersonFacts, fields: frozenset[str] | None, compute):
        key = _key(person, fields)
        if key is None:
            return compute()
        key = prefix + key
        if key not in self._known:
            if len(self._known) >= _MOST:
                self._known.clear()
            self._known[key] = compute()
        return self._known[key]


def _union(conditions) -> frozenset[str] | None:
    read: set[str] = set()
    for condition in conditions:
        if condition.fields is None or set(condition.fields) - {"person"} - _SAME_FOR_EVERY_PERSON:
            return None
        read |= condition.fields.get("person", frozenset())
    return frozenset(read)


def _key(person: PersonFacts, fields: frozenset[str] | None) -> tuple | None:
    if fields is None:
        return None
    values = [person.status]  # every verdict refuses an inactive person first
    for name in sorted(fields):
        value = getattr(person, name)
        values.append(json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict) else value)
    return tuple(values)
