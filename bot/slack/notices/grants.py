"""Grant events → the holder's DMs, the request card's access line, and the holder's App Home."""

from __future__ import annotations

from collections.abc import Callable

from bot.ledger.event_names import GrantEvent
from bot.slack.notices.requests import sync_cards
from bot.slack.notify import Dispatch, Handlers
from bot.slack.outbox import Event
from bot.slack.readmodels.grant import GrantView, load_grant_view
from bot.slack.views import common as ui
from bot.slack.views import notices

NOTICES: dict[str, Callable[[GrantView], ui.Rendered]] = {
    GrantEvent.ACTIVATED: notices.grant_activated,
    GrantEvent.FAILED: notices.grant_failed,
    GrantEvent.EXPIRED: notices.grant_ended,
    GrantEvent.REVOKED: notices.grant_ended,
}
QUIET = (GrantEvent.EXTENDED, GrantEvent.CANCELLED, GrantEvent.REVOKE_FAILED)  # card and Home only


def on_grant_event(d: Dispatch, event: Event) -> None:
    with d.deps.store.uow() as s:
        grant = load_grant_view(s, d.deps.catalog, int(event.payload["grant_id"]))
    if grant is None:
        return
    render = NOTICES.get(event.type)
    purpose = f"notice:{event.id}"
    if render is not None and not d.out.has(("grant", grant.id), purpose):
        d.out.post_dm(grant.holder.id, render(grant), subject=("grant", grant.id), purpose=purpose)
    if grant.request_id is not None:
        sync_cards(d, grant.request_id, post_missing=False)
    d.refresh_home(grant.holder.id)


def register(handlers: Handlers) -> None:
    for event_type in (*NOTICES, *QUIET):
        handlers.add(event_type, on_grant_event)
