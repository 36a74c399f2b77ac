"""`accessbot report licenses` as a shell runs it: seats, usage, savings from known data, reclaimed."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.timers.service import TimerService
from bot.usage import collect
from tests.usage.conftest import holding, used


def _invoke(deps, *args):
    result = CliRunner().invoke(cli, ["report", "licenses", *args], obj=deps)
    assert result.exit_code == 0, result.output
    return result.output


def test_seats_savings_and_reclaimed_agree_in_every_format(world, deps):
    for email in ("alice@acme.test", "bob@acme.test", "dana@acme.test", "erin@acme.test"):
        holding(world, email, "salesforce:sales-cloud")
    holding(world, "olga@acme.test", "tableau:viewer")  # priced, no policy, usage unknown
    world.advance(days=60)
    used(world, "alice@acme.test", 45)  # inactive: asked, then released at the deadline
    used(world, "bob@acme.test", 40)  # inactive
    used(world, "dana@acme.test", 2)  # active
    used(world, "erin@acme.test", None)  # unknown: never counted as a saving
    collect.collect(deps, "mem")
    TimerService(deps).sweep_once()
    world.advance(days=7, minutes=1)
    TimerService(deps).sweep_once()
    world.run()
    data = json.loads(_invoke(deps, "--format", "json"))
    seats = {row["entitlement"]: row for row in data["seats"]}
    # alice's and bob's seats were released at the deadline: 2 left, 1 active, 1 unknown
    assert {k: seats["salesforce:sales-cloud"][k] for k in ("seats", "active", "inactive", "unknown")} == {
        "seats": 2, "active": 1, "inactive": 0, "unknown": 1}
    assert seats["tableau:viewer"]["unknown"] == 1 and seats["tableau:viewer"]["potential_monthly_cents"] == 0
    assert data["reclaimed"] == [{"month": f"{world.clock.now():%Y-%m}", "entitlement": "salesforce:sales-cloud",
                                  "seats": 2, "monthly_cents": 30000, "currency": "USD"}]
    seats_csv, reclaimed_csv = _invoke(deps, "--format", "csv").split("\n\n")
    assert list(csv.DictReader(io.StringIO(reclaimed_csv)))[0]["monthly_cents"] == "30000"
    assert {r["entitlement"]: r["seats"] for r in csv.DictReader(io.StringIO(seats_csv))} == {
        "salesforce:sales-cloud": "2", "tableau:viewer": "1"}
    text = _invoke(deps)
    assert "Salesforce (Sales Cloud): 2 seats, 1 active, 0 inactive, 1 unknown" in text
    assert "2 seats, USD 300.00/month saved" in text


def test_inactive_seats_are_potential_savings_before_anyone_answers(world, deps):
    for email in ("alice@acme.test", "bob@acme.test"):
        holding(world, email, "salesforce:sales-cloud")
    world.advance(days=60)
    used(world, "alice@acme.test", 45)
    used(world, "bob@acme.test", None)
    collect.collect(deps, "mem")
    data = json.loads(_invoke(deps, "--format", "json"))
    assert data["potential_monthly_cents"] == {"USD": 15000}  # Bob's unknown seat is not counted
    assert data["reclaimed"] == []
