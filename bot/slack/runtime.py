"""Everything Slack needs at run time, started and stopped together: the Bolt app, the notifier
(outbox → Slack) and its wiring into deps (after-commit hook)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import App

from bot.settings import Settings
from bot.slack import notices
from bot.slack.bolt import build_bolt_app, slack_client
from bot.slack.delivery import Outbound, Pacer
from bot.slack.env import SlackEnv
from bot.slack.home import HomePublisher
from bot.slack.identity import Identity
from bot.slack.notify import Handlers, Notifier
from bot.slack.work_pool import WorkPool


@dataclass
class SlackRuntime:
    bolt: App
    env: SlackEnv
    notifier: Notifier

    def start(self) -> SlackRuntime:
        self.env.identity.warm()
        self.notifier.start()
        self.env.deps.after_commit_hooks.append(self.notifier.wake)
        self.notifier.wake()  # events left undispatched by a previous run
        return self

    @property
    def listeners_busy(self) -> bool:
        """True while a listener, or the work it handed on after its ack, is queued or running."""
        return self.bolt.listener_runner.listener_executor.in_flight > 0 or self.env.work.in_flight > 0

    def stop(self) -> None:
        if self.notifier.wake in self.env.deps.after_commit_hooks:
            self.env.deps.after_commit_hooks.remove(self.notifier.wake)
        self.notifier.stop()
        self.env.close()
        executor = self.bolt.listener_runner.listener_executor
        executor.shutdown(wait=True, cancel_futures=False)


def build_runtime(settings: Settings, deps, *, handlers: Handlers | None = None,
                  pacer: Pacer | None = None) -> SlackRuntime:
    client = slack_client(settings)
    identity = Identity(deps.store, deps.clock)
    homes = HomePublisher(deps, client)
    work = WorkPool(max_workers=settings.slack_work_threads, thread_name_prefix="accessbot-slack-work")
    env = SlackEnv(deps, identity, homes, work)
    bolt = build_bolt_app(settings, deps, env)
    handlers = handlers or notices.register(Handlers())
    notifier = Notifier(deps, Outbound(deps, client, identity, pacer), handlers, homes.publish,
                        interval=settings.sweep_interval_seconds)
    env.wake_notifier = notifier.wake
    return SlackRuntime(bolt, env, notifier)
