"""Web API method implementations, one module per family; `HANDLERS` maps a method name to its function."""

from tests.support.fake_slack.methods import apps, chat, people, usergroups, views

HANDLERS = {**apps.HANDLERS, **chat.HANDLERS, **people.HANDLERS, **usergroups.HANDLERS, **views.HANDLERS}
