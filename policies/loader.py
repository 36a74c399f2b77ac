"""Catalog files -> Catalog. Reads every file, validates every piece, then resolves the whole.

Each resource, bundle and rule is validated on its own, so one broken resource does not hide
the problems of the others; every issue found is reported together in one PolicyLoadError.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from policies.catalog import Catalog
from policies.errors import PolicyIssue, PolicyLoadError, did_you_mean
from policies.pieces import Collected, Known, Piece, S, TargetCheck
from policies.resolve import resolve
from policies.reviews import read_reviews, resolve_reviews
from policies.schema import (
    ID_PATTERN, TOP_LEVEL_KEYS, BirthrightSpec, BundleSpec, EntitlementSpec, PolicySpec, ResourceSpec,
    SettingsSpec, SodSpec,
)
from policies.validation import validate_piece
from policies.yaml_source import PathKey, YamlDocument, load_yaml

# Files that may sit next to the catalog but belong to other loaders.
FOREIGN_FILES = frozenset({"people.yaml", "people.yml", "people.csv", "connectors.yaml", "connectors.yml"})


def load_catalog(path: str | Path, *, connectors: Collection[str] | None = None,
                 people: Collection[str] | None = None, groups: Collection[str] | None = None,
                 targets: Mapping[str, TargetCheck] | None = None) -> Catalog:
    """Load, check and compile a catalog file or directory. Raises PolicyLoadError with every issue.

    ``targets``: a check per connector instance name (see ``Known.targets``), so a target the
    instance's type cannot take fails here, at its line."""
    known = Known(
        connectors=frozenset(connectors) if connectors is not None else None,
        targets=targets,
        people=frozenset(p.lower() for p in people) if people is not None else None,
        groups=frozenset(groups) if groups is not None else None,
    )
    collected = Collected()
    for file in catalog_files(Path(path)):
        collected.files.append(str(file))
        read_catalog_file(load_yaml(file), collected)
    catalog = resolve(collected, known)
    if catalog is not None:
        catalog.reviews = resolve_reviews(collected, known, catalog)
    if collected.issues or catalog is None:
        raise PolicyLoadError(sorted(collected.issues, key=lambda i: (i.file, i.line or 0)))
    return catalog


def catalog_files(path: Path) -> list[Path]:
    """The YAML files of a catalog (recursively for a directory), in a stable order."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise PolicyLoadError([PolicyIssue(str(path), None, "no such file or directory")])
    files = sorted(
        p for pattern in ("*.yaml", "*.yml") for p in path.rglob(pattern)
        if p.name not in FOREIGN_FILES and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    if not files:
        raise PolicyLoadError([PolicyIssue(str(path), None, "no catalog files (*.yaml) in this directory")])
    return files


def read_catalog_file(doc: YamlDocument, collected: Collected) -> None:
    collected.issues.extend(doc.issues)
    data = doc.data
    if data is None:
        return
    if not isinstance(data, dict):
        collected.issues.append(doc.issue((), "a catalog file must be a mapping with keys such as "
                                              "resources:, bundles:, settings:"))
        return
    for key, value in data.items():
        reader = _SECTION_READERS.get(key)
        if reader is None:
            collected.issues.append(doc.issue((key,), f"unknown top-level key {key!r}"
                                                      f"{did_you_mean(key, TOP_LEVEL_KEYS)}; allowed: "
                                                      f"{', '.join(TOP_LEVEL_KEYS)}"))
        elif value is not None:
            reader(value, doc, collected)


def _read_settings(value: Any, doc: YamlDocument, collected: Collected) -> None:
    spec = validate_piece(SettingsSpec, value, doc, ("settings",), collected.issues, "settings")
    if collected.claim("section", "settings", doc, ("settings",)) and spec is not None:
        collected.settings = Piece(spec, doc, ("settings",))


def _read_defaults(value: Any, doc: YamlDocument, collected: Collected) -> None:
    spec = validate_piece(PolicySpec, value, doc, ("defaults",), collected.issues, "defaults")
    if collected.claim("section", "defaults", doc, ("defaults",)) and spec is not None:
        collected.defaults = Piece(spec, doc, ("defaults",))


def _read_resources(value: Any, doc: YamlDocument, collected: Collected) -> None:
    if not _is_mapping(value, doc, ("resources",), "resources: maps each app id to its definition", collected):
        return
    for resource_id, body in value.items():
        path = ("resources", resource_id)
        if not ID_PATTERN.match(resource_id):
            collected.issues.append(doc.issue(path, f"resource id {resource_id!r} must be lower-case letters, "
                                                    "digits, '.', '_' or '-' (it is the first half of app:role)"))
            continue
        if not collected.claim("resource", resource_id, doc, path):
            continue
        spec = validate_piece(ResourceSpec, body, doc, path, collected.issues, f"resource {resource_id}")
        roles = _read_entitlements(resource_id, body, doc, collected)
        if spec is None:
            collected.unresolved_resources.add(resource_id)
        else:
            collected.resources[resource_id] = Piece(spec, doc, path)
            collected.entitlements[resource_id] = roles


def _read_entitlements(resource_id: str, body: Any, doc: YamlDocument,
                       collected: Collected) -> dict[str, EntitlementSpec]:
    raw = body.get("entitlements") if isinstance(body, dict) else None
    if not isinstance(raw, dict):
        return {}  # the resource's own validation reports it
    collected.roles[resource_id] = set(raw)
    specs = {}
    for role, entitlement in raw.items():
        if not ID_PATTERN.match(role):
            continue  # reported by the resource's validation
        path = ("resources", resource_id, "entitlements", role)
        spec = validate_piece(EntitlementSpec, entitlement if entitlement is not None else {}, doc, path,
                              collected.issues, f"{resource_id}:{role}")
        if spec is not None:
            specs[role] = spec
    return specs


def _read_bundles(value: Any, doc: YamlDocument, collected: Collected) -> None:
    if not _is_mapping(value, doc, ("bundles",), "bundles: maps each bundle name to its definition", collected):
        return
    for name, body in value.items():
        path = ("bundles", name)
        if collected.claim("bundle", name, doc, path):
            spec = validate_piece(BundleSpec, body, doc, path, collected.issues, f"bundle {name}")
            if spec is not None:
                collected.bundles[name] = Piece(spec, doc, path)


def _read_rule_list(section: str, model: type[S], target: str, label: str):
    def read(value: Any, doc: YamlDocument, collected: Collected) -> None:
        if not isinstance(value, list):
            collected.issues.append(doc.issue((section,), f"{section}: must be a list of rules"))
            return
        for index, body in enumerate(value):
            path = (section, index)
            name = body.get("name") if isinstance(body, dict) else None
            subject = f"{label} {name!r}" if isinstance(name, str) else f"{label} #{index + 1}"
            spec = validate_piece(model, body, doc, path, collected.issues, subject)
            if spec is not None and collected.claim(label, spec.name, doc, path):  # type: ignore[attr-defined]
                getattr(collected, target).append(Piece(spec, doc, path))
    return read


def _is_mapping(value: Any, doc: YamlDocument, path: PathKey, what: str, collected: Collected) -> bool:
    if isinstance(value, dict):
        return True
    collected.issues.append(doc.issue(path, f"{what}; found a {type(value).__name__}"))
    return False


_SECTION_READERS = {
    "settings": _read_settings,
    "defaults": _read_defaults,
    "resources": _read_resources,
    "bundles": _read_bundles,
    "birthright": _read_rule_list("birthright", BirthrightSpec, "birthright", "birthright rule"),
    "separation_of_duties": _read_rule_list("separation_of_duties", SodSpec, "sod", "separation-of-duties rule"),
    "reviews": read_reviews,
}
