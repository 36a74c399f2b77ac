"""``grant.expiring`` (from the expiry-warning timer) → a DM to the holder with Extend and Relinquish;
every warning redrawn when the grant is extended, ends, or an extension request moves.

Each warning copy remembers the end it announced in its MessageRef purpose
(``expiry:<event id>:<epoch>``): a grant ending later than that was extended since. The event id
makes a retried event post nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timezone

from bot.domain.enums import GrantStatus
from bot.ledger.event_names import GrantEvent, RequestEvent
from bot.slack.notify import Dispatch, Handlers
from bot.slack.outbox import Event
from bot.slack.readmodels.expiry import ExpiryView, load_expiry
from bot.slack.views.expiry_notice import render_expiry_warning
from bot.store.models import AccessRequest

PREFIX = "expiry:"
GRANT_EVENTS = (GrantEvent.EXTENDED, GrantEvent.EXPIRED, GrantEvent.REVOKED, GrantEvent.REVOKE_FAILED, GrantEvent.CANCELLED)
# An extension beyond the self-service limit is a request: its fate changes what the warning says.
REQUEST_EVENTS = (RequestEvent.SUBMITTED, RequestEvent.APPROVED, RequestEvent.DENIED, RequestEvent.CANCELLED,
                  RequestEvent.TIMED_OUT, RequestEvent.SUPERSEDED)


def _load(d: Dispatch, grant_id: int) -> ExpiryView | None:
    with d.deps.store.uow() as s:
        return load_expiry(s, d.deps.catalog, grant_id, now=d.deps.clock.now())


def on_grant_expiring(d: Dispatch, event: Event) -> None:
    model = _load(d, int(event.payload["grant_id"]))
    if model is None or model.grant.status != GrantStatus.ACTIVE or model.grant.ends_at is None:
        return  # it ended or was made permanent before we got to it: nothing to warn about
    subject = ("grant", model.grant.id)
    if any(c.purpose.startswith(f"{PREFIX}{event.id}:") for c in d.out.copies(subject)):
        return
    ends_at = model.grant.ends_at
    d.out.post_dm(model.grant.holder.id, render_expiry_warning(model, ends_at, d.deps.clock.now()),
                  subject=subject, purpose=f"{PREFIX}{event.id}:{int(ends_at.timestamp())}")
    d.refresh_home(model.grant.holder.id)


def redraw_warnings(d: Dispatch, grant_id: int) -> None:
    copies = [c for c in d.out.copies(("grant", grant_id)) if c.purpose.startswith(PREFIX)]
    model = _load(d, grant_id) if copies else None
    for copy in copies if model is not None else ():
        d.out.update(copy, render_expiry_warning(model, announced_end(copy.purpose), d.deps.clock.now()))


def announced_end(purpose: str) -> datetime | None:
    epoch = purpose.rsplit(":", 1)[-1]
    return datetime.fromtimestamp(int(epoch), timezone.utc) if epoch.isdigit() else None


def on_grant_changed(d: Dispatch, event: Event) -> None:
    redraw_warnings(d, int(event.payload["grant_id"]))


def on_request_changed(d: Dispatch, event: Event) -> None:
    with d.deps.store.uow() as s:
        request = s.get(AccessRequest, int(event.payload["request_id"]))
        grant_id = request.extends_grant_id if request is not None else None
    if grant_id is not None:
        redraw_warnings(d, grant_id)


def register(handlers: Handlers) -> None:
    handlers.add(GrantEvent.EXPIRING, on_grant_expiring)
    for event_type in GRANT_EVENTS:
        handlers.add(event_type, on_grant_changed)
    for event_type in REQUEST_EVENTS:
        handlers.add(event_type, on_request_changed)
