"""Request a bundle: several entitlements asked for together and decided in one approval round.

All or nothing: every entitlement is checked against its own policy (eligibility, duration,
justification, ticket, separation of duties) and if any is refused, none is requested. Then one
request per entitlement is recorded (see ``bundle_round`` for how they hang together) and the
round's approval steps are the entitlements' own steps, each distinct step once: an entitlement
its auto-approve rule (or an empty chain) lets through adds none, two that both ask for the
manager need the manager once. No step left: the whole bundle is approved at once. The lead's
card lists every entitlement; approving the last step grants them all, a denial denies them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.domain.errors import DomainError, NotFoundError
from bot.ledger import approve, bundle_round, due, reminders, routing
from bot.ledger.context import Ctx
from bot.ledger.event_names import RequestEvent
from bot.ledger.events import happened
from bot.oncall import auto_approval as on_call
from bot.requests import submit as submit_op
from bot.store.models import AccessRequest, Person
from policies import RequestFacts


@dataclass(frozen=True)
class BundleSubmitted:
    lead: AccessRequest  # carries the steps and the card
    requests: list[AccessRequest]  # one per entitlement, the lead first
    outcome: str  # "pending" or "approved" (no step left)
    notices: tuple[str, ...] = ()  # for the requester: why a fast path was not taken, each once


def lookup_bundle(catalog, name: str):
    spec = catalog.bundles.get(name)
    if spec is None:
        known = ", ".join(sorted(catalog.bundles)) or "none"
        raise NotFoundError(f"Unknown bundle {name!r} (bundles: {known}).", field="bundle")
    return spec


def submit_bundle(s: Session, ctx: Ctx, *, requester: Person, bundle: str, duration=submit_op.USE_DEFAULT,
                  justification: str = "", ticket: str = "", created_by: Person | None = None) -> BundleSubmitted:
    """``duration``: one for every entitlement (each policy must allow it); by default each one's own."""
    spec = lookup_bundle(ctx.catalog, bundle)
    ents = [submit_op.lookup_entitlement(ctx.catalog, ref) for ref in spec.entitlements]
    facts = directory.facts(s, requester)
    justification, ticket = justification.strip(), ticket.strip()
    chosen = {ent.ref: ent.durations.default if duration is submit_op.USE_DEFAULT else duration for ent in ents}
    for ent in ents:
        try:
            submit_op._check(s, ctx, ent, requester, facts, chosen[ent.ref], justification, ticket, None)
        except DomainError as error:
            raise type(error)(f"{ent.ref} in bundle {bundle}: {error.message}", field=error.field) from error
    # The providers are asked before new_request locks rows; their roster cache makes a schedule that
    # several entitlements read one call.
    answers = {ent.ref: on_call.answers_for(ctx, ent, requester) for ent in ents}
    requests = [submit_op.new_request(s, ctx, requester=requester, ent=ent, duration=chosen[ent.ref],
                                      justification=justification, ticket=ticket, bundle=bundle,
                                      created_by=created_by) for ent in ents]
    lead = requests[0]
    rules, notices = _auto_approvals(s, ctx, requester, facts, ents, requests, answers,
                                     justification, ticket, chosen)
    chain = _round(s, ctx, requester, [ent for ent in ents if rules[ent.ref] is None])
    steps = [submit_op.add_step(s, ctx, lead, position, resolved, ent.approvals_channel)
             for position, (ent, _, resolved) in enumerate(chain)]
    lead.expires_at = min(r.expires_at for r in requests)
    lead.extra = {**(lead.extra or {}), "bundle_lead": lead.id, "bundle_members": [r.id for r in requests],
                  "bundle_steps": [[ent.ref, index] for ent, index, _ in chain]}
    for request in requests[1:]:
        request.extra = {**(request.extra or {}), "bundle_lead": lead.id}
    for request, ent in zip(requests, ents, strict=True):
        happened(s, ctx, RequestEvent.SUBMITTED, subject_type="request", subject_id=request.id,
                 person_email=requester.email,
                 detail={"entitlement": ent.ref, "duration_seconds": request.duration_seconds,
                         "justification": justification, "ticket": ticket, "extends_grant_id": request.extends_grant_id,
                         "risk": ent.risk, "bundle": bundle, "bundle_request": lead.id,
                         "auto_approve": rules[ent.ref],
                         "steps": [{"label": st.label, "quorum": st.quorum, "approver_ids": st.approver_ids,
                                    "fallback": st.used_fallback} for st in steps] if request is lead else []},
                 notify=request is lead and bool(steps))
    if not steps:
        lead.auto_approved = True
        lead.policy_rule = "; ".join(f"{ref}: {rule}" for ref, rule in rules.items())[:200]
        granted_by = f"auto: bundle {bundle}"
        approve.finalise_approved(s, ctx, lead, requester, granted_by=granted_by)
        bundle_round.approve_followers(s, ctx, lead, requester, granted_by=granted_by)
        return BundleSubmitted(lead, requests, "approved", notices)
    due.schedule(s, due.LedgerKind.REQUEST_TIMEOUT, lead.id, lead.expires_at, now=ctx.now)
    reminders.schedule_reminder(s, ctx, lead, steps[0], chain[0][0].reminder_after)
    return BundleSubmitted(lead, requests, "pending", notices)


def _auto_approvals(s: Session, ctx: Ctx, requester: Person, facts, ents, requests, answers, justification: str,
                    ticket: str, chosen) -> tuple[dict[str, str | None], tuple[str, ...]]:
    """Each entitlement's auto-approve reason (None: its steps join the round), as a single submit decides
    it: on-call rules read the answers, ``ends_with_shift`` cuts that entitlement's own duration."""
    rules, notices = {}, []
    for ent, request in zip(ents, requests, strict=True):
        approval = ent.auto_approval(facts, RequestFacts(chosen[ent.ref], justification, ticket),
                                     directory.owner_departments(s, ent.owners), answers[ent.ref])
        approval, told = on_call.settle(s, ctx, request, requester, answers[ent.ref], approval)
        rules[ent.ref] = approval.reason if approval else None
        notices.extend(f"{ent.ref}: {notice}" for notice in told)
    fallbacks = [reason for r in requests if (reason := on_call.fallback_of(r))]
    if fallbacks:  # the card shows the lead's; members keep their own for the audit trail
        requests[0].extra = {**(requests[0].extra or {}), on_call.FALLBACK_KEY: " ".join(dict.fromkeys(fallbacks))}
    return rules, tuple(dict.fromkeys(notices))


def _round(s: Session, ctx: Ctx, requester: Person, ents) -> list[tuple[object, int, routing.ResolvedStep]]:
    """(entitlement, index of its step, resolved step) for each distinct step the entitlements ask for."""
    chain, seen = [], set()
    for ent in ents:
        for index, spec in enumerate(ent.approval_steps):
            resolved = routing.resolve_step(s, ctx.catalog, ent, spec, requester)
            key = (resolved.kind, resolved.quorum, tuple(sorted(resolved.approver_ids)))
            if key not in seen:
                seen.add(key)
                chain.append((ent, index, resolved))
    return chain

