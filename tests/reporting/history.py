"""A known history, made by the real operations on a manual clock, whose figures the tests work
out by hand:

  t0        Alice asks for GitHub admin (manager, then owner approve)
  t0+10m    Dana approves; t0+15m Olga approves → 900 s to approve
  t0+20m    the runner provisions it → 1200 s to provision
  t0+20m    Bob asks for GitHub member (no approval: auto-approved), provisioned at once → 0 s
  t0+1h     Bob's HR leaver event: the first removal fails (a 503)
  t0+1h+90s the offboarding is run again and the last system confirms → 90 s to deprovision
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain.enums import Trigger
from bot.ledger.context import Actor
from bot.offboarding import engine
from connectors.errors import TransientError
from tests.lifecycle.helpers import hr, wait_for_offboarding

ADMIN = "github:admin"


def build(world, deps, *, runner=None) -> dict:
    """``runner``: the one to run the calls (default the world's; deps.runner to observe its metrics)."""
    run = (runner or world.runner).run_due
    t0 = world.clock.now()
    alice = world.submit("alice@acme.test", ADMIN, justification="release")
    world.advance(minutes=10)
    world.decide("dana@acme.test", alice)
    world.advance(minutes=5)
    world.decide("olga@acme.test", alice)
    world.advance(minutes=5)
    run()
    bob = world.submit("bob@acme.test", "github:member", justification="reviews")
    run()
    world.advance(minutes=40)
    world.mem.fail_next(TransientError("503 from the target"))
    hr(deps, "leaver", "bob@acme.test")
    wait_for_offboarding(deps, "bob@acme.test")
    world.advance(seconds=90)
    engine.run(deps, email="bob@acme.test", actor=Actor("cli:it", Trigger.CLI))
    return {"t0": t0, "alice_request": alice, "bob_request": bob, "leaver_at": t0 + timedelta(hours=1)}
