"""The behaviours every connector must show, as one reusable suite (APScheduler style).

Use it for a new connector by subclassing ``ConnectorContract`` in a test module and providing a
``harness`` fixture that builds the connector against its real local server or documented fake::

    class TestOktaContract(ConnectorContract):
        @pytest.fixture
        def harness(self, okta_fake):
            connector = OktaConnector("okta", {...})
            yield ContractHarness(connector, subjects=[...], target=Target("00g..."),
                                  unknown=Subject("ghost@example.com"), writes=lambda: okta_fake.write_count)
            connector.close()

The class is not collected by itself (its name does not start with ``Test``). Asynchronous
connectors are followed through ``poll`` (bounded) before outcomes are compared, and optional
capabilities are checked both ways: supported ones must work, missing ones must raise
``Unsupported``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from connectors.base import ActionResult, Connector, Outcome, PrincipalRef, Subject, Target
from connectors.errors import ConnectorError, PrincipalNotFound, Unsupported

MAX_POLLS = 10


@dataclass
class ContractHarness:
    connector: Connector
    subjects: Sequence[Subject]  # at least three people with accounts in the target, holding nothing
    target: Target  # an existing entitlement
    unknown: Subject  # a person with no account in the target
    writes: Callable[[], int]  # how many changing requests the target has received so far

    def principal(self, index: int = 0) -> PrincipalRef:
        return self.connector.resolve(self.subjects[index])


def settle(connector: Connector, principal: PrincipalRef, target: Target, result: ActionResult) -> ActionResult:
    """Follow a PENDING result until the target finishes (asynchronous targets)."""
    for _ in range(MAX_POLLS):
        if result.outcome is not Outcome.PENDING:
            return result
        result = connector.poll(principal, target, result)
    raise AssertionError(f"{connector.kind} still pending after {MAX_POLLS} polls")


class ConnectorContract:
    @pytest.fixture
    def harness(self) -> ContractHarness:  # pragma: no cover - subclasses provide it
        raise NotImplementedError("provide a `harness` fixture returning a ContractHarness")

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def grant(h: ContractHarness, principal: PrincipalRef, action_id: str) -> Outcome:
        return settle(h.connector, principal, h.target,
                      h.connector.grant(principal, h.target, action_id=action_id)).outcome

    @staticmethod
    def revoke(h: ContractHarness, principal: PrincipalRef, action_id: str) -> Outcome:
        return settle(h.connector, principal, h.target,
                      h.connector.revoke(principal, h.target, action_id=action_id)).outcome

    # -- convergence ---------------------------------------------------------------------------
    def test_grant_twice_applies_then_reports_already(self, harness):
        alice = harness.principal()
        assert self.grant(harness, alice, "contract-g1") is Outcome.APPLIED
        writes = harness.writes()
        assert self.grant(harness, alice, "contract-g2") is Outcome.ALREADY
        assert harness.connector.is_granted(alice, harness.target) is True
        assert harness.writes() - writes <= 1  # a check-then-act connector sends no write at all

    def test_revoke_twice_applies_then_reports_already(self, harness):
        alice = harness.principal()
        self.grant(harness, alice, "contract-g1")
        assert self.revoke(harness, alice, "contract-r1") is Outcome.APPLIED
        assert self.revoke(harness, alice, "contract-r2") is Outcome.ALREADY
        assert harness.connector.is_granted(alice, harness.target) is False

    def test_revoking_what_was_never_granted_is_already(self, harness):
        assert self.revoke(harness, harness.principal(), "contract-r1") is Outcome.ALREADY

    def test_is_granted_follows_grant_and_revoke(self, harness):
        alice = harness.principal()
        seen = [harness.connector.is_granted(alice, harness.target)]
        self.grant(harness, alice, "contract-g1")
        seen.append(harness.connector.is_granted(alice, harness.target))
        self.revoke(harness, alice, "contract-r1")
        seen.append(harness.connector.is_granted(alice, harness.target))
        assert seen == [False, True, False]

    def test_revoke_leaves_other_holders_alone(self, harness):
        alice, bob = harness.principal(0), harness.principal(1)
        self.grant(harness, alice, "contract-g1")
        self.grant(harness, bob, "contract-g2")
        self.revoke(harness, alice, "contract-r1")
        assert harness.connector.is_granted(bob, harness.target) is True
        assert harness.connector.is_granted(alice, harness.target) is False

    # -- dry run -------------------------------------------------------------------------------
    def test_dry_run_sends_nothing_and_returns_planned(self, harness):
        alice = harness.principal()
        writes = harness.writes()
        grant = harness.connector.grant(alice, harness.target, action_id="contract-d1", dry_run=True)
        revoke = harness.connector.revoke(alice, harness.target, action_id="contract-d2", dry_run=True)
        assert grant.outcome is Outcome.PLANNED and revoke.outcome is Outcome.PLANNED
        assert grant.planned_calls and revoke.planned_calls
        assert harness.writes() == writes
        assert harness.connector.is_granted(alice, harness.target) is False

    # -- listing -------------------------------------------------------------------------------
    def test_list_members_reflects_grants_or_is_unsupported(self, harness):
        connector = harness.connector
        if not connector.capabilities.list_members:
            with pytest.raises(Unsupported):
                list(connector.list_members(harness.target))
            with pytest.raises(Unsupported):
                list(connector.member_pages(harness.target))
            return
        alice, bob = harness.principal(0), harness.principal(1)
        before = {p.id for p in connector.list_members(harness.target)}
        self.grant(harness, alice, "contract-g1")
        self.grant(harness, bob, "contract-g2")
        assert {p.id for p in connector.list_members(harness.target)} == before | {alice.id, bob.id}
        paged = [p.id for page in connector.member_pages(harness.target) for p in page]  # the same, page by page
        assert sorted(paged) == sorted(p.id for p in connector.list_members(harness.target))
        self.revoke(harness, alice, "contract-r1")
        assert {p.id for p in connector.list_members(harness.target)} == before | {bob.id}

    # -- people --------------------------------------------------------------------------------
    def test_a_person_without_an_account_is_principal_not_found(self, harness):
        """From ``resolve`` where the target can be asked, else from the first grant."""
        with pytest.raises(PrincipalNotFound):
            principal = harness.connector.resolve(harness.unknown)
            harness.connector.grant(principal, harness.target, action_id="contract-u1")

    # -- concurrency ---------------------------------------------------------------------------
    def test_concurrent_grants_from_several_threads_all_land(self, harness):
        principals = [harness.principal(i) for i in range(3)]
        outcomes: list[Outcome] = []
        errors: list[BaseException] = []

        def grant(principal: PrincipalRef, index: int) -> None:
            try:
                outcomes.append(self.grant(harness, principal, f"contract-c{index}"))
            except BaseException as exc:  # reported below: a thread's failure must fail the test
                errors.append(exc)

        threads = [threading.Thread(target=grant, args=(p, i)) for i, p in enumerate(principals)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert errors == []
        assert outcomes == [Outcome.APPLIED] * 3
        assert all(harness.connector.is_granted(p, harness.target) for p in principals)

    # -- accounts ------------------------------------------------------------------------------
    def test_suspend_and_reactivate_converge_or_are_unsupported(self, harness):
        connector, alice = harness.connector, harness.principal()
        if not connector.capabilities.suspend:
            with pytest.raises(Unsupported):
                connector.suspend(alice, action_id="contract-s1")
            return
        assert connector.capabilities.reactivate, "a connector that suspends must be able to undo it (re-hires)"
        outcomes = [settle(connector, alice, harness.target, call(alice, action_id=f"contract-s{i}")).outcome
                    for i, call in enumerate((connector.suspend, connector.suspend,
                                              connector.reactivate, connector.reactivate))]
        assert outcomes == [Outcome.APPLIED, Outcome.ALREADY, Outcome.APPLIED, Outcome.ALREADY]

    def test_reactivate_is_gated_by_its_capability(self, harness):
        connector, alice = harness.connector, harness.principal()
        if not connector.capabilities.reactivate:
            with pytest.raises(Unsupported):
                connector.reactivate(alice, action_id="contract-a1")
            return
        writes = harness.writes()
        if not connector.capabilities.manual:  # a task is opened whatever the account's state
            assert connector.reactivate(alice, action_id="contract-a1").outcome is Outcome.ALREADY
        assert harness.writes() - writes <= 1  # as for grant: a check-then-act connector sends nothing

    def test_reactivate_dry_run_sends_nothing(self, harness):
        connector, alice = harness.connector, harness.principal()
        if not connector.capabilities.reactivate:
            return
        settle(connector, alice, harness.target, connector.suspend(alice, action_id="contract-s1"))
        writes = harness.writes()
        planned = connector.reactivate(alice, action_id="contract-a1", dry_run=True)
        assert planned.outcome is Outcome.PLANNED and planned.planned_calls
        assert harness.writes() == writes

    # -- health --------------------------------------------------------------------------------
    def test_check_passes_against_a_healthy_target(self, harness):
        checks = harness.connector.check()
        assert checks, "check() must report at least one line"
        assert all(c.ok for c in checks), [c for c in checks if not c.ok]
        assert {c.name for c in checks} <= {"config", "credentials", "reachability"}

    def test_failures_are_connector_errors(self, harness):
        """Whatever goes wrong surfaces as a connectors.errors kind, never a library exception."""
        missing = Target("contract-no-such-target-0000", entitlement="contract:missing")
        try:
            harness.connector.grant(harness.principal(), missing, action_id="contract-m1")
        except ConnectorError:
            pass  # e.g. TargetNotFound
        else:
            # Targets that create containers on demand (memory) must then show the grant.
            assert harness.connector.is_granted(harness.principal(), missing) is True
