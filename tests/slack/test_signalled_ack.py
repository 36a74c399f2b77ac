"""The ack Bolt's runner waits for (bot/slack/middleware.py:SignalledAck) behaves like Bolt's own."""

from __future__ import annotations

import threading

from slack_bolt import BoltResponse

from bot.slack.middleware import SignalledAck


def test_the_answer_is_seen_by_the_request_thread_and_by_any_other():
    ack = SignalledAck()
    assert ack.response is None  # nothing yet: the request thread's read gives up and says so
    seen: list[BoltResponse | None] = []
    listener = threading.Thread(target=lambda: (seen.append(ack.response), ack(text="done")))
    listener.start()
    listener.join()
    assert seen == [None]  # the listener's own read of an unanswered ack does not wait
    assert ack.response.status == 200 and ack.response.body == "done"


def test_bolts_error_path_may_set_the_response_directly():
    ack = SignalledAck()
    ack.response = BoltResponse(status=500)
    assert ack.response.status == 500
    ack.response = None  # Bolt clears an ack when a listener raised after it
    assert ack.response is None
