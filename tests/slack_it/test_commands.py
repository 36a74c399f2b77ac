"""What IT types, read before anything is looked up (the mention arrives escaped: should_escape)."""

from __future__ import annotations

from datetime import date, time, timedelta

from bot.slack import admin_command, offboard_command
from bot.slack.access_command import Help, Problem


def test_offboard_reads_a_mention_and_an_optional_time():
    assert offboard_command.parse("<@U0ALICE001|alice>") == offboard_command.Offboard("U0ALICE001")
    assert offboard_command.parse("<@U0ALICE001|alice> at 2026-12-31 18:00") == offboard_command.Offboard(
        "U0ALICE001", date(2026, 12, 31), time(18, 0))
    assert offboard_command.parse("<@U0ALICE001> at 2026-12-31") == offboard_command.Offboard(
        "U0ALICE001", date(2026, 12, 31), None)
    assert isinstance(offboard_command.parse(""), Help) and isinstance(offboard_command.parse("help"), Help)


def test_offboard_refuses_what_it_cannot_read_and_keeps_it_inert():
    unresolved = offboard_command.parse("@nobody")
    assert isinstance(unresolved, Problem) and "Mention the person" in unresolved.text
    for text in ("<@U0ALICE001> tomorrow", "<@U0ALICE001> at 2026-02-30 10:00", "<@U0ALICE001> at 2026-12-31 25:00"):
        assert isinstance(offboard_command.parse(text), Problem), text
    shown = offboard_command.parse("<@U0ALICE001> &lt;!channel&gt;").text
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown


def test_access_admin_reads_each_verb():
    assert admin_command.parse("grants <@U0ALICE001|alice>") == admin_command.ListGrants("U0ALICE001")
    assert admin_command.parse("revoke <@U0ALICE001> github:admin not needed") == admin_command.Revoke(
        "U0ALICE001", "github:admin", "not needed")
    assert admin_command.parse("grant <@U0ALICE001> github:admin 4h INC-1 &amp; co") == admin_command.Grant(
        "U0ALICE001", "github:admin", timedelta(hours=4), "INC-1 & co")
    assert admin_command.parse("grant <@U0ALICE001> wiki:editor permanent team wiki").duration is None


def test_access_admin_says_what_is_missing():
    assert "mention the person" in admin_command.parse("grants alice").text
    assert "give a duration and a reason" in admin_command.parse("grant <@U0ALICE001> github:admin 4h").text
    assert "name the access as APP:ROLE" in admin_command.parse("revoke <@U0ALICE001> github").text
    assert "I don't know `status`" in admin_command.parse("status").text
    assert isinstance(admin_command.parse("grant <@U0ALICE001> github:admin soon why"), Problem)
