from __future__ import annotations

from datetime import datetime, timezone

from bot.slack.views import mrkdwn as md


def test_escape_neutralises_every_slack_control_sequence():
    raw = "<!channel> <!here|here> <@U12345> <#C12345> <https://evil.example|click me> a&b"
    escaped = md.escape(raw)
    assert "<" not in escaped and ">" not in escaped
    assert escaped == ("&lt;!channel&gt; &lt;!here|here&gt; &lt;@U12345&gt; &lt;#C12345&gt; "
                       "&lt;https://evil.example|click me&gt; a&amp;b")


def test_bare_broadcast_mentions_are_defused_but_emails_stay_readable():
    assert md.escape("@here @Channel @everyone") == "@\u2060here @\u2060Channel @\u2060everyone"
    assert md.escape("mail bob@here.example") == "mail bob@\u2060here.example"
    assert md.escape("alice@acme.test") == "alice@acme.test"
    assert md.escape(None) == "" and md.escape("") == ""


def test_truncate_never_cuts_an_escape_in_half():
    text = md.escape("x" * 8 + "<tail")
    assert md.truncate(text, 11) == "xxxxxxxx…"
    assert md.truncate("short", 10) == "short"


def test_mentions_and_dates_are_built_from_ids_only():
    assert md.person("Dana", "U0DANA0001") == "<@U0DANA0001>"
    assert md.person("<!channel>", None) == "&lt;!channel&gt;"
    assert md.person("Dana", "not-an-id") == "Dana"
    at = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
    assert md.date(at) == "<!date^1793611800^{date_short_pretty} {time}|2026-11-02 09:30 UTC>"
    assert md.channel("C0APPROVAL") == "<#C0APPROVAL>" and md.channel("<!x>") == "&lt;!x&gt;"
    assert md.quote("a\nb") == ">a\n>b"
