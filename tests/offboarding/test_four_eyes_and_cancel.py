"""Four eyes for offboarding someone with privileged access, break glass, and withdrawing an
offboarding that has not started: through the CLI (as a shell would) and the lifecycle paths."""

from __future__ import annotations

from datetime import datetime, timezone

import typer
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.offboard import offboard_app
from bot.directory import service as directory
from bot.ledger import due
from bot.offboarding import jobs
from bot.offboarding.timers import OffboardingKind
from bot.store.models import AuditEvent, Offboarding
from tests.lifecycle.helpers import hr
from tests.offboarding.conftest import holding
from tests.support.deps import fire_due
from tests.support.waiting import wait_until

cli = typer.Typer()
cli.add_typer(offboard_app, name="offboard")
KIM = "kim@acme.test"  # a second IT admin


def _invoke(deps, *args):
    return CliRunner().invoke(cli, list(args), obj=deps)


def _second_admin(deps) -> None:
    with deps.store.uow() as s:
        directory.upsert(s, directory.PersonInput(email=KIM, name="Kim", department="IT", groups=["it-admins"]),
                         source="test", now=deps.clock.now())


def _record(deps, offboarding_id: int) -> Offboarding:
    with deps.store.uow() as s:
        return s.get(Offboarding, offboarding_id)


def _wait_until_done(deps, offboarding_id: int) -> None:
    """Waits on the offboarding engine's background drive (bounded; returns as soon as it is done)."""
    wait_until(lambda: _record(deps, offboarding_id).status == "done",
               what=lambda: f"offboarding #{offboarding_id} done (it is {_record(deps, offboarding_id).status})")


def _audit(deps, action: str) -> list[AuditEvent]:
    with deps.store.uow() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def test_privileged_leaver_waits_for_a_second_admin_who_must_be_someone_else(world, deps):
    _second_admin(deps)
    holding(world, "alice@acme.test", "github:admin", "wiki:editor")
    preview = _invoke(deps, "offboard", "run", "alice@acme.test", "--dry-run")
    assert "a second IT admin must confirm it (four eyes: they hold privileged access (github:admin))" in preview.output

    asked = _invoke(deps, "offboard", "run", "alice@acme.test", "--as", "ivan@acme.test", "--reason", "left")
    assert asked.exit_code == 3, asked.output
    assert "Offboarding #1 of alice@acme.test waits for a second IT admin (four eyes: github:admin)" in asked.output
    assert _record(deps, 1).status == "unconfirmed" and world.connectors["gh"].members["gh-admins"]

    same = _invoke(deps, "offboard", "confirm", "1", "--as", "ivan@acme.test")
    assert same.exit_code == 1 and "a different IT admin must confirm it" in same.output
    assert [a.detail["code"] for a in _audit(deps, "refused.confirm_offboarding")] == ["not_authorized"]
    assert _invoke(deps, "offboard", "confirm", "1").exit_code == 2  # --as is required: who confirms matters

    confirmed = _invoke(deps, "offboard", "confirm", "1", "--as", KIM)
    assert confirmed.exit_code == 0, confirmed.output
    assert "Offboarding #1 of alice@acme.test: done" in confirmed.output
    assert "requested by ivan@acme.test" in confirmed.output and f"confirmed by {KIM}" in confirmed.output
    assert not world.connectors["gh"].members["gh-admins"]
    [event] = _audit(deps, "offboarding.confirmed")
    assert event.actor == KIM and event.detail["asked_by"] == "ivan@acme.test"
    again = _invoke(deps, "offboard", "confirm", "1", "--as", KIM)
    assert again.exit_code == 1 and f"was already confirmed by {KIM}" in again.output


def test_break_glass_needs_a_reason_and_is_audited(world, deps):
    holding(world, "alice@acme.test", "okta:admin")
    bare = _invoke(deps, "offboard", "run", "alice@acme.test", "--as", "ivan@acme.test", "--break-glass")
    assert bare.exit_code == 1 and "Break glass needs a reason" in bare.output
    glass = _invoke(deps, "offboard", "run", "alice@acme.test", "--as", "ivan@acme.test", "--break-glass",
                    "--reason", "account compromised, attacker active")
    assert glass.exit_code == 0, glass.output
    assert "BREAK GLASS (no second confirmation) by ivan@acme.test: account compromised" in glass.output
    [event] = _audit(deps, "offboarding.break_glass")
    assert event.detail["privileged"] == ["okta:admin"] and event.actor == "ivan@acme.test"


def test_break_glass_can_be_turned_off_and_confirmation_required_always(world, deps, tmp_path):
    from dataclasses import replace

    settings = deps.catalog.settings
    deps.catalog.settings = replace(settings, offboarding=replace(settings.offboarding, break_glass=False,
                                                                  second_confirmation="always"))
    try:
        holding(world, "bob@acme.test", "wiki:editor")  # nothing privileged: "always" still asks
        held = _invoke(deps, "offboard", "run", "bob@acme.test", "--reason", "left")
        assert held.exit_code == 3 and "four eyes: the catalog's rule" in held.output
        refused = _invoke(deps, "offboard", "run", "bob@acme.test", "--break-glass", "--reason", "now")
        assert refused.exit_code == 1 and "Break glass is turned off" in refused.output
    finally:
        deps.catalog.settings = settings


def test_hr_leaver_is_never_held_and_supersedes_a_waiting_proposal(world, deps):
    holding(world, "alice@acme.test", "github:admin")
    assert _invoke(deps, "offboard", "run", "alice@acme.test", "--as", "ivan@acme.test").exit_code == 3
    result = hr(deps, "leaver", "alice@acme.test", termination="immediate")
    assert result.status == "applied"
    _wait_until_done(deps, result.offboarding_ids[0])  # the intake drives it in the background
    assert _record(deps, 1).status == "cancelled"
    assert _record(deps, 1).report["cancelled"]["reason"] == f"superseded: offboarding #{result.offboarding_ids[0]} started"
    assert _record(deps, result.offboarding_ids[0]).status == "done"
    assert not world.connectors["gh"].members["gh-admins"]


def test_cancel_by_id_removes_the_due_run_and_a_started_one_cannot_be_cancelled(world, deps):
    holding(world, "alice@acme.test", "wiki:editor")
    scheduled = _invoke(deps, "offboard", "run", "alice@acme.test", "--at", "2026-11-30T17:00")
    assert scheduled.exit_code == 0, scheduled.output
    with deps.store.uow() as s:
        assert len(due.pending(s, OffboardingKind.OFFBOARD, _record(deps, 1).person_id)) == 1
    bob = _invoke(deps, "offboard", "cancel", "1", "--as", "bob@acme.test")
    assert bob.exit_code == 1 and "Only IT admins" in bob.output and _record(deps, 1).status == "scheduled"
    cancelled = _invoke(deps, "offboard", "cancel", "#1", "--as", "ivan@acme.test", "--reason", "contract extended")
    assert cancelled.exit_code == 0 and "Offboarding #1 of alice@acme.test cancelled." in cancelled.output
    with deps.store.uow() as s:
        assert due.pending(s, OffboardingKind.OFFBOARD, _record(deps, 1).person_id) == []
    [event] = _audit(deps, "offboarding.cancelled")
    assert event.detail["reason"] == "contract extended" and event.detail["was"] == "scheduled"
    world.clock.set(datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert fire_due(deps, jobs.HANDLERS) == []
    assert world.connectors["mem"].members["wiki-editors"] == {"alice@acme.test"}

    assert _invoke(deps, "offboard", "run", "alice@acme.test").exit_code == 0
    started = _invoke(deps, "offboard", "cancel", "2")
    assert started.exit_code == 1 and "has already started (done): it can no longer be cancelled" in started.output
    assert _invoke(deps, "offboard", "cancel", "1").exit_code == 1  # already cancelled
    assert _invoke(deps, "offboard", "cancel", "99").exit_code == 1


def test_the_timer_does_not_run_an_offboarding_cancelled_after_it_was_claimed(world, deps):
    """The timer claimed the due row just before IT cancelled: its handler re-reads the locked record."""
    holding(world, "alice@acme.test", "wiki:editor")
    assert _invoke(deps, "offboard", "run", "alice@acme.test", "--at", "2026-11-30T17:00").exit_code == 0
    with deps.store.uow() as s:
        [row] = due.pending(s, OffboardingKind.OFFBOARD, _record(deps, 1).person_id)
        payload, ref_id = dict(row.payload), row.ref_id
    assert _invoke(deps, "offboard", "cancel", "alice@acme.test").exit_code == 0
    jobs.offboard_scheduled(deps, ref_id, payload)
    assert _record(deps, 1).status == "cancelled"
    assert world.connectors["mem"].members["wiki-editors"] == {"alice@acme.test"}
