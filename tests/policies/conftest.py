from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from policies import Catalog, PolicyLoadError, load_catalog
from policies.neighbours import read_connector_names
from policies.people_file import PeopleDirectory, read_people

ACME = Path(__file__).resolve().parents[2] / "policies" / "examples" / "acme"


@pytest.fixture(scope="session")
def acme_directory() -> PeopleDirectory:
    return PeopleDirectory(read_people(ACME / "people.yaml"))


@pytest.fixture(scope="session")
def acme(acme_directory) -> Catalog:
    """The example catalog, cross-checked against its people and connectors files."""
    return load_catalog(ACME / "catalog", connectors=read_connector_names(ACME / "connectors.yaml"),
                        people=acme_directory.emails, groups=acme_directory.groups)


def write_files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


@pytest.fixture
def catalog_from(tmp_path) -> Callable[..., Catalog]:
    """Write one catalog.yaml (or several files) into tmp_path and load it."""

    def load(text: str | None = None, files: dict[str, str] | None = None, **known) -> Catalog:
        write_files(tmp_path, files or {"catalog.yaml": text or ""})
        return load_catalog(tmp_path, **known)

    return load


@pytest.fixture
def issues_from(catalog_from, tmp_path) -> Callable[..., list[str]]:
    """Load a catalog that must fail; return each issue as "file:line: message", paths relative to tmp_path."""

    def load(text: str | None = None, files: dict[str, str] | None = None, **known) -> list[str]:
        with pytest.raises(PolicyLoadError) as caught:
            catalog_from(text, files, **known)
        return [str(i).replace(f"{tmp_path}/", "") for i in caught.value.issues]

    return load


# A minimal valid resource to build on in tests.
GITHUB = """
resources:
  github:
    name: GitHub
    owners: [owner@acme.example]
    connector: github
    entitlements:
      member:
        target: acme
        risk: low
      admin:
        target: acme
        risk: high
        durations: {choices: [1h, 4h, 1d], default: 1h, maximum: 1d}
"""
