"""Validated pieces of a catalog with their locations, gathered from every file before resolving."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from policies.errors import PolicyIssue
from policies.schema import (
    BirthrightSpec, BundleSpec, EntitlementSpec, PolicySpec, ResourceSpec, SettingsSpec, SodSpec,
)
from policies.yaml_source import PathKey, YamlDocument

S = TypeVar("S", bound=BaseModel)


@dataclass(frozen=True)
class Piece(Generic[S]):
    """A validated spec and where it was written."""

    spec: S
    doc: YamlDocument
    path: PathKey

    def line(self, *sub: str | int) -> int | None:
        return self.doc.line(self.path + sub)

    def where(self, *sub: str | int) -> str:
        return f"{self.doc.file}:{self.line(*sub)}"

    def issue(self, message: str, *sub: str | int) -> PolicyIssue:
        return PolicyIssue(self.doc.file, self.line(*sub), message)


@dataclass
class Collected:
    settings: Piece[SettingsSpec] | None = None
    defaults: Piece[PolicySpec] | None = None
    resources: dict[str, Piece[ResourceSpec]] = field(default_factory=dict)
    entitlements: dict[str, dict[str, EntitlementSpec]] = field(default_factory=dict)  # by resource, role
    roles: dict[str, set[str]] = field(default_factory=dict)  # every role written, valid or not
    bundles: dict[str, Piece[BundleSpec]] = field(default_factory=dict)
    birthright: list[Piece[BirthrightSpec]] = field(default_factory=list)
    sod: list[Piece[SodSpec]] = field(default_factory=list)
    reviews: list[Piece[Any]] = field(default_factory=list)  # policies.reviews
    # Refs of resources that failed validation: not reported again as "unknown" elsewhere.
    unresolved_resources: set[str] = field(default_factory=set)
    issues: list[PolicyIssue] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    _first_seen: dict[tuple[str, str], str] = field(default_factory=dict)

    def claim(self, kind: str, name: str, doc: YamlDocument, path: PathKey) -> bool:
        """Record that ``name`` of ``kind`` is defined here; an issue and False if it already was."""
        where = f"{doc.file}:{doc.line(path)}"
        first = self._first_seen.setdefault((kind, name), where)
        if first != where:
            self.issues.append(doc.issue(path, f"duplicate {kind} {name!r} (first defined at {first})"))
            return False
        return True


# (target, target_options) -> [(target option, or None for the target itself; reason)]
TargetCheck = Callable[[str, Mapping[str, Any]], list[tuple[str | None, str]]]


@dataclass(frozen=True)
class Known:
    """What the rest of the deployment defines; None means "not checked"."""

    connectors: frozenset[str] | None = None
    # Per connector instance: (target, target_options) -> [(target option or None, reason)], from
    # the schema of the instance's type (connectors.schema_check.target_checks). None: not checked.
    targets: Mapping[str, TargetCheck] | None = None
    people: frozenset[str] | None = None
    groups: frozenset[str] | None = None
