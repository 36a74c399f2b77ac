"""Bundles, separation-of-duties and birthright rules: references checked against the resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from policies.catalog import BirthrightRule, Bundle, SodRule
from policies.cel import Condition
from policies.context import PERSON_FIELDS
from policies.errors import did_you_mean
from policies.model import Resource, SourceRef
from policies.pieces import Collected, Piece

BIRTHRIGHT_VARIABLES = {"person": PERSON_FIELDS}

Compile = Callable[..., Condition | None]


class RuleResolver:
    def __init__(self, collected: Collected, resources: dict[str, Resource], compile_condition: Compile):
        self.collected = collected
        self.resources = resources
        self.compile = compile_condition
        self.refs = {e.ref for r in resources.values() for e in r.entitlements.values()}
        # Roles of every resource that was read, even one with errors, so refs to it are not "unknown".
        self.roles = collected.roles

    def bundles(self) -> dict[str, Bundle]:
        out = {}
        for name, piece in self.collected.bundles.items():
            refs = self._refs(piece, piece.spec.entitlements, "entitlements")
            self._conflicts_inside(name, piece, refs)
            out[name] = Bundle(name, piece.spec.description, refs, SourceRef(piece.doc.file, piece.line()),
                               title=piece.spec.title)
        return out

    def sod_rules(self) -> list[SodRule]:
        out = []
        for piece in self.collected.sod:
            spec = piece.spec
            refs = self._refs(piece, spec.entitlements, "entitlements")
            if len(set(spec.entitlements)) != len(spec.entitlements):
                self.collected.issues.append(piece.issue(f"separation-of-duties rule {spec.name!r} lists the same "
                                                         "entitlement twice", "entitlements"))
            out.append(SodRule(spec.name, tuple(refs), spec.reason, SourceRef(piece.doc.file, piece.line())))
        return out

    def birthright_rules(self) -> list[BirthrightRule]:
        out = []
        for piece in self.collected.birthright:
            spec = piece.spec
            refs = self._refs(piece, spec.grant, "grant")
            condition = self.compile(spec.when, BIRTHRIGHT_VARIABLES, piece.doc, piece.path + ("when",),
                                     f"birthright rule {spec.name!r}")
            if condition is None:
                continue
            duration = spec.duration.value if spec.duration is not None else None
            out.append(BirthrightRule(spec.name, spec.description, condition, refs, duration,
                                      SourceRef(piece.doc.file, piece.line())))
        return out

    def _refs(self, piece: Piece[Any], refs: list[str], key: str) -> list[str]:
        """The refs that exist, with an issue for each that does not."""
        kept = []
        for index, ref in enumerate(refs):
            problem = self._unknown(ref)
            if problem:
                self.collected.issues.append(piece.issue(problem, key, index))
            else:
                kept.append(ref)
        return kept

    def _unknown(self, ref: str) -> str | None:
        if ref in self.refs:
            return None
        resource_id, _, role = ref.partition(":")
        if resource_id in self.collected.unresolved_resources:
            return None  # that resource has its own errors; do not pile on
        if resource_id in self.roles:
            if role in self.roles[resource_id]:
                return None  # the entitlement exists but has errors of its own
            roles = ", ".join(sorted(self.roles[resource_id]))
            return (f"unknown entitlement {ref!r}: resource {resource_id} has no role {role!r}"
                    f"{did_you_mean(role, self.roles[resource_id])}; roles: {roles}")
        return f"unknown entitlement {ref!r}{did_you_mean(ref, sorted(self.refs))}"

    def _conflicts_inside(self, name: str, piece: Piece[Any], refs: list[str]) -> None:
        for sod in self.collected.sod:
            inside = [ref for ref in sod.spec.entitlements if ref in refs]
            if len(inside) > 1:
                self.collected.issues.append(piece.issue(
                    f"bundle {name!r} contains {' and '.join(inside)}, which separation-of-duties rule "
                    f"{sod.spec.name!r} forbids holding together ({sod.where()})", "entitlements"))
