"""What SlackSim and the fake cost per request: `python -m tests.fake_slack.overhead [rounds]`.

The app is a Starlette endpoint under uvicorn that acks at once, so what remains is transport plus the driver's
own work (minting trigger_id / response_url on the fake, building and signing the payload, finding elements).
The baseline is a bare signed POST of a prebuilt body to the same server with the same httpx client.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from slack_sdk import WebClient
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from tests.support.fake_slack import FakeSlack
from tests.support.live_server import serve_asgi
from tests.support.slack_sim import SlackSim

SECRET = "overhead-secret"
USER = "U0MEASURE1"


def instant_ack_app() -> Starlette:
    async def events(request) -> Response:
        await request.body()
        return Response(status_code=200)

    return Starlette(routes=[Route("/slack/events", events, methods=["POST"])])


def median_ms(action: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(rounds: int = 200) -> dict[str, float]:
    with FakeSlack.start() as fake, serve_asgi(instant_ack_app()) as url:
        fake.add_user(USER, "measure@example.com", "measure")
        client = WebClient(token=fake.bot_token, base_url=fake.api_url)
        card = client.chat_postMessage(channel=USER, text="card", blocks=[{"type": "actions", "elements": [
            {"type": "button", "action_id": "approve", "text": {"type": "plain_text", "text": "Approve"}}]}])
        sim = SlackSim(url, fake, SECRET)
        body = b"command=%2Faccess&text=github&user_id=U0MEASURE1"
        results = {
            "bare signed POST (baseline)": median_ms(
                lambda: sim.signed_request(body, "application/x-www-form-urlencoded"), rounds),
            "sim.slash": median_ms(lambda: sim.slash(USER, "/access", "github"), rounds),
            "sim.click": median_ms(lambda: sim.click(USER, on=(card["channel"], card["ts"]), action_id="approve"),
                                   rounds),
            "sim.event": median_ms(lambda: sim.event({"type": "app_home_opened", "user": USER,
                                                      "channel": card["channel"], "tab": "home"}), rounds),
            "fake Web API call (WebClient.users_info)": median_ms(lambda: client.users_info(user=USER), rounds),
        }
    return results


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    results = measure(rounds)
    baseline = results["bare signed POST (baseline)"]
    for name, value in results.items():
        extra = f"  (+{value - baseline:.2f} ms driver work)" if name.startswith("sim.") else ""
        print(f"{name:44s} {value:7.2f} ms median over {rounds}{extra}")


if __name__ == "__main__":
    main()
