"""The Extend button on an on-call grant: approved while on call, but never past the end of the shift."""

from __future__ import annotations

from datetime import timedelta

from bot.directory import service as directory
from bot.domain.enums import RequestStatus, Trigger
from bot.ledger.context import Actor, Ctx
from bot.requests.submit import submit
from policies.on_call import OnCallStatus
from tests.oncall.support import ON_CALL_CATALOG
from tests.support.world import make_world


class Shift:
    """An OnCallLookup: alice is the payments first responder until ``ends``."""

    def __init__(self, ends):
        self.ends = ends

    def status(self, schedule: str, email: str) -> OnCallStatus:
        if schedule == "payments" and email == "alice@acme.test":
            return OnCallStatus(True, 1, self.ends)
        return OnCallStatus(False)


def ask(world, lookup, **kw):
    with world.store.uow() as s:
        alice = directory.require(s, "alice@acme.test")
        ctx = Ctx(world.catalog, world.clock.now(), Actor(label=alice.email, trigger=Trigger.SLACK), lookup)
        result = submit(s, ctx, requester=alice, entitlement="github:admin", justification="INC-9 fix", **kw)
        return result.request.id


def test_an_extension_is_cut_to_the_shift_and_none_is_given_after_it(store, clock, tmp_path):
    world = make_world(store, clock, tmp_path, ON_CALL_CATALOG)
    lookup = Shift(clock.now() + timedelta(hours=3))
    first = world.request(ask(world, lookup, duration=timedelta(hours=1)))
    assert first.status == RequestStatus.APPROVED and first.duration_seconds == 3600  # shorter than the shift
    world.run()
    [grant] = world.grants_of("alice@acme.test")
    assert grant.ends_at == clock.now() + timedelta(hours=1)

    more = world.request(ask(world, lookup, duration=timedelta(hours=4), extension_of=grant.id))
    assert more.status == RequestStatus.APPROVED and more.duration_seconds == 2 * 3600  # 1h + 2h = the shift end
    world.run()
    assert world.grants_of("alice@acme.test")[0].ends_at == clock.now() + timedelta(hours=3)

    again = world.request(ask(world, lookup, duration=timedelta(hours=1), extension_of=grant.id))
    assert again.status == RequestStatus.PENDING  # the grant already lasts to the end of the shift
