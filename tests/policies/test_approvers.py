"""Approval steps resolved to people: manager chain, owners, named people, groups, fallback, self-exclusion."""

from __future__ import annotations

from policies.approvers import resolve_chain, resolve_step
from policies.model import ApprovalStepSpec
from policies.settings import Settings

BOB = "bob.martin@acme.example"
LINUS = "linus.torvalds@acme.example"


def test_manager_and_group_steps_for_the_example(acme, acme_directory):
    steps = resolve_chain(acme.entitlement("aws-prod:admin"), BOB, acme_directory, acme.settings)
    assert [(s.step.label, s.approvers, s.used_fallback) for s in steps] == [
        ("Manager", [LINUS], False),
        ("Security on duty", ["sam.rivera@acme.example", "erin.kim@acme.example"], False),
    ]


def test_manager_of_manager(acme, acme_directory):
    step = ApprovalStepSpec("manager_of_manager", label="Skip level")
    resolved = resolve_step(step, requester=BOB, owners=[], directory=acme_directory, settings=acme.settings)
    assert resolved.approvers == ["grace.hopper@acme.example"]


def test_the_requester_never_approves_their_own_request(acme, acme_directory):
    # Tom owns GitHub; when Tom asks for GitHub admin, only the other owner can approve the owners step.
    steps = resolve_chain(acme.entitlement("github:admin"), "tom.baker@acme.example", acme_directory, acme.settings)
    owners = steps[1]
    assert owners.approvers == [LINUS]
    assert "tom.baker@acme.example is the requester and cannot approve" in owners.note


def test_nobody_left_means_the_fallback_approvers(acme, acme_directory):
    # The CEO has no manager: the IT admins group is the catalog's fallback.
    steps = resolve_chain(acme.entitlement("github:member"), "ada.lovelace@acme.example", acme_directory,
                          acme.settings)
    assert steps[0].used_fallback
    assert steps[0].approvers == ["ivan.petrov@acme.example", "priya.shah@acme.example"]
    assert "has no manager in the directory" in steps[0].note


def test_quorum_not_reachable_adds_fallback_and_excludes_the_requester(acme_directory):
    step = ApprovalStepSpec("people", quorum=2, people=["ivan.petrov@acme.example", "sam.rivera@acme.example"])
    settings = Settings(fallback_people=["ivan.petrov@acme.example", "ada.lovelace@acme.example"])
    resolved = resolve_step(step, requester="ivan.petrov@acme.example", owners=[], directory=acme_directory,
                            settings=settings)
    assert resolved.approvers == ["sam.rivera@acme.example", "ada.lovelace@acme.example"]
    assert resolved.used_fallback


def test_no_fallback_configured_leaves_the_step_empty_and_says_so(acme_directory):
    step = ApprovalStepSpec("group", group="nobody-here")
    resolved = resolve_step(step, requester=BOB, owners=[], directory=acme_directory, settings=Settings())
    assert resolved.approvers == []
    assert resolved.note == "group nobody-here has no members; no approver and no fallback approver available"
