"""The scale fixture's catalog: 300 resources and 1,000 entitlements as YAML the real loader reads.

Eligibility rules read what a real catalog reads (department, groups, employment type, the
manager flag); a few birthright rules give every department its basics. Everything follows from
the seed, so two runs write the same files.
"""

from __future__ import annotations

import random
from pathlib import Path

from policies import load_catalog

SYSTEMS = [f"sys{n}" for n in range(1, 7)]
DEPARTMENTS = ["Engineering", "Sales", "Support", "Finance", "Marketing", "People", "IT", "Security", "Data",
               "Design", "Legal", "Operations"]
GROUP_EXTRAS = ["sre", "oncall", "admins", "leads", "auditors"]
ROLES = ["user", "editor", "admin", "viewer"]

HEADER = """\
settings:
  it_admins_group: it-admins
  it_channel: C0SCALEIT1
  fallback: {group: it-admins}
  mover_grace_period: 7d
defaults:
  risk: medium
  require_justification: false
  durations: {choices: [1h, 4h, 1d, 7d, 30d, 90d], default: 7d, maximum: 90d, permanent: true}
  approval: [manager]
  expiry_warnings: [1d]
"""


def slug(department: str) -> str:
    return department.lower()


def entitlement_counts(resources: int, entitlements: int) -> list[int]:
    """How many entitlements each resource has: 3 or 4, summing to ``entitlements``."""
    extra = max(0, min(resources, entitlements - 3 * resources))
    return [4 if i < extra else 3 for i in range(resources)]


def resource_departments(rng: random.Random) -> list[str]:
    return sorted(rng.sample(DEPARTMENTS, rng.choice([1, 2, 3, 4])))


def resource_yaml(index: int, rng: random.Random, count: int, owners: list[str]) -> tuple[str, list[str]]:
    departments = resource_departments(rng)
    lines = [f"  app{index:03d}:", f"    name: App {index:03d}", f"    connector: {SYSTEMS[index % len(SYSTEMS)]}",
             f"    owners: [{', '.join(owners)}]", "    entitlements:"]
    for role in ROLES[:count]:
        rule = f"person.department in [{', '.join(repr(d).replace(chr(39), chr(34)) for d in departments)}]"
        if role == "admin":
            rule = f'({rule}) && ("admins" in person.groups || person.is_manager)'
        elif role == "editor" and rng.random() < 0.5:
            rule += ' && person.employment_type == "employee"'
        lines += [f"      {role}:", f"        title: App {index:03d} {role}", f"        target: app{index:03d}-{role}",
                  f"        eligibility: '{rule}'"]
        if role == "admin":
            lines += ["        risk: high", "        durations: {choices: [1h, 4h, 1d], default: 4h, maximum: 1d}"]
    return "\n".join(lines) + "\n", departments


def birthright_yaml(birthright: dict[str, list[str]]) -> str:
    lines = ["birthright:", "  - name: everyone", '    when: person.employment_type in ["employee", "contractor"]',
             f"    grant: [{', '.join(birthright['*'])}]"]
    for department in DEPARTMENTS:
        lines += [f"  - name: {slug(department)}", f'    when: person.department == "{department}"',
                  f"    grant: [{', '.join(birthright[department])}]"]
    return "\n".join(lines) + "\n"


def write_catalog(folder: Path, *, seed: int, resources: int, entitlements: int,
                  owner_emails: list[str]) -> dict:
    """Write the catalog files; returns {"departments": {app: [dept...]}, "birthright": {...}, "refs": [...]}."""
    rng = random.Random(seed * 7919 + 1)
    folder.mkdir(parents=True, exist_ok=True)
    counts = entitlement_counts(resources, entitlements)
    body, departments_of, refs = [], {}, []
    for index, count in enumerate(counts):
        text, departments = resource_yaml(index, rng, count, rng.sample(owner_emails, 2))
        body.append(text)
        departments_of[f"app{index:03d}"] = departments
        refs += [f"app{index:03d}:{role}" for role in ROLES[:count]]
    birthright = _birthright(departments_of)
    (folder / "settings.yaml").write_text(HEADER)
    per_file = 50
    for start in range(0, len(body), per_file):
        (folder / f"resources-{start // per_file:02d}.yaml").write_text("resources:\n" + "".join(body[start:start + per_file]))
    (folder / "rules.yaml").write_text(birthright_yaml(birthright))
    return {"departments": departments_of, "birthright": birthright, "refs": refs}


def _birthright(departments_of: dict[str, list[str]]) -> dict[str, list[str]]:
    """Everyone: the "user" role of the first three resources open to all; each department: two of its own."""
    wide = [app for app, depts in departments_of.items() if len(depts) >= 3][:3] or list(departments_of)[:3]
    chosen = {"*": [f"{app}:user" for app in wide]}
    for department in DEPARTMENTS:
        own = [app for app, depts in departments_of.items() if department in depts and app not in wide]
        picks = own[:2] if len(own) >= 2 else (own + wide)[:2]
        chosen[department] = sorted({f"{app}:user" for app in picks})
    return chosen


def load(folder: Path):
    return load_catalog(folder, connectors=SYSTEMS)
