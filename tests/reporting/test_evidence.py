"""`accessbot evidence`: what an auditor gets for a period, checkable, and the same every time."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.loading import load_catalog_for
from bot.settings import Settings
from bot.store.models import AuditEvent
from tests.reporting import history
from tests.support.deps import close, deps_for


@pytest.fixture
def deps(world):
    d = deps_for(world)
    yield d
    close(d)


@pytest.fixture
def known(world, deps, tmp_path):
    catalog = tmp_path / "catalog.yaml"  # the world's catalog file: its loads are put on record
    settings = Settings(database_url="sqlite://", catalog=catalog)
    load_catalog_for(settings, world.store, world.connectors, now=world.clock.now())
    found = history.build(world, deps)
    catalog.write_text(catalog.read_text() + "\n# a comment: a new version\n")
    load_catalog_for(settings, world.store, world.connectors, now=world.clock.now())
    world.advance(minutes=1)
    found["until"] = world.clock.now().replace(microsecond=0)
    return found


def evidence(deps, out, known):
    return CliRunner().invoke(cli, ["evidence", "--since", (known["t0"] - timedelta(days=1)).date().isoformat(),
                                    "--until", known["until"].isoformat(), "--out", str(out)], obj=deps)


def test_the_pack_holds_what_an_auditor_asks_for_and_checks_out(deps, known, tmp_path):
    out = tmp_path / "pack"
    result = evidence(deps, out, known)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["README.md", "SHA256SUMS", "VERIFY_AUDIT.py", "access-at-end.csv", "audit-chain.json",
                     "audit-events.jsonl", "leavers.json", "policy-versions.json", "privileged-grants.json",
                     "review-campaigns.jsonl"]
    for line in (out / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest

    check = subprocess.run([sys.executable, "VERIFY_AUDIT.py", "audit-events.jsonl", "audit-chain.json"], cwd=out,
                           capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.startswith("OK:"), check.stdout + check.stderr
    chain = json.loads((out / "audit-chain.json").read_text())
    last = json.loads((out / "audit-events.jsonl").read_text().splitlines()[-1])
    assert chain["result"] == "ok" and chain["chain_head"] == {"seq": last["seq"], "hash": last["hash"]}

    [bob] = json.loads((out / "leavers.json").read_text())
    assert bob["person_email"] == "bob@acme.test" and bob["seconds_to_deprovision"] == 90.0
    assert bob["all_systems_confirmed"] and bob["systems"]["mem"]["seconds_to_deprovision"] == 90.0
    assert {step["action"] for step in bob["systems"]["mem"]["steps"]} >= {"revoke"}

    [admin] = json.loads((out / "privileged-grants.json").read_text())
    assert (admin["person_email"], admin["entitlement"], admin["risk"]) == ("alice@acme.test", history.ADMIN, "high")
    chain_of = [(step["kind"], [d["approver"] for d in step["decisions"]]) for step in admin["request"]["approval_chain"]]
    assert chain_of == [("manager", ["dana@acme.test"]), ("owners", ["olga@acme.test"])]

    held = list(csv.DictReader(io.StringIO((out / "access-at-end.csv").read_text())))
    assert [(r["person_email"], r["entitlement"]) for r in held] == [("alice@acme.test", history.ADMIN)]

    versions = json.loads((out / "policy-versions.json").read_text())
    assert len(versions) == 2 and versions[0]["catalog_sha256"] != versions[1]["catalog_sha256"]
    assert versions[1]["changed"] is True and list(versions[1]["files"]) == ["catalog.yaml"]


def test_the_same_period_gives_byte_identical_files(deps, known, world, tmp_path):
    first, second = tmp_path / "one.zip", tmp_path / "two.zip"
    assert evidence(deps, first, known).exit_code == 0
    world.advance(hours=3)
    world.submit("alice@acme.test", "wiki:editor")  # after the period: changes nothing in it
    world.run()
    assert evidence(deps, second, known).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    folder = tmp_path / "folder"
    assert evidence(deps, folder, known).exit_code == 0
    with zipfile.ZipFile(first) as pack:
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in pack.infolist())
        assert {n: pack.read(n) for n in pack.namelist()} == {p.name: p.read_bytes() for p in folder.iterdir()}


def test_a_tampered_log_shows_in_the_pack(deps, known, world, tmp_path):
    with world.store.uow() as s:
        event = s.query(AuditEvent).filter(AuditEvent.seq == 3).one()
        event.actor = "someone:else"
    out = tmp_path / "pack"
    assert evidence(deps, out, known).exit_code == 0
    chain = json.loads((out / "audit-chain.json").read_text())
    assert chain["result"] == "tampered" and chain["first_bad_seq"] == 3
    check = subprocess.run([sys.executable, "VERIFY_AUDIT.py", "audit-events.jsonl", "audit-chain.json"], cwd=out,
                           capture_output=True, text=True)
    assert check.returncode != 0 and "event #3" in check.stderr


def test_a_period_not_yet_over_is_refused(deps, known, tmp_path):
    result = CliRunner().invoke(cli, ["evidence", "--since", "2026-01-01", "--until",
                                      (known["until"] + timedelta(days=2)).isoformat(), "--out", str(tmp_path / "x")],
                                obj=deps)
    assert result.exit_code == 2 and "is in the future" in result.output and not (tmp_path / "x").exists()
