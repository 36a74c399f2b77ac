"""The demo's script: a day at Acme, played through the real bot with the stand-in Slack.

Every step is what a person does in Slack (a slash command, a modal submission, a click), sent as a
signed request to the bot's /slack/events; the transcript prints what Slack then shows, to whom.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.audit.verify import verify
from bot.demo.stage import DemoError, Stage
from bot.timers.service import TimerService
from bot.demo.transcript import Transcript
from bot.store.models import Offboarding

ALICE, LINUS = "alice.nguyen@acme.example", "linus.torvalds@acme.example"
BOB, IVAN = "bob.martin@acme.example", "ivan.petrov@acme.example"


def play(stage: Stage, show: Transcript) -> None:
    quick_requests(stage, show)
    request_and_approval(stage, show)
    expiry(stage, show)
    offboarding(stage, show)
    with stage.deps.store.uow() as s:
        show.step(f"Audit log: {verify(s)}")


def quick_requests(stage: Stage, show: Transcript) -> None:
    bob = stage.user(BOB)
    for text in ("github member 30d joining the on-call rotation", "datadog user 30d on-call dashboards"):
        show.step(f"Bob Martin (SRE) types `/access {text}`: low-risk access for engineers is approved by policy")
        _slash(stage, bob, "/access", text)
        stage.settle()


def request_and_approval(stage: Stage, show: Transcript) -> None:
    alice, linus = stage.user(ALICE), stage.user(LINUS)
    show.step("Alice Nguyen (software engineer) types `/access snowflake analyst`")
    since = stage.fake.last_seq
    _slash(stage, alice, "/access", "snowflake analyst")
    stage.fake.wait_for_call("views.open", after=since, ok=True)
    form = stage.fake.modal_stack(alice)[-1]
    show.step("Alice picks 4 hours, says why, and presses Request")
    done = stage.sim.submit(alice, form.id, {"duration": "4h",
                                             "justification": "Churn analysis for Thursday's product review"})
    show.show_view(done.top, "now shows")
    stage.settle()
    card = _latest(stage, linus, "Access request #")
    show.step("Her manager, Linus Torvalds, presses Approve on the card in his DMs")
    stage.sim.click(linus, on=card.ref, action_id="approve")
    stage.settle()
    show.note("the Snowflake connector (in memory for the demo) adds Alice; she is told")
    stage.settle()


def expiry(stage: Stage, show: Transcript) -> None:
    stage.clock.advance(hours=3)
    show.step("Three hours later (the demo moves the clock): one hour before the end, Alice is warned")
    timers = TimerService(stage.deps)  # the real timer sweep, run by hand because the clock is the demo's
    timers.sweep_once()
    stage.settle()
    stage.clock.advance(hours=1, seconds=1)
    show.step("One hour later the access ends by itself and is removed from Snowflake")
    timers.sweep_once()
    stage.settle()


def offboarding(stage: Stage, show: Transcript) -> None:
    ivan = stage.user(IVAN)
    show.step("Bob leaves Acme. Ivan Petrov (IT) types `/offboard @bob.martin`")
    since = stage.fake.last_seq
    _slash(stage, ivan, "/offboard", "@bob.martin")
    stage.fake.wait_for_call("views.update", after=since, ok=True, timeout=10)
    show.flush()
    plan = stage.fake.modal_stack(ivan)[-1]
    show.step("Ivan checks the plan and presses Offboard now")
    done = stage.sim.submit(ivan, plan.id, {"offboard_reason": "Last day at Acme"})
    show.show_view(done.top, "now shows")
    _wait_for_offboarding(stage)
    stage.settle()


def _wait_for_offboarding(stage: Stage, timeout: float = 20.0) -> None:
    def finished() -> bool:
        with stage.deps.store.uow() as s:
            return s.scalar(select(Offboarding.status).order_by(Offboarding.id.desc()).limit(1)) not in (
                None, "running")
    try:
        stage.fake.wait_until(finished, timeout=timeout, what="the offboarding to finish")
    except AssertionError as error:
        raise DemoError(str(error)) from None


def _slash(stage: Stage, user: str, command: str, text: str) -> None:
    ack = stage.sim.slash(user, command, text)
    if ack.status != 200:
        raise DemoError(f"{command} {text} was answered with HTTP {ack.status}")


def _latest(stage: Stage, user: str, needle: str):
    found = [m for m in stage.fake.dm(user) if needle in m.visible_text]
    if not found:
        raise DemoError(f"no message with {needle!r} reached {user}")
    return found[-1]

