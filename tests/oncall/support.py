"""An on-call file pointing at the fakes, and a catalog whose auto-approve rules read it."""

from __future__ import annotations

from pathlib import Path

from tests.slack.harness import CATALOG

PD_TOKEN_VARIABLE = "ACCESSBOT_TEST_PAGERDUTY_TOKEN"
OG_KEY_VARIABLE = "ACCESSBOT_TEST_OPSGENIE_KEY"

ON_CALL_CATALOG = CATALOG.replace(
    "        target: gh-admins\n",
    "        target: gh-admins\n"
    "        auto_approve:\n"
    "          - name: payments first responder\n"
    "            when: 'on_call_level(\"payments\") == 1 && entitlement.ref == \"github:admin\"'\n"
    "            ends_with_shift: true\n"
    "          - name: support on call\n"
    "            when: 'on_call(\"support\")'\n", 1)
assert ON_CALL_CATALOG != CATALOG

# 2026-11-02 09:00 UTC (the ManualClock's start) is 10:00 in Berlin: week 2 of the rotation, Olga's.
SUPPORT = """
  support:
    time_zone: Europe/Berlin
    rotations:
      - {level: 1, start: 2026-10-26, handoff: "09:00", every: 7d, people: [bob@acme.test, olga@acme.test]}
"""
ALICE_OVERRIDE = """    overrides:
      - {person: alice@acme.test, from: "2026-11-02T08:00", until: "2026-11-02T12:00"}
"""


def write_on_call_file(tmp_path: Path, *, pagerduty_url: str, opsgenie_url: str | None = None,
                       alice_override: bool = False) -> Path:
    text = f"""providers:
  pd:
    type: pagerduty
    token: {{env: {PD_TOKEN_VARIABLE}}}
    base_url: {pagerduty_url}
    timeout_seconds: 2
"""
    if opsgenie_url:
        text += f"""  og:
    type: opsgenie
    api_key: {{env: {OG_KEY_VARIABLE}}}
    base_url: {opsgenie_url}
"""
    text += """schedules:
  payments:
    provider: pd
    schedule: PPAY001
""" + SUPPORT + (ALICE_OVERRIDE if alice_override else "")
    if opsgenie_url:
        text += """  platform:
    provider: og
    schedule: platform_rota
    identifier_type: name
"""
    path = tmp_path / "on-call.yaml"
    path.write_text(text, encoding="utf-8")
    return path
