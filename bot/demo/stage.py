"""Everything the demo runs on, started together and stopped together: a temporary SQLite database
(or ACCESSBOT_DATABASE_URL, which must be empty), the example catalog and people of
policies/examples/acme, in-memory connectors in place of every configured system, an injected
clock, the real accessbot HTTP app on 127.0.0.1, and the stand-in Slack (the fake Web API and the
signing driver of tests/support) with one Slack account per person of the directory.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select

from bot.deps import Deps, build_deps
from bot.domain.clock import ManualClock
from bot.domain.enums import ActionStatus
from bot.http.app import create_app
from bot.settings import EXAMPLE_DIR, Settings
from bot.slack.endpoint import slack_plugin
from bot.store.models import AccessRequest, OutboxEvent, Person, ProvisioningAction

SIGNING_SECRET = "demo-signing-secret-not-for-production"
START = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)  # a Monday morning, inside business hours
CHANNELS = {"it-ops": "it_channel", "finance-ops": "C0FINOPS01", "cloud-approvals": "C0CLOUDAPR",
            "finance-approvals": "C0FINAPPR1"}


class DemoError(Exception):
    """The demo cannot run here; the message says why and what to do."""


@dataclass
class Stage:
    deps: Deps
    clock: ManualClock
    fake: object  # tests.support.fake_slack.FakeSlack
    sim: object  # tests.support.slack_sim.SlackSim
    app: object
    slack_ids: dict[str, str]  # email -> Slack user id
    names: dict[str, str]  # Slack user or channel id -> what a reader sees

    def user(self, email: str) -> str:
        return self.slack_ids[email]

    @property
    def runtime(self):
        return self.app.state.slack

    def settle(self, timeout: float = 15.0) -> None:
        """Until the bot is quiet: provisioning run, every outbox event turned into Slack messages."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.runtime.notifier.wake()
            if self._idle():
                time.sleep(0.05)  # a last look: a drain may have just been woken
                if self._idle():
                    return
            time.sleep(0.02)
        raise DemoError("the bot did not settle in time")

    def _idle(self) -> bool:
        if self.runtime.listeners_busy or self.runtime.notifier.busy:
            return False
        with self.deps.store.uow() as s:
            undispatched = s.scalar(select(func.count()).select_from(OutboxEvent)
                                    .where(OutboxEvent.dispatched_at.is_(None)))
            running = s.scalar(select(func.count()).select_from(ProvisioningAction).where(
                ProvisioningAction.status.in_((ActionStatus.QUEUED, ActionStatus.IN_PROGRESS)),
                ProvisioningAction.next_attempt_at <= self.clock.now()))
        return undispatched == 0 and running == 0


CHECKOUT_ONLY = ("accessbot demo runs from a source checkout (its stand-in Slack lives in tests/support and reads "
                 "manifest.yml): clone the repository and `pip install -e .`")


def _stand_in_slack():
    try:
        from tests.support.fake_slack import FakeSlack
        from tests.support.fake_slack.fake import DEFAULT_MANIFEST
        from tests.support.live_server import serve_asgi
        from tests.support.slack_sim import SlackSim
    except ImportError as error:
        raise DemoError(CHECKOUT_ONLY) from error
    if not DEFAULT_MANIFEST.is_file():
        raise DemoError(CHECKOUT_ONLY)
    return FakeSlack, SlackSim, serve_asgi


def _settings(folder: str, fake) -> Settings:
    configured = Settings()  # a database given in the environment is used (it must be empty), else a fresh one
    url = configured.database_url if "database_url" in configured.model_fields_set else f"sqlite:///{folder}/demo.db"
    return Settings(database_url=url, catalog=EXAMPLE_DIR / "catalog", people_file=EXAMPLE_DIR / "people.yaml",
                    connectors_file=EXAMPLE_DIR / "connectors.yaml", simulate_connectors=True,
                    slack_api_url=fake.api_url, slack_bot_token=fake.bot_token,
                    slack_signing_secret=SIGNING_SECRET, worker_threads=4, slack_listener_threads=8)


def _require_empty(deps: Deps) -> None:
    with deps.store.uow() as s:
        if s.scalar(select(func.count()).select_from(AccessRequest)):
            raise DemoError("the demo needs an empty database, and ACCESSBOT_DATABASE_URL already holds requests")


def _seed_slack(fake, deps: Deps) -> tuple[dict[str, str], dict[str, str]]:
    with deps.store.uow() as s:
        people = [(p.email, p.name, p.slack_user_id) for p in s.scalars(select(Person).order_by(Person.id))]
    slack_ids, names = {}, {}
    for email, name, slack_id in people:
        if slack_id:
            fake.add_user(slack_id, email, email.split("@")[0], real_name=name)
            slack_ids[email], names[slack_id] = slack_id, name
    everyone = list(slack_ids.values())
    for name, channel in CHANNELS.items():
        channel_id = deps.catalog.settings.it_channel if channel == "it_channel" else channel
        fake.add_channel(channel_id, name, everyone)
        names[channel_id] = name
    return slack_ids, names


@contextmanager
def staged() -> Iterator[Stage]:
    FakeSlack, SlackSim, serve_asgi = _stand_in_slack()
    with ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="accessbot-demo-"))
        fake = FakeSlack.start()
        stack.callback(fake.stop)
        clock = ManualClock(START)
        settings = _settings(folder, fake)
        deps = build_deps(settings, clock=clock)
        try:
            _require_empty(deps)
            slack_ids, names = _seed_slack(fake, deps)
            app = create_app(settings, deps=deps, plugins=[slack_plugin])  # its shutdown closes deps
        except BaseException:
            deps.close()
            raise
        url = stack.enter_context(serve_asgi(app))
        yield Stage(deps, clock, fake, SlackSim(url, fake, SIGNING_SECRET), app, slack_ids, names)
