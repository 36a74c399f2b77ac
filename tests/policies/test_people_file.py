"""The people file reader: YAML and CSV, relations checked, every problem with its line."""

from __future__ import annotations

from datetime import date

import pytest

from policies import PolicyLoadError
from policies.people_file import PeopleDirectory, read_people
from tests.policies.conftest import ACME, write_files


def test_the_example_people_file(acme_directory):
    assert len(acme_directory.emails) == 25
    bob = acme_directory.get("Bob.Martin@acme.example")
    assert (bob.name, bob.manager_email, bob.github, bob.handles) == (
        "Bob Martin", "linus.torvalds@acme.example", "bobm", {"github": "bobm"})
    assert acme_directory.members_of("it-admins") == ["ivan.petrov@acme.example", "priya.shah@acme.example"]
    assert acme_directory.is_manager("linus.torvalds@acme.example")
    assert not acme_directory.is_manager("bob.martin@acme.example")


def test_facts_for_policies(acme_directory):
    facts = acme_directory.facts("zoe.contractor@acme.example", on=date(2026, 12, 1))
    assert (facts.employment_type, facts.status, facts.is_manager) == ("contractor", "active", False)
    assert facts.attributes["agency"] == "Northwind Consulting"
    assert acme_directory.facts("zoe.contractor@acme.example", on=date(2027, 4, 1)).status == "terminated"
    assert acme_directory.facts("nobody@acme.example") is None


def test_csv_people_file(tmp_path):
    write_files(tmp_path, {"people.csv": """
        email,name,department,manager,groups,start_date,cost_center
        boss@acme.example,Boss,Exec,,leadership,2020-01-01,C1
        ann@acme.example,Ann,Eng,boss@acme.example,engineering;sre,2021-02-03,C2
    """})
    records = read_people(tmp_path / "people.csv")
    ann = records[1]
    assert (ann.manager_email, ann.groups, ann.start_date, ann.attributes) == (
        "boss@acme.example", ("engineering", "sre"), date(2021, 2, 3), {"cost_center": "C2"})
    assert ann.source_line == 3
    assert PeopleDirectory(records).members_of("sre") == ["ann@acme.example"]


def test_every_problem_is_reported_with_its_line(tmp_path):
    write_files(tmp_path, {"people.yaml": """
        people:
          - {email: boss@acme.example, manager: ann@acme.example}
          - {email: ann@acme.example, manager: boss@acme.example}
          - {email: ann@acme.example}
          - {email: carl@acme.example, manager: ghost@acme.example, start_date: soon}
          - {email: dee@acme.example, manager: dee@acme.example, departmnt: Eng}
          - {email: eve@acme.example, manager: carl@acme.example}
    """})
    with pytest.raises(PolicyLoadError) as caught:
        read_people(tmp_path / "people.yaml")
    messages = [str(i).replace(f"{tmp_path}/", "") for i in caught.value.issues]
    assert messages == [
        "people.yaml:2: boss@acme.example: the manager chain loops back to this person",
        "people.yaml:3: ann@acme.example: the manager chain loops back to this person",
        "people.yaml:4: duplicate person ann@acme.example (first on line 3)",
        "people.yaml:5: carl@acme.example: start_date: should be a valid date or datetime, input is too short, "
        "got 'soon'",
        "people.yaml:6: dee@acme.example: unknown key 'departmnt' (did you mean 'department'?)",
    ]


def test_csv_errors_name_the_row(tmp_path):
    write_files(tmp_path, {"people.csv": "email,manager\nnot-an-email,\nok@acme.example,ghost@acme.example\n"})
    with pytest.raises(PolicyLoadError) as caught:
        read_people(tmp_path / "people.csv")
    assert [str(i).replace(f"{tmp_path}/", "") for i in caught.value.issues] == [
        "people.csv:2: not-an-email: email: 'not-an-email' is not an email address",
        "people.csv:3: ok@acme.example: manager ghost@acme.example is not in this file",
    ]


def test_example_files_sit_together():
    assert (ACME / "people.yaml").is_file() and (ACME / "connectors.yaml").is_file()
