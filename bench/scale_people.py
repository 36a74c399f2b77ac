"""The scale fixture's company: people in departments under managers, 5 % contractors.

Rows are tuples for ``bulk_load.write`` (columns ``PEOPLE_COLUMNS``); ids start at 1 and the
CEO is person 1. Each department has a head reporting to the CEO, managers (about one in eight)
reporting to the head or to a senior manager, and individual contributors under a manager.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bench.scale_catalog import DEPARTMENTS, slug

PEOPLE_COLUMNS = ("id", "email", "employee_id", "slack_user_id", "name", "department", "title", "manager_id",
                  "location", "employment_type", "status", "start_date", "end_date", "groups", "attributes",
                  "timezone", "created_at", "updated_at")
FIRST = ["ada", "alan", "ana", "ben", "chen", "dara", "eli", "fatima", "gus", "hana", "ivan", "jo", "kemi", "lars",
         "mia", "noor", "omar", "pia", "quinn", "raj", "sara", "tom", "uma", "vic", "wen", "xia", "yusuf", "zoe"]
LAST = ["okafor", "nguyen", "smith", "garcia", "muller", "rossi", "kim", "patel", "silva", "cohen", "novak",
        "haddad", "larsen", "tanaka", "dubois", "ivanova", "mensah", "oconnor", "khan", "lopez"]
LOCATIONS = [("London", 30), ("New York", 20), ("Berlin", 12), ("Lagos", 8), ("Bangalore", 12), ("Remote", 18)]
DEPARTMENT_WEIGHTS = [30, 14, 10, 5, 6, 3, 4, 4, 6, 4, 2, 12]
AGENCIES = ["Northwind Consulting", "Contoso Staffing", "Globex Talent"]


@dataclass
class Company:
    rows: list[tuple] = field(default_factory=list)
    department_of: list[str] = field(default_factory=list)  # index = person id
    manager_of: list[int | None] = field(default_factory=list)
    contractor: list[bool] = field(default_factory=list)
    managers: set[int] = field(default_factory=set)
    heads: dict[str, int] = field(default_factory=dict)
    members: dict[str, list[int]] = field(default_factory=dict)

    def email(self, person_id: int) -> str:
        return self.rows[person_id - 1][1]


def build_company(n: int, rng: random.Random, now: datetime) -> Company:
    company = Company(department_of=[""] * (n + 1), manager_of=[None] * (n + 1), contractor=[False] * (n + 1))
    departments = ["Operations"] + rng.choices(DEPARTMENTS, weights=DEPARTMENT_WEIGHTS, k=n - 1)
    for person_id, department in enumerate(departments, start=1):
        company.department_of[person_id] = department
        company.members.setdefault(department, []).append(person_id)
    for department, members in company.members.items():
        _organise(company, department, [m for m in members if m != 1], rng)
    for person_id in range(1, n + 1):
        company.rows.append(_row(company, person_id, rng, now))
    return company


def _organise(company: Company, department: str, members: list[int], rng: random.Random) -> None:
    if not members:
        return
    head, rest = members[0], members[1:]
    company.heads[department] = head
    company.manager_of[head] = 1
    company.managers.update({1, head})
    managers = rest[:math.ceil(len(rest) / 8)]
    for i, manager in enumerate(managers):
        company.manager_of[manager] = head if i < 8 else managers[i // 8 - 1]
        company.managers.add(manager)
    for person in rest[len(managers):]:
        company.manager_of[person] = rng.choice(managers) if managers else head
        company.contractor[person] = rng.random() < 0.0555  # of ICs: about 5 % of everyone


def _row(company: Company, person_id: int, rng: random.Random, now: datetime) -> tuple:
    department = company.department_of[person_id]
    first, last = rng.choice(FIRST), rng.choice(LAST)
    contractor = company.contractor[person_id]
    groups = [slug(department)]
    if department == "IT":
        groups.append("it-admins")
    groups += [g for g, p in (("admins", 0.03), ("oncall", 0.08), ("sre", 0.1 if department == "Engineering" else 0),
                              ("leads", 0.05)) if rng.random() < p]
    attributes = {"agency": rng.choice(AGENCIES)} if contractor else {}
    start = date(2015, 1, 1) + timedelta(days=rng.randrange(0, 4000))
    end = (now.date() + timedelta(days=rng.randrange(30, 365))) if contractor else None
    created = now - timedelta(days=366)
    return (person_id, f"{first}.{last}.{person_id}@scale.test", f"E{person_id:06d}", f"U{person_id:08d}",
            f"{first.title()} {last.title()}", department, _title(company, person_id, department, contractor),
            company.manager_of[person_id], rng.choices([loc for loc, _ in LOCATIONS], [w for _, w in LOCATIONS])[0],
            "contractor" if contractor else "employee", "active", start, end, groups, attributes, None,
            created, created)


def _title(company: Company, person_id: int, department: str, contractor: bool) -> str:
    if person_id == 1:
        return "Chief Executive Officer"
    if company.heads.get(department) == person_id:
        return f"VP {department}"
    if person_id in company.managers:
        return f"{department} Manager"
    return f"{'Contract ' if contractor else ''}{department} Specialist"
