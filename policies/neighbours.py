"""Files that sit next to a catalog: the people file and connectors.yaml, used to cross-check it."""

from __future__ import annotations

from pathlib import Path

from policies.errors import PolicyIssue, PolicyLoadError
from policies.yaml_source import load_yaml

PEOPLE_FILE_NAMES = ("people.yaml", "people.yml", "people.csv")
CONNECTORS_FILE_NAMES = ("connectors.yaml", "connectors.yml")


def find_people_file(catalog_path: Path) -> Path | None:
    """people.yaml/.yml/.csv beside the catalog (in its directory), else one directory up."""
    return _find(catalog_path, PEOPLE_FILE_NAMES)


def find_connectors_file(catalog_path: Path) -> Path | None:
    return _find(catalog_path, CONNECTORS_FILE_NAMES)


def _find(catalog_path: Path, names: tuple[str, ...]) -> Path | None:
    base = catalog_path if catalog_path.is_dir() else catalog_path.parent
    for folder in (base, base.parent):
        for name in names:
            if (folder / name).is_file():
                return folder / name
    return None


def read_connector_names(path: Path) -> list[str]:
    """The instance names in connectors.yaml (``instances: {name: {type: ...}}``); options are not read.

    Validating each instance's options is the connector registry's job; the catalog only needs
    to know which names exist.
    """
    doc = load_yaml(path)
    if doc.issues:
        raise PolicyLoadError(doc.issues)
    data = doc.data
    instances = data.get("instances") if isinstance(data, dict) else None
    if not isinstance(instances, dict):
        raise PolicyLoadError([PolicyIssue(str(path), doc.line(()), "expected instances: mapping each "
                                                                    "instance name to its settings")])
    return [str(name) for name in instances]
