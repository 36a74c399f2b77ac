"""A faithful fake Slack for tests: Web API, response URLs and the Socket Mode link on 127.0.0.1:0.

See fake.py for the entry point and tests/support/slack_sim.py for the driver that plays Slack calling the app.
"""

from tests.support.fake_slack.fake import APP_TOKEN, BOT_TOKEN, DEFAULT_MANIFEST, FakeSlack
from tests.support.fake_slack.outcomes import Outcome
from tests.support.fake_slack.server import Call
from tests.support.fake_slack.snapshots import Ephemeral, Message, View
from tests.support.fake_slack.state import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID

__all__ = [
    "APP_ID", "APP_TOKEN", "BOT_ID", "BOT_TOKEN", "BOT_USER_ID", "DEFAULT_MANIFEST", "TEAM_DOMAIN", "TEAM_ID",
    "Call", "Ephemeral", "FakeSlack", "Message", "Outcome", "View",
]
