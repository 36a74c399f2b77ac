"""A small Bolt app with accessbot's shape, built only to prove the fake and SlackSim against real Bolt.

/access opens a request modal (external_select app picker, multiline reason); a short reason is refused inline;
a valid one posts an approval card to the approver's DM; Approve rewrites the card with chat.update and tells
the clicker by an ephemeral through response_url; app_home_opened publishes a Home view.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.http_retry import RateLimitErrorRetryHandler

from tests.support.fake_slack import FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
APPROVER = "U0APPROVER"
CATALOG = {"github": "GitHub", "gitlab": "GitLab", "aws-prod": "AWS production", "okta": "Okta"}


def request_modal(app_hint: str) -> dict[str, Any]:
    picker: dict[str, Any] = {"type": "external_select", "action_id": "app_picker", "min_query_length": 2,
                              "placeholder": {"type": "plain_text", "text": "Pick an app"}}
    if app_hint in CATALOG:
        picker["initial_option"] = option(app_hint)
    return {
        "type": "modal", "callback_id": "request_access", "title": {"type": "plain_text", "text": "Request access"},
        "submit": {"type": "plain_text", "text": "Request"}, "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "input", "block_id": "app", "label": {"type": "plain_text", "text": "App"}, "element": picker},
            {"type": "input", "block_id": "reason", "label": {"type": "plain_text", "text": "Reason"},
             "element": {"type": "plain_text_input", "action_id": "reason_input", "multiline": True,
                         "max_length": 500}},
        ],
    }


def option(key: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": CATALOG[key]}, "value": key}


def request_card(requester: str, app_key: str, reason: str, decided_by: str | None = None) -> list[dict]:
    summary = {"type": "section", "block_id": "summary",
               "text": {"type": "mrkdwn", "text": f"<@{requester}> asks for *{CATALOG[app_key]}*: {reason}"}}
    if decided_by:
        return [summary, {"type": "context", "block_id": "decision",
                          "elements": [{"type": "mrkdwn", "text": f"✅ Approved by <@{decided_by}>"}]}]
    return [summary, {"type": "actions", "block_id": "decide", "elements": [
        {"type": "button", "action_id": "approve", "style": "primary", "value": f"{requester}:{app_key}",
         "text": {"type": "plain_text", "text": "Approve"}},
        {"type": "button", "action_id": "deny", "style": "danger", "value": f"{requester}:{app_key}",
         "text": {"type": "plain_text", "text": "Deny"}},
    ]}]


def build_bolt_app(fake: FakeSlack) -> App:
    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    app = App(signing_secret=SIGNING_SECRET, client=client)  # the client carries the token and the base URL

    @app.command("/access")
    def on_access_command(ack, body, client):
        ack(text="Opening the request form…")
        client.views_open(trigger_id=body["trigger_id"], view=request_modal(body.get("text", "").strip()))

    @app.options("app_picker")
    def on_app_options(ack, payload):
        query = payload["value"].lower()
        ack(options=[option(key) for key, name in CATALOG.items() if query in key or query in name.lower()])

    @app.view("request_access")
    def on_request_submitted(ack, body, view, client):
        values = view["state"]["values"]
        reason = values["reason"]["reason_input"]["value"] or ""
        if len(reason) < 10:
            ack(response_action="errors", errors={"reason": "Say a little more (10 characters at least)."})
            return
        ack()
        app_key = values["app"]["app_picker"]["selected_option"]["value"]
        requester = body["user"]["id"]
        client.chat_postMessage(channel=APPROVER, text=f"Access request from <@{requester}>",
                                blocks=request_card(requester, app_key, reason))

    @app.action("approve")
    def on_approve_clicked(ack, body, client, respond):
        ack()
        requester, app_key = body["actions"][0]["value"].split(":")
        client.chat_update(channel=body["channel"]["id"], ts=body["message"]["ts"], text="Approved",
                           blocks=request_card(requester, app_key, "see above", decided_by=body["user"]["id"]))
        respond(text="Recorded your approval.", replace_original=False)

    @app.event("app_home_opened")
    def on_home_opened(event, client):
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"Hello <@{event['user']}>"}},
            {"type": "actions", "elements": [{"type": "button", "action_id": "home_request",
                                              "text": {"type": "plain_text", "text": "Request access"}}]}]})

    @app.action("home_request")
    def on_home_request(ack, body, client):
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=request_modal(""))

    return app


async def raw_body(request: Request) -> bytes:
    """The exact bytes Slack signed, read before anything parses the form."""
    return await request.body()


def build_http_app(bolt: App) -> FastAPI:
    """A plain `def` route runs Bolt's blocking dispatch in FastAPI's threadpool (notes §3 #8, option b)."""
    api = FastAPI()

    @api.post("/slack/events")
    def slack_events(request: Request, body: Annotated[bytes, Depends(raw_body)]) -> Response:
        bolt_response = bolt.dispatch(BoltRequest(body=body.decode(), query=request.url.query,
                                                  headers=dict(request.headers)))
        return Response(status_code=bolt_response.status, content=bolt_response.body,
                        headers=bolt_response.first_headers())

    return api
