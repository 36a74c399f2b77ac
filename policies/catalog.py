"""The loaded catalog: look-ups, type-ahead search, bundles, separation of duties and birthright."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from policies.cel import Condition
from policies.context import PersonFacts, person_value
from policies.model import Entitlement, Resource, SourceRef
from policies.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bundle:
    name: str
    description: str
    entitlements: list[str]
    source: SourceRef
    title: str = ""  # default: the name in words ("new-engineer" → "New engineer")

    @property
    def display_title(self) -> str:
        return self.title or self.name.replace("-", " ").replace("_", " ").capitalize()

    @property
    def label(self) -> str:
        """ "📦 New engineer (bundle: 3 entitlements)": how pickers and cards name the bundle."""
        count = len(self.entitlements)
        return f"📦 {self.display_title} (bundle: {count} entitlement{'s' if count != 1 else ''})"


@dataclass(frozen=True)
class SodRule:
    name: str
    entitlements: tuple[str, ...]
    reason: str
    source: SourceRef


@dataclass(frozen=True)
class SodConflict:
    name: str
    entitlements: tuple[str, ...]  # the refs of the rule that would be held together
    reason: str

    def describe(self, requested: str) -> str:
        """The one wording of a conflict, used by every path that refuses or skips access for it."""
        others = ", ".join(ref for ref in self.entitlements if ref != requested)
        return f"{requested} cannot be held together with {others} ({self.name}: {self.reason})"


@dataclass(frozen=True)
class BirthrightRule:
    name: str
    description: str
    condition: Condition
    grants: list[str]
    duration: timedelta | None  # None: for as long as the rule matches
    source: SourceRef


@dataclass(frozen=True)
class BirthrightGrant:
    entitlement: str
    duration: timedelta | None
    rule: str


class UnknownEntitlement(KeyError):
    """KeyError whose text reads as a sentence (KeyError would quote it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class Catalog:
    def __init__(self, *, resources: dict[str, Resource], bundles: dict[str, Bundle],
                 sod_rules: list[SodRule], birthright_rules: list[BirthrightRule], settings: Settings,
                 files: list[str]):
        self.resources = resources
        self.bundles = bundles
        self.sod_rules = sod_rules
        self.birthright_rules = birthright_rules
        self.settings = settings
        self.files = files
        self.reviews: dict = {}  # name -> policies.reviews.ReviewCampaign, set by the loader
        self.entitlements: dict[str, Entitlement] = {
            e.ref: e for r in resources.values() for e in r.entitlements.values()
        }
        self._search_index = sorted(
            ((e.resource_name.lower(), e.role, e.ref), _haystack(e), e) for e in self.entitlements.values()
        )

    def __repr__(self) -> str:
        return (f"<Catalog {len(self.resources)} resources, {len(self.entitlements)} entitlements, "
                f"{len(self.bundles)} bundles>")

    def entitlement(self, ref: str) -> Entitlement:
        if not isinstance(ref, str) or not ref:  # a null or non-text value from a form or an API body
            raise UnknownEntitlement("Choose the access you need, written as app:role.")
        try:
            return self.entitlements[ref]
        except KeyError:
            raise UnknownEntitlement(self._unknown_ref_message(ref)) from None

    def _unknown_ref_message(self, ref: str) -> str:
        resource_id, _, role = ref.partition(":")
        resource = self.resources.get(resource_id)
        if resource is not None:
            roles = ", ".join(resource.entitlements)
            return f"{resource.name} has no role {role!r} (roles: {roles})"
        close = difflib.get_close_matches(ref, list(self.entitlements), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return f"no entitlement {ref!r} in the catalog{hint}"

    def search(self, query: str, limit: int = 100, *, requestable_only: bool = True) -> list[Entitlement]:
        """Type-ahead: every word of ``query`` must appear in the app id, name, role or title.

        Ordered by how well the query matches (prefix of the ref or name first), then by app
        name and role, so the same query always lists the same entitlements in the same order.
        Entitlements marked ``requestable: false`` are left out unless ``requestable_only`` is False
        (IT looking up birthright access).
        """
        words = query.lower().split()
        if limit <= 0:
            return []
        scored = []
        for sort_key, haystack, entitlement in self._search_index:
            if (requestable_only and not entitlement.requestable) or not all(w in haystack for w in words):
                continue
            scored.append((_rank(words, entitlement), sort_key, entitlement))
        scored.sort(key=lambda item: (item[0], item[1]))
        return [entitlement for _, _, entitlement in scored[:limit]]

    def search_bundles(self, query: str) -> list[Bundle]:
        """Bundles whose name, title, description or entitlements contain every word of ``query``."""
        words = query.lower().split()
        found = []
        for name, bundle in sorted(self.bundles.items()):
            haystack = " ".join((name, bundle.display_title, bundle.description, *bundle.entitlements)).lower()
            if all(w in haystack for w in words):
                found.append(bundle)
        return found

    def sod_conflicts(self, held: Iterable[str], requested: Iterable[str] | str) -> list[SodConflict]:
        """Rules that would be broken by holding ``requested`` together with ``held`` (or with each other).

        A rule is broken when a person would hold more than one of its entitlements and at least
        one of them is being requested now: what someone already holds is not re-litigated here.
        """
        wanted = {requested} if isinstance(requested, str) else set(requested)
        after = set(held) | wanted
        conflicts = []
        for rule in self.sod_rules:
            involved = tuple(ref for ref in rule.entitlements if ref in after)
            if len(involved) > 1 and wanted.intersection(involved):
                conflicts.append(SodConflict(rule.name, involved, rule.reason))
        return conflicts

    def birthright_for(self, person: PersonFacts) -> list[BirthrightGrant]:
        """What ``person`` gets without asking, one grant per entitlement (the longest duration wins)."""
        if not person.is_active:
            return []
        activation = {"person": person_value(person)}
        chosen: dict[str, BirthrightGrant] = {}
        for rule in self.birthright_rules:
            result = rule.condition.evaluate(activation)
            if result.error:
                log.warning("birthright rule %r could not be evaluated for %s: %s (%s)",
                            rule.name, person.email, result.error, rule.source)
            if not result.value:
                continue
            for ref in rule.grants:
                current = chosen.get(ref)
                if current is None or _longer(rule.duration, current.duration):
                    chosen[ref] = BirthrightGrant(ref, rule.duration, rule.name)
        return list(chosen.values())

    def summary(self) -> str:
        return (f"{len(self.resources)} resources, {len(self.entitlements)} entitlements, "
                f"{len(self.bundles)} bundles, {len(self.birthright_rules)} birthright rules, "
                f"{len(self.sod_rules)} separation-of-duties rules"
                + (f", {len(self.reviews)} review campaigns" if self.reviews else ""))


def _haystack(entitlement: Entitlement) -> str:
    return " ".join((entitlement.ref, entitlement.resource_name, entitlement.title)).lower()


def _rank(words: list[str], entitlement: Entitlement) -> int:
    if not words:
        return 2
    first = words[0]
    if entitlement.ref.startswith(first) or entitlement.resource_name.lower().startswith(first):
        return 0
    if any(part.startswith(first) for part in _haystack(entitlement).replace(":", " ").split()):
        return 1
    return 2


def _longer(candidate: timedelta | None, current: timedelta | None) -> bool:
    if current is None:
        return False
    return candidate is None or candidate > current
