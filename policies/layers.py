"""Inheritance: entitlement values override resource values, which override the catalog defaults.

Each value remembers the layer it came from, so explanations and error messages can say
"maximum 1d, set on resource github at catalog/engineering.yaml:14".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policies.errors import PolicyIssue
from policies.schema import PolicySpec
from policies.yaml_source import PathKey, YamlDocument

ENTITLEMENT, RESOURCE, CATALOG, BUILT_IN = 3, 2, 1, 0


@dataclass(frozen=True)
class Layer:
    level: int
    name: str  # "entitlement github:admin", "resource github", "catalog defaults"
    spec: PolicySpec
    doc: YamlDocument
    path: PathKey

    @property
    def subject(self) -> str:
        """How messages name this level: "github:admin", "resource github", "defaults"."""
        return self.name.removeprefix("entitlement ").replace("catalog defaults", "defaults")

    def line(self, *sub: str | int) -> int | None:
        return self.doc.line(self.path + sub)

    def where(self, *sub: str | int) -> str:
        return f"{self.doc.file}:{self.line(*sub)}"

    def origin(self, *sub: str | int) -> str:
        return f"{self.name}, {self.where(*sub)}"

    def issue(self, message: str, *sub: str | int) -> PolicyIssue:
        return PolicyIssue(self.doc.file, self.line(*sub), message)


@dataclass(frozen=True)
class Picked:
    value: Any
    layer: Layer | None  # None: the built-in default

    @property
    def level(self) -> int:
        return self.layer.level if self.layer else BUILT_IN

    def origin(self, *sub: str | int) -> str:
        return self.layer.origin(*sub) if self.layer else "built-in default"


class Layers:
    """The layers that apply to one entitlement, most specific first."""

    def __init__(self, layers: list[Layer]):
        self.layers = layers

    @property
    def entitlement(self) -> Layer:
        return self.layers[0]

    def pick(self, key: str, default: Any = None) -> Picked:
        for layer in self.layers:
            value = getattr(layer.spec, key)
            if value is not None:
                return Picked(value, layer)
        return Picked(default, None)

    def pick_sub(self, key: str, sub: str, default: Any = None) -> Picked:
        """A field of a nested block (e.g. durations.maximum), inherited field by field."""
        for layer in self.layers:
            block = getattr(layer.spec, key)
            value = getattr(block, sub) if block is not None else None
            if value is not None:
                return Picked(value, layer)
        return Picked(default, None)
