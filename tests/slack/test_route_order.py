"""/slack/events is the first route the app tries (bot/slack/endpoint.py:first_in_line), and moving it
there changes no other route's answer."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from bot.slack.endpoint import EVENTS_PATH, mount


def test_the_slack_route_is_matched_first_and_the_others_still_answer():
    api = FastAPI()
    router = APIRouter()
    router.get("/healthz")(lambda: {"ok": True})
    router.post("/hooks/{name}")(lambda name: {"hook": name})
    api.include_router(router)
    api.include_router(router, prefix="/api/v1")
    mount(api, bolt=None, signing_secret="secret")
    assert getattr(api.router.routes[0], "path", None) == EVENTS_PATH
    assert [getattr(r, "path", None) for r in api.router.routes].count(EVENTS_PATH) == 1
    client = TestClient(api)
    assert client.get("/healthz").json() == {"ok": True}
    assert client.get("/api/v1/healthz").json() == {"ok": True}
    assert client.post("/hooks/hr").json() == {"hook": "hr"}
    assert client.post(EVENTS_PATH, content=b"{}").status_code == 401  # unsigned: refused by our route
    assert client.get(EVENTS_PATH).status_code == 405
