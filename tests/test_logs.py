"""Log lines: JSON off a terminal, readable on one, with the process and the work they belong to,
and never a configured secret."""

from __future__ import annotations

import io
import json
import logging

import pytest
from pydantic import SecretStr

from bot import logs
from bot.operations import subject_fields
from bot.settings import Settings
from bot.slack.work_pool import WorkPool

SIGNING = "sig-0123456789abcdef"
TOKEN = "xoxb-1-secret-bot-token"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def configured():
    """logs.configure() on a stream of our own; the root logger is put back afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logs.PROCESS.role, logs.PROCESS.replica)

    def configure(stream, **overrides):
        settings = Settings(database_url="sqlite://", slack_signing_secret=SIGNING, slack_bot_token=TOKEN,
                            replica_id="web-7f9c", **overrides)
        logs.configure(settings, role="web", stream=stream, force=True)  # over pytest's own handler
        return stream

    yield configure
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    logs.PROCESS.role, logs.PROCESS.replica = saved[2], saved[3]


def test_off_a_terminal_each_line_is_json_with_process_and_context(configured):
    stream = configured(io.StringIO())
    with logs.log_context(http_request_id="r-1", slack_trigger="command /access"):
        with logs.log_context(**subject_fields(("grant", 12))):
            logging.getLogger("bot.test").warning("grant %s expired", 12)
    logging.getLogger("bot.test").info("outside")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "WARNING" and first["logger"] == "bot.test" and first["message"] == "grant 12 expired"
    assert (first["role"], first["replica"]) == ("web", "web-7f9c")
    assert (first["http_request_id"], first["slack_trigger"], first["grant_id"]) == ("r-1", "command /access", 12)
    assert first["timestamp"].endswith("+00:00")
    assert "grant_id" not in second and "http_request_id" not in second  # the context ended with its block


def test_on_a_terminal_lines_are_for_people(configured):
    stream = configured(Terminal())
    with logs.log_context(offboarding_id=3):
        logging.getLogger("bot.test").info("offboarding started")
    line = stream.getvalue().strip()
    assert "INFO bot.test [web@web-7f9c offboarding_id=3]: offboarding started" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_the_format_can_be_forced_either_way(configured):
    forced_json = configured(Terminal(), log_format="json")
    logging.getLogger("bot.test").info("hello")
    assert json.loads(forced_json.getvalue())["message"] == "hello"
    forced_human = configured(io.StringIO(), log_format="human")
    logging.getLogger("bot.test").info("hello")
    assert forced_human.getvalue().strip().endswith("[web@web-7f9c]: hello")


def test_configured_secrets_are_redacted_from_messages_and_tracebacks(configured):
    stream = configured(io.StringIO())
    log = logging.getLogger("bot.test")
    log.error("calling Slack with %s", TOKEN)
    try:
        raise RuntimeError(f"bad signature {SIGNING}")
    except RuntimeError:
        log.exception("verification failed")
    text = stream.getvalue()
    assert TOKEN not in text and SIGNING not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["message"] == "calling Slack with [redacted]"
    assert "bad signature [redacted]" in lines[1]["exception"]


def test_empty_secrets_redact_nothing():
    redact = logs.Redactor(["", "  ", "abc-secret"])
    assert redact("a b abc-secret") == "a b [redacted]"


def test_listener_work_keeps_the_context_of_the_request_that_queued_it(configured):
    stream = configured(io.StringIO())
    pool = WorkPool(max_workers=1, thread_name_prefix="test")
    try:
        with logs.log_context(slack_trigger="block_actions approve", request_id=41):
            pool.submit(logging.getLogger("bot.test").info, "after the ack").result(10)
    finally:
        pool.shutdown()
    line = json.loads(stream.getvalue())
    assert (line["slack_trigger"], line["request_id"]) == ("block_actions approve", 41)


def test_logging_someone_else_set_up_is_left_alone():
    root = logging.getLogger()
    theirs = logging.NullHandler()
    saved = list(root.handlers)
    root.handlers[:] = [theirs]
    try:
        assert logs.configure(Settings(database_url="sqlite://"), role="web", stream=io.StringIO()) is None
        assert root.handlers == [theirs]
    finally:
        root.handlers[:] = saved


def test_settings_secrets_are_the_ones_redacted():
    settings = Settings(database_url="sqlite://", admin_api_token="adm-token", hr_webhook_secret=SecretStr("hr-s"))
    assert {"adm-token", "hr-s"} <= set(logs.secret_values(settings))


def test_socket_mode_lines_name_the_slack_trigger_too(configured, store, clock, tmp_path):
    from tests.slack.harness import ALICE, running_bot

    stream = configured(io.StringIO(), log_level="DEBUG")
    with running_bot(store, clock, tmp_path, socket_mode=True) as bot:
        bot.open_form(ALICE, "wiki editor")
        bot.settle()
    triggers = {line.get("slack_trigger") for line in map(json.loads, stream.getvalue().splitlines())}
    assert "command /access" in triggers
