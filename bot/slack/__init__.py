"""The Slack front end: translates between Slack (Bolt listeners, Block Kit views) and the domain."""
