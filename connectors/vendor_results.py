"""Results the vendor connectors share."""

from __future__ import annotations

from connectors.base import ActionResult, Outcome


def settled(detail: str, *, dry_run: bool) -> ActionResult:
    """The target already shows the desired state: ALREADY, or in a dry run a PLANNED with no write.

    A dry run still says PLANNED (callers render every dry run alike) but names no request, so the
    approval card reads "no change: already a member" instead of a call that would never be sent.
    """
    if dry_run:
        return ActionResult(Outcome.PLANNED, detail=detail, planned_calls=(f"no change: {detail}",))
    return ActionResult(Outcome.ALREADY, detail=detail)
