"""The database side of connectors.host: the advisory lock replicas share, and learned facts."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from sqlalchemy import text

from bot.store.connector_host import AdvisoryLocks, StoredFacts, advisory_lock_id, database_host, keyed_lock_for
from bot.store.db import Store, create_engine_for
from connectors.base import PrincipalRef, Target
from connectors.errors import TransientError
from connectors.host import ConnectorHost, InProcessLocks
from connectors.slack_usergroups import SlackUsergroupConnector
from tests.support import databases
from tests.support.vendors.slack_usergroups import TOKEN, SlackUsergroupsFake

WAIT = 60.0  # generous: returns as soon as the condition holds

needs_postgres = pytest.mark.skipif("postgres" not in databases.selected_backends(),
                                    reason="PostgreSQL deselected with ACCESSBOT_TEST_DATABASES")


@pytest.fixture
def replicas(worker_id):
    """Two stores on one PostgreSQL database: what two accessbot replicas share."""
    url = databases.postgres_url(worker_id)
    stores = [Store(create_engine_for(url)) for _ in range(2)]
    yield stores
    for store in stores:
        store.dispose()


def advisory_waiters(store: Store) -> int:
    """Sessions of this database waiting for an advisory lock, as PostgreSQL sees them."""
    with store.engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))


def in_thread(job) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run():
        try:
            job()
        except BaseException as exc:  # reported by the test's assertions
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


# -- the lock ------------------------------------------------------------------------------------
def test_the_lock_id_is_the_same_in_every_process():
    here = advisory_lock_id("slack:S123")
    elsewhere = subprocess.run(
        [sys.executable, "-c", "from bot.store.connector_host import advisory_lock_id as f; print(f('slack:S123'))"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert int(elsewhere) == here
    assert -2**63 <= here < 2**63 and advisory_lock_id("slack:S124") != here


def test_sqlite_gets_the_in_process_lock(store):
    # One process serves a SQLite database: there is no other replica to exclude.
    expected = AdvisoryLocks if store.dialect == "postgresql" else InProcessLocks
    assert isinstance(keyed_lock_for(store), expected)


@needs_postgres
def test_a_replica_waiting_too_long_for_the_lock_gets_a_transient_error(replicas):
    holder, waiter = AdvisoryLocks(replicas[0].engine), AdvisoryLocks(replicas[1].engine, wait_seconds=0.2)
    with holder("slack:SONCALL"):
        with pytest.raises(TransientError, match="could not take the lock on slack:SONCALL"):
            with waiter("slack:SONCALL"):
                pytest.fail("entered a lock another replica holds")
        with waiter("slack:SOTHER"):  # other keys are free
            pass
    with waiter("slack:SONCALL"):  # released with the holder's transaction
        pass


@needs_postgres
def test_two_replicas_sharing_the_advisory_lock_lose_no_update(replicas, clock):
    """Replica 2 asks to change the group while replica 1 is between its read and its write."""
    fake = SlackUsergroupsFake()
    for user_id in ("UALICE", "UBOB", "UCAROL", "UDAN"):
        fake.add_user(user_id, f"{user_id[1:].lower()}@acme.test")
    fake.add_group("SONCALL", "oncall", ["UBOB", "UCAROL"])
    options = {"token": TOKEN, "api_url": fake.url}
    first, second = (SlackUsergroupConnector("slack", options, host=database_host(store, clock))
                     for store in replicas)
    group = Target("SONCALL")
    try:
        # Replica 1's read of the members waits until replica 2 is blocked on the lock, or, were
        # the lock not shared, until replica 2 reads too (the start of a lost update).
        first_read_held = fake.hold_next_read_until(
            lambda: advisory_waiters(replicas[0]) > 0 or fake.methods().count("usergroups.users.list") > 1)
        thread_1, errors_1 = in_thread(lambda: first.grant(PrincipalRef("UALICE"), group, action_id="a1"))
        assert first_read_held.wait(WAIT)
        thread_2, errors_2 = in_thread(lambda: second.grant(PrincipalRef("UDAN"), group, action_id="a2"))
        thread_1.join(WAIT)
        thread_2.join(WAIT)
    finally:
        first.close()
        second.close()
        fake.stop()

    assert not thread_1.is_alive() and not thread_2.is_alive()
    assert errors_1 == [] and errors_2 == []
    assert fake.held_read_timed_out is False  # replica 2 was seen waiting on the lock
    updates = [params["users"] for method, params in fake.calls if method == "usergroups.users.update"]
    assert updates == ["UBOB,UCAROL,UALICE", "UBOB,UCAROL,UALICE,UDAN"]  # the second built on the first
    assert sorted(fake.members("SONCALL")) == ["UALICE", "UBOB", "UCAROL", "UDAN"]


# -- learned facts -------------------------------------------------------------------------------
def test_facts_are_kept_per_instance_and_replaced(store, clock):
    facts = StoredFacts(store, clock)
    assert facts.recall("hr", "remove_style") is None
    facts.remember("hr", "remove_style", "value")
    facts.remember("hr", "remove_style", "filter")  # learned again: replaced, not duplicated
    facts.remember("erp", "membership_check", "read_members")

    again = StoredFacts(store, clock)  # another replica, or after a restart
    assert again.recall("hr", "remove_style") == "filter"
    assert again.recall("erp", "remove_style") is None
    assert again.recall("erp", "membership_check") == "read_members"


def test_a_database_error_never_fails_the_connector(tmp_path, clock):
    unmigrated = Store(create_engine_for(f"sqlite:///{tmp_path}/empty.db"))  # no connector_facts table
    facts = StoredFacts(unmigrated, clock)
    assert facts.recall("hr", "remove_style") is None
    facts.remember("hr", "remove_style", "filter")  # logged, not raised
    unmigrated.dispose()


def test_the_default_host_is_per_process():
    host = ConnectorHost()
    host.facts.remember("hr", "remove_style", "filter")
    assert host.facts.recall("hr", "remove_style") == "filter"
    assert ConnectorHost().facts.recall("hr", "remove_style") is None
