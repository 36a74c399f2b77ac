"""A full run of `accessbot serve` (the web front and its worker process) at DEBUG, driven through
every authenticated surface: signed Slack requests (and a forged one), the HR hook (and a forged
event), SCIM (and a wrong token), the admin API (and a wrong token), /metrics behind its token.
Every line both processes printed is then searched for every configured secret value, connector
credentials included. The same lines must carry what an operator needs (role, replica, request ids,
the Slack trigger), so an empty or useless log cannot pass."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx

from bot.domain.enums import GrantStatus
from bot.http.hooks import sign
from tests.deploy.conftest import scrubbed_environ
from tests.slack.harness import ALICE, DANA, OLGA, SECRET, SlackWorld, seed_slack_users
from tests.slack.test_worker_split import children_of
from tests.support.fake_slack import FakeSlack
from tests.support.live_server import free_port, wait_healthy
from tests.support.slack_sim import SlackSim
from tests.support.world import make_world

WAIT = 60.0
SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-4242424242-deploy-test-bot-token",
    "SLACK_SIGNING_SECRET": SECRET,
    "ACCESSBOT_ADMIN_API_TOKEN": "admin-3c1f9e0b7a5d2c8e",
    "ACCESSBOT_HR_WEBHOOK_SECRET": "hr-hmac-6d2e8a4f1b9c7035",
    "ACCESSBOT_SCIM_BEARER_TOKEN": "scim-bearer-0b8f2d6c4e1a9357",
    "ACCESSBOT_METRICS_TOKEN": "metrics-5e7a1c3f9b2d4068",
    "VPN_WEBHOOK_SECRET": "connector-webhook-9a4c2e6b8d0f1357",  # a connector credential ({env: ...})
}
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def test_a_full_run_logs_no_configured_secret(store, clock, tmp_path):
    with FakeSlack.start(bot_token=SECRETS["SLACK_BOT_TOKEN"]) as fake:
        seed_slack_users(fake)
        world = make_world(store, clock, tmp_path)
        connectors = tmp_path / "connectors.yaml"
        connectors.write_text("instances:\n  mem: {type: memory}\n"
                              "  vpn: {type: webhook, url: 'http://127.0.0.1:9/vpn', secret: {env: VPN_WEBHOOK_SECRET}}\n")
        port, worker_port = free_port(), free_port()
        env = {**scrubbed_environ(), **SECRETS,
               "DATABASE_URL": store.engine.url.render_as_string(hide_password=False),
               "SLACK_API_URL": fake.api_url, "ACCESSBOT_CATALOG": str(tmp_path / "catalog.yaml"),
               "ACCESSBOT_CONNECTORS_FILE": str(connectors), "ACCESSBOT_LOG_LEVEL": "DEBUG",
               "ACCESSBOT_LOG_FORMAT": "json", "ACCESSBOT_WORKER_METRICS_PORT": str(worker_port)}
        log_path = tmp_path / "serve.log"
        with log_path.open("wb") as log_file:
            serve = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port)], cwd=tmp_path,
                                     env=env, stdout=log_file, stderr=subprocess.STDOUT)
            try:
                url = f"http://127.0.0.1:{port}"
                wait_healthy(url, timeout=120.0, alive=lambda: serve.poll() is None)
                wait_healthy(f"http://127.0.0.1:{worker_port}", timeout=120.0, alive=lambda: serve.poll() is None)
                workers = children_of(serve.pid)
                _drive_every_surface(url, worker_port, world, fake)
            finally:
                serve.terminate()
                serve.wait(WAIT)
            assert workers and all(_gone(pid) for pid in workers)

    text = log_path.read_text()
    for name, value in SECRETS.items():
        assert value not in text, f"{name}'s value is in the logs"
    # Not even the redaction (bot/logs.py, the last line of defence) had to hide one: no code logged one.
    assert "[redacted]" not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert len(lines) > 20 and len(lines) == len([line for line in text.splitlines() if line.strip()]), \
        "every line is a JSON line"
    assert {line["role"] for line in lines} == {"web", "worker"}
    assert all(line["replica"].startswith("replica-") for line in lines)
    assert any("slack_trigger" in line and line["slack_trigger"].startswith("view_submission") for line in lines)
    assert any("http_request_id" in line for line in lines)
    assert any(line.get("request_id") and line["message"].startswith("refused decide") for line in lines)


def _drive_every_surface(url: str, worker_port: int, world, fake) -> None:
    bot = SlackWorld(world, fake, SlackSim(url, fake, SECRET), None, None)
    # Slack: a request that needs two approvals, clicked through; and a forged request.
    form = bot.open_form(ALICE, "github admin")
    bot.sim.submit(ALICE, form.id, {"justification": "release 4.2 needs a branch rule change"})
    request_id = bot.last_request_id()
    card = fake.wait_until(lambda: [m for m in fake.dm(DANA) if f"#{request_id}:" in m.visible_text],
                           timeout=WAIT, what="the manager's card")[-1]
    assert bot.sim.click(DANA, on=card.ref, action_id="approve").status == 200
    owner_card = fake.wait_until(lambda: [m for m in fake.dm(OLGA) if f"#{request_id}:" in m.visible_text],
                                 timeout=WAIT, what="the owner's card")[-1]
    assert bot.sim.click(OLGA, on=owner_card.ref, action_id="approve").status == 200
    fake.wait_until(lambda: [m for m in fake.dm(ALICE) if "You now have" in m.visible_text],
                    timeout=WAIT, what="the worker provisions and tells the requester")
    forged = httpx.post(f"{url}/slack/events", content=b"command=/access&user_id=U0ALICE001", timeout=WAIT,
                        headers={"X-Slack-Request-Timestamp": str(int(time.time())),
                                 "X-Slack-Signature": "v0=" + "0" * 64,
                                 "Content-Type": "application/x-www-form-urlencoded"})
    assert forged.status_code == 401

    admin = {"Authorization": f"Bearer {SECRETS['ACCESSBOT_ADMIN_API_TOKEN']}"}
    pending = httpx.post(f"{url}/api/v1/requests", headers=admin, timeout=WAIT, json={
        "requester": "bob@acme.test", "entitlement": "github:admin", "justification": "a customer escalation"})
    assert pending.status_code == 201
    refused = httpx.post(f"{url}/api/v1/requests/{pending.json()['id']}/decisions", headers=admin, timeout=WAIT,
                         json={"approver": "bob@acme.test", "verdict": "approve"})
    assert refused.status_code == 403
    assert httpx.get(f"{url}/api/v1/people/alice@acme.test/grants", timeout=WAIT,
                     headers={"Authorization": "Bearer wrong"}).status_code == 401

    # The HR system: a signed mover event, and one signed with the wrong key.
    body = json.dumps({"event_id": "wd-deploy-1", "type": "mover", "occurred_at": "2026-11-02T08:00:00Z",
                       "person": {"email": "alice@acme.test", "title": "Staff Engineer"}}).encode()
    stamp = int(time.time())
    for key, status in ((SECRETS["ACCESSBOT_HR_WEBHOOK_SECRET"], 202), ("not-the-key", 401)):
        answer = httpx.post(f"{url}/hooks/hr", content=body, timeout=WAIT, headers={
            "X-Accessbot-Timestamp": str(stamp), "X-Accessbot-Signature": sign(key, stamp, body),
            "Content-Type": "application/json"})
        assert answer.status_code == status, answer.text

    # The identity provider over SCIM, with the right token and a wrong one.
    scim = {"Authorization": f"Bearer {SECRETS['ACCESSBOT_SCIM_BEARER_TOKEN']}"}
    created = httpx.post(f"{url}/scim/v2/Users", headers=scim, timeout=WAIT, json={
        "schemas": [USER], "userName": "zoe@acme.test", "active": True,
        "emails": [{"value": "zoe@acme.test", "primary": True}]})
    assert created.status_code == 201, created.text
    assert httpx.get(f"{url}/scim/v2/Users", headers={"Authorization": "Bearer wrong"},
                     timeout=WAIT).status_code == 401

    # Metrics of both processes, with and without the token.
    bearer = {"Authorization": f"Bearer {SECRETS['ACCESSBOT_METRICS_TOKEN']}"}
    for metrics in (f"{url}/metrics", f"http://127.0.0.1:{worker_port}/metrics"):
        assert httpx.get(metrics, timeout=WAIT).status_code == 401
        assert httpx.get(metrics, headers=bearer, timeout=WAIT).status_code == 200
    assert [g.status for g in world.grants_of("alice@acme.test")] == [GrantStatus.ACTIVE]


def _gone(pid: int) -> bool:
    from pathlib import Path

    return not Path(f"/proc/{pid}").exists()
