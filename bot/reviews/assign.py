"""Who reviews an item: the campaign's chain, in order, skipping the holder (never self-review)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.enums import PersonStatus
from bot.store.models import Person
from policies.reviews import ReviewCampaign, Reviewer


class ReviewerFinder:
    """Resolves reviewer chains for many items with a handful of queries (people loaded once)."""

    def __init__(self, s: Session, catalog, campaign: ReviewCampaign):
        self.catalog = catalog
        self.campaign = campaign
        self.people = {p.id: p for p in s.scalars(select(Person))}
        self.by_email = {p.email: p for p in self.people.values()}
        self._groups: dict[str, list[Person]] = {}
        self._first: dict[tuple[int, tuple[str, ...]], Person | None] = {}

    def _active(self, people) -> list[Person]:
        return [p for p in people if p is not None and p.status == PersonStatus.ACTIVE]

    def _group(self, name: str) -> list[Person]:
        if name not in self._groups:
            self._groups[name] = sorted((p for p in self.people.values()
                                         if p.status == PersonStatus.ACTIVE and name in (p.groups or [])),
                                        key=lambda p: p.id)
        return self._groups[name]

    def _candidates(self, reviewer: Reviewer, holder: Person, owners) -> list[Person]:
        if reviewer.kind == "manager":
            return self._active([self.people.get(holder.manager_id)] if holder.manager_id else [])
        if reviewer.kind == "owners":
            return self._active(self.by_email.get(e) for e in owners)
        if reviewer.kind == "people":
            return self._active(self.by_email.get(e) for e in reviewer.people)
        return self._group(reviewer.group or "")

    def fallback(self, holder: Person) -> list[Person]:
        if self.campaign.fallback is not None:
            return self._candidates(self.campaign.fallback, holder, [])
        settings = self.catalog.settings
        people = self._active(self.by_email.get(e) for e in settings.fallback_people)
        return people + (self._group(settings.fallback_group) if settings.fallback_group else [])

    def chain(self, holder: Person, owners) -> list[Person]:
        """Every eligible reviewer in order (the chain, then the fallback), never the holder."""
        out: list[Person] = []
        for reviewer in self.campaign.reviewers:
            out += self._candidates(reviewer, holder, owners)
        out += self.fallback(holder)
        seen: set[int] = set()
        return [p for p in out if p.id != holder.id and not (p.id in seen or seen.add(p.id))]

    def first(self, holder: Person, owners) -> Person | None:
        key = (holder.id, tuple(owners))
        if key not in self._first:
            chain = self.chain(holder, owners)
            self._first[key] = chain[0] if chain else None
        return self._first[key]
