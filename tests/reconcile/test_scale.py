"""Reconcile at scale: a bounded number of statements however many memberships, findings and grants;
pages streamed (progress after each), a listing that fails mid-way never read as complete."""

from __future__ import annotations

from sqlalchemy import event, func, select

from bot.reconcile.run import reconcile
from bot.store.models import OrphanFinding
from connectors.registry import ConnectorSet
from tests.lifecycle.helpers import drain
from tests.reconcile.paged import PagedMemory
from tests.support.deps import close, deps_for
from tests.support.world import make_world


def _grant(world, email, ref):
    rid = world.submit(email, ref)
    if world.request(rid).status == "pending":
        world.decide("dana@acme.test", rid)
    world.run()


def _statements(deps, **kwargs):
    sent = []

    def count(conn, cursor, statement, *args):
        sent.append(statement)

    event.listen(deps.store.engine, "before_cursor_execute", count)
    try:
        result = reconcile(deps, **kwargs)
    finally:
        event.remove(deps.store.engine, "before_cursor_execute", count)
    return len(sent), result


def _strangers(world, target, start, stop):
    world.mem.members[target].update(f"s{n}@elsewhere.test" for n in range(start, stop))


def test_statements_do_not_grow_with_memberships_findings_or_grants(world, deps):
    _grant(world, "alice@acme.test", "wiki:editor")
    _strangers(world, "wiki-editors", 0, 3)
    _statements(deps)  # the first findings; later runs also see some again
    _strangers(world, "wiki-editors", 3, 10)
    small, first = _statements(deps)

    _grant(world, "bob@acme.test", "wiki:editor")
    _grant(world, "alice@acme.test", "erp:payments-create")
    _strangers(world, "wiki-editors", 10, 300)
    _strangers(world, "erp-pay-create", 0, 200)
    large, second = _statements(deps)

    assert second.orphans == first.orphans + 490 and second.systems[0].accounts > 500
    assert large == small  # nothing is sent per membership, finding, target or grant
    assert large <= 15
    with world.store.uow() as s:
        assert s.scalar(select(func.count()).select_from(OrphanFinding).where(OrphanFinding.fixed_at.is_(None))) == 500


def test_findings_fixed_in_one_batch_and_seen_again_in_another(world, deps):
    _strangers(world, "wiki-editors", 0, 50)
    reconcile(deps)
    world.mem.members["wiki-editors"] -= {f"s{n}@elsewhere.test" for n in range(25)}
    reconcile(deps)
    with world.store.uow() as s:
        rows = s.execute(select(OrphanFinding.principal, OrphanFinding.fixed_at, OrphanFinding.last_seen_at,
                                OrphanFinding.first_seen_at)).all()
    fixed = {p for p, fixed_at, *_ in rows if fixed_at is not None}
    assert fixed == {f"s{n}@elsewhere.test" for n in range(25)} and len(rows) == 50


def test_pages_are_streamed_and_told_to_progress(world, deps):
    _grant(world, "alice@acme.test", "wiki:editor")
    _strangers(world, "wiki-editors", 0, 9)  # 10 members: 5 pages of 2
    told = []
    result = reconcile(deps, progress=told.append)
    [last] = [p for p in told if p.done]
    assert last is told[-1] and last.system == "mem" and last.pages == world.mem.pages_read
    assert last.memberships == result.systems[0].accounts and last.orphans == 9 and last.missing == 0
    assert last.targets_done == last.targets == len(result.systems[0].checked)
    pages = [p.pages for p in told if not p.done]
    assert pages == sorted(pages) and len(set(pages)) == world.mem.pages_read  # one report per page at least


def test_a_listing_that_fails_on_a_later_page_is_not_listed_at_all(world, deps):
    _grant(world, "alice@acme.test", "wiki:editor")
    _strangers(world, "wiki-editors", 0, 9)
    world.mem.fail_page["wiki-editors"] = 3  # pages 1-3 came in, then a 503
    result = reconcile(deps)
    mem = result.systems[0]
    assert mem.errors == {"wiki-editors": "transient: 503 on page 4 of wiki-editors"}
    assert "wiki-editors" not in mem.checked
    assert [o for o in mem.orphans if o.target == "wiki-editors"] == []  # the first pages are not reported
    assert [m for m in mem.missing if m.target == "wiki-editors"] == []


def test_orphan_removals_are_queued_without_a_statement_each(store, clock, tmp_path):
    world = make_world(store, clock, tmp_path)
    world.connectors = ConnectorSet({"mem": PagedMemory("mem", {"reconcile": "revoke_orphans"})})
    world.runner.connectors = world.connectors
    deps = deps_for(world)
    deps.runs_background_work = False  # no runner thread's statements counted with a run's; drain() runs it
    try:
        world.mem.members["wiki-editors"].add("bob@acme.test")
        reconcile(deps)
        drain(deps)  # bob's removal done: the next run fixes his finding
        world.mem.members["wiki-editors"].add("erin@acme.test")
        few, first = _statements(deps)
        drain(deps)
        world.mem.members["wiki-editors"].update({"olga@acme.test", "p1@acme.test", "dana@acme.test"})
        world.mem.members["erp-pay-create"].update({"p2@acme.test", "p3@acme.test", "ivan@acme.test"})
        many, second = _statements(deps)
    finally:
        close(deps)
    assert len(first.revocations) == 1 and len(second.revocations) == 6
    assert many == few  # one read of the removals under way, one flush of the new rows
