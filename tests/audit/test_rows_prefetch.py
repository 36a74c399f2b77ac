"""The reader thread behind rows.stream on PostgreSQL: same batches in order, errors raised to the
caller, and no thread left behind when the caller stops early."""

from __future__ import annotations

import threading

import pytest

from bot.audit.rows import prefetched


def batches(count: int, size: int = 3):
    made = iter([[n * size + i for i in range(size)] for n in range(count)])
    return lambda: next(made, [])


def test_every_batch_in_order():
    assert [row for batch in prefetched(batches(50)) for row in batch] == list(range(150))


def test_an_error_of_the_reader_is_raised_to_the_caller():
    calls = iter([[1], [2]])

    def fetch():
        try:
            return next(calls)
        except StopIteration:
            raise RuntimeError("connection lost") from None

    got = []
    with pytest.raises(RuntimeError, match="connection lost"):
        for batch in prefetched(fetch):
            got.extend(batch)
    assert got == [1, 2]


def test_stopping_early_stops_the_reader_and_reads_no_more_than_ahead():
    fetched = []
    endless = iter(range(10**9))

    def fetch():
        fetched.append(1)
        return [next(endless)]

    stream = prefetched(fetch, ahead=2)
    assert next(stream) == [0]
    stream.close()
    assert not [t for t in threading.enumerate() if t.name == "accessbot-audit-rows"]
    assert len(fetched) <= 1 + 2 + 1  # the one handed over, the queue, the one waiting to be put
