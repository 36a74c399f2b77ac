"""`/access [APP [ROLE [DURATION [REASON…]]]]`: what the person typed, read against the catalog.

    /access                         → the request form
    /access github admin            → the form, filled in
    /access github admin 4h         → the form, filled in, 4 hours chosen
    /access github admin 4h INC-12 is on fire   → submitted at once, no form
    /access new-engineer [30d [REASON…]]        → a bundle: the form, or submitted at once
    /access help                    → usage
"""

from __future__ import annotations

import difflib
import html
from dataclasses import dataclass
from datetime import timedelta

from bot.slack.views.mrkdwn import escape
from bot.slack.views.request_modal import bundle_value
from policies import DurationError, parse_duration

USAGE = ("*Request access*\n"
         "• `/access` opens the request form (or use *Request access* on my App Home).\n"
         "• `/access github admin` opens the form filled in.\n"
         "• `/access github admin 4h why you need it` sends the request straight away.\n"
         "• `/access new-engineer 30d why` asks for a bundle (several entitlements, one approval).\n"
         "Durations look like `30m`, `4h`, `1d` or `permanent`; the policy of each role sets what is allowed.")


@dataclass(frozen=True)
class Help:
    text: str = USAGE


@dataclass(frozen=True)
class Problem:
    text: str
    code: str = "bad_command"  # how the refusal is audited


@dataclass(frozen=True)
class Prefill:
    entitlement: str | None = None
    duration: timedelta | None = None
    duration_given: bool = False


@dataclass(frozen=True)
class Quick:
    entitlement: str
    duration: timedelta | None
    reason: str


Parsed = Help | Problem | Prefill | Quick


def parse(catalog, text: str) -> Parsed:
    words = html.unescape(text or "").split()  # Slack HTML-escapes &, < and > in command text
    if not words:
        return Prefill()
    if words[0].lower() in ("help", "?", "-h", "--help"):
        return Help()
    if ":" in words[0]:  # "github:admin" works too
        words = [*words[0].split(":", 1), *words[1:]]
    resource = _resource(catalog, words[0])
    if resource is None and words[0].lower() in catalog.bundles:
        return _bundle(words[0].lower(), words[1:])
    if resource is None:
        return Problem(_unknown_app(catalog, words[0]))
    if len(words) == 1:
        roles = [e for e in resource.entitlements.values() if e.requestable]
        return Prefill(roles[0].ref if len(roles) == 1 else None)
    entitlement = _role(resource, words[1])
    if entitlement is None:
        roles = ", ".join(f"`{r}`" for r, e in resource.entitlements.items() if e.requestable)
        return Problem(f"{escape(resource.name)} has no role “{escape(words[1])}”. "
                       f"Its roles: {roles or 'none you can request'}.")
    if len(words) == 2:
        return Prefill(entitlement.ref)
    try:
        duration = parse_duration(words[2])
    except DurationError as error:
        return Problem(f"{escape(str(error))}.\n\n{USAGE}", code="invalid_duration")
    if len(words) == 3:
        return Prefill(entitlement.ref, duration, duration_given=True)
    return Quick(entitlement.ref, duration, " ".join(words[3:]))


def _bundle(name: str, words: list[str]) -> Parsed:
    """``/access BUNDLE [DURATION [REASON…]]``."""
    if not words:
        return Prefill(bundle_value(name))
    try:
        duration = parse_duration(words[0])
    except DurationError as error:
        return Problem(f"{escape(str(error))}.\n\n{USAGE}")
    if len(words) == 1:
        return Prefill(bundle_value(name), duration, duration_given=True)
    return Quick(bundle_value(name), duration, " ".join(words[1:]))


def _resource(catalog, word: str):
    wanted = word.lower()
    for resource_id, resource in catalog.resources.items():
        if wanted in (resource_id.lower(), resource.name.lower().replace(" ", "")):
            return resource
    return None


def _role(resource, word: str):
    wanted = word.lower()
    return next((e for role, e in resource.entitlements.items() if role.lower() == wanted and e.requestable), None)


def _unknown_app(catalog, word: str) -> str:
    names = {rid.lower(): rid for rid in catalog.resources}
    names.update({r.name.lower(): rid for rid, r in catalog.resources.items()})
    names.update({name.lower(): name for name in catalog.bundles})
    close = difflib.get_close_matches(word.lower(), list(names), n=3, cutoff=0.6)
    suggestions = dict.fromkeys(names[c] for c in close)
    hint = f" Did you mean {', '.join(f'`{s}`' for s in suggestions)}?" if suggestions else ""
    return f"I don't know an app called “{escape(word)}”.{hint} Type `/access` to search the catalog."
