"""The listener pools count work from submission to the end, so 'idle' is never seen too early."""

from __future__ import annotations

import threading

import pytest

from bot.slack.work_pool import WorkPool


def test_a_task_counts_while_queued_and_running_and_not_after():
    pool = WorkPool(max_workers=1, thread_name_prefix="test-pool")
    release = threading.Event()
    running = pool.submit(release.wait, 10)
    queued = pool.submit(lambda: None)  # waits behind the first: the pool has one thread
    assert pool.in_flight == 2
    release.set()
    running.result(timeout=10)
    queued.result(timeout=10)
    pool.shutdown(wait=True)
    assert pool.in_flight == 0


def test_a_failing_task_is_no_longer_counted():
    pool = WorkPool(max_workers=1, thread_name_prefix="test-pool")
    with pytest.raises(ZeroDivisionError):
        pool.submit(lambda: 1 / 0).result(timeout=10)
    pool.shutdown(wait=True)
    assert pool.in_flight == 0


def test_a_refused_submission_is_not_counted():
    pool = WorkPool(max_workers=1, thread_name_prefix="test-pool")
    pool.shutdown(wait=True)
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)
    assert pool.in_flight == 0
