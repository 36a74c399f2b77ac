"""An offboarding finishes the moment its last outstanding step settles, whichever way it settles: an
asynchronous target confirming, a background retry succeeding (manual tasks: tests/slack_it/test_offboard.py).
Read back as IT does, with `accessbot offboard report`, and no resume job run in between."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from bot.cli.offboard import offboard_app
from bot.domain.enums import ActionStatus
from bot.ledger import due
from bot.offboarding.timers import OffboardingKind
from bot.provisioning.runner import ProvisioningRunner
from bot.timers.service import TimerService
from connectors.errors import TransientError
from connectors.registry import ConnectorSet
from connectors.webhook import WebhookConnector
from policies import load_catalog
from tests.offboarding.conftest import CATALOG, CountingConnector, holding
from tests.support.deps import close, deps_for, due_rows
from tests.support.http_peer import HttpPeer, Reply
from tests.support.world import PEOPLE, World, seed_people, write_catalog

cli = typer.Typer()
cli.add_typer(offboard_app, name="offboard")
SECRET = "offboarding-webhook-secret"


def _report(deps, email: str = "alice@acme.test") -> str:
    return CliRunner().invoke(cli, ["offboard", "report", email], obj=deps).output


def _headline(deps, email: str = "alice@acme.test") -> str:
    return _report(deps, email).splitlines()[0]


def test_a_retry_that_succeeds_later_finishes_a_partial_offboarding(world, deps):
    holding(world, "alice@acme.test", "okta:apps")
    world.connectors["okta"].fail_next(TransientError("okta answered 503"))
    CliRunner().invoke(cli, ["offboard", "run", "alice@acme.test"], obj=deps)
    assert _headline(deps) == "Offboarding #1 of alice@acme.test: partial" and "okta answered 503" in _report(deps)

    [failed] = [a for a in world.actions() if a.status == ActionStatus.FAILED_RETRYABLE]
    world.advance(minutes=2)  # past the backoff: the runner's own retry (the ACTION_RETRY job), not a resume
    for call in deps.runner.claim(limit=1, only=failed.id):
        deps.runner.run(call)
    shown = _report(deps)
    assert shown.startswith("Offboarding #1 of alice@acme.test: done\n") and "0 failed, 0 pending" in shown, shown
    assert due_rows(world.store, OffboardingKind.OFFBOARDING_RESUME) == []  # nothing left to come back for


def test_an_asynchronous_target_confirming_the_last_removal_finishes_it(store, clock, tmp_path):
    # The webhook protocol (docs/connectors.md, "webhook"): 202 {"status": "pending", "ref"} accepts the
    # call, GET status_url answers {"status": "applied"} once the receiving system has done it.
    with HttpPeer(secret=SECRET, default=Reply(200, json={"status": "applied"})) as peer:
        seed_people(store, clock)
        gh = WebhookConnector("gh", {"url": f"{peer.url}/hook", "secret": SECRET,
                                     "status_url": f"{peer.url}/status/{{ref}}", "retry_backoff": 0.001})
        connectors = ConnectorSet({"gh": gh, "mem": CountingConnector("mem"), "okta": CountingConnector("okta")})
        catalog = load_catalog(write_catalog(tmp_path, CATALOG), connectors=list(connectors),
                               people=[p["email"] for p in PEOPLE],
                               groups=sorted({g for p in PEOPLE for g in p.get("groups", [])}))
        world = World(store, clock, catalog, connectors, ProvisioningRunner(store, connectors, clock, lambda: catalog,
                                                                           threads=1))
        deps = deps_for(world)
        try:
            holding(world, "alice@acme.test", "github:member", "wiki:editor")
            peer.script("POST", "/hook", Reply(202, json={"status": "pending", "ref": "T-7"}))
            CliRunner().invoke(cli, ["offboard", "run", "alice@acme.test"], obj=deps)
            assert _headline(deps) == "Offboarding #1 of alice@acme.test: waiting"

            peer.script("GET", "/status/T-7", Reply(200, json={"status": "applied"}))
            world.advance(seconds=31)
            TimerService(deps).sweep_once()  # the poll of the pending call; the resume is 15 minutes away
            assert len(peer.requests_to("GET", "/status/T-7")) == 1
            shown = _report(deps)
            assert shown.startswith("Offboarding #1 of alice@acme.test: done\n") and "0 failed, 0 pending" in shown, shown
        finally:
            close(deps)
            gh.close()
