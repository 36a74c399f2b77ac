"""Everything Slack needs at run time, started and stopped together: the Bolt app, the notifier
(outbox → Slack) and its wiring into deps (after-commit hook)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient

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
    notifier: Notifier | None  # None in the web process of a split deployment: the worker notifies

    def start(self) -> SlackRuntime:
        self.env.identity.warm()
        if self.notifier is not None:
            start_notifier(self.notifier, self.env.deps)
        return self

    @property
    def listeners_busy(self) -> bool:
        """True while a listener, or the work it handed on after its ack, is queued or running."""
        return self.bolt.listener_runner.listener_executor.in_flight > 0 or self.env.work.in_flight > 0

    def stop(self) -> None:
        if self.notifier is not None:
            stop_notifier(self.notifier, self.env.deps)
        self.env.close()
        executor = self.bolt.listener_runner.listener_executor
        executor.shutdown(wait=True, cancel_futures=False)


def build_notifier(settings: Settings, deps, client: WebClient, identity: Identity, homes: HomePublisher, *,
                   handlers: Handlers | None = None, pacer: Pacer | None = None) -> Notifier:
    handlers = handlers or notices.register(Handlers())
    return Notifier(deps, Outbound(deps, client, identity, pacer), handlers, homes.publish,
                    interval=settings.sweep_interval_seconds)


def start_notifier(notifier: Notifier, deps) -> None:
    notifier.start()
    deps.after_commit_hooks.append(notifier.wake)
    notifier.wake()  # events left undispatched by a previous run


def stop_notifier(notifier: Notifier, deps) -> None:
    if notifier.wake in deps.after_commit_hooks:
        deps.after_commit_hooks.remove(notifier.wake)
    notifier.stop()


def build_runtime(settings: Settings, deps, *, handlers: Handlers | None = None,
                  pacer: Pacer | None = None) -> SlackRuntime:
    client = slack_client(settings)
    identity = Identity(deps.store, deps.clock)
    homes = HomePublisher(deps, client)
    work = WorkPool(max_workers=settings.slack_work_threads, thread_name_prefix="accessbot-slack-work")
    env = SlackEnv(deps, identity, homes, work)
    bolt = build_bolt_app(settings, deps, env)
    notifier = None
    if deps.runs_background_work:
        notifier = build_notifier(settings, deps, client, identity, homes, handlers=handlers, pacer=pacer)
        env.wake_notifier = notifier.wake
    # Otherwise perform()'s kick already woke the worker, whose notifier redraws the cards.
    return SlackRuntime(bolt, env, notifier)
