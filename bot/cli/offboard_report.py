"""The CLI's text of an offboarding report (``accessbot offboard``, ``offboard report``, ``offboard leavers``):
the same model (bot/offboarding/report.py) that IT's Slack message renders as blocks."""

from __future__ import annotations

from bot.offboarding.report import FAILED, OK, PENDING, OffboardReport, Rehire


def render(report: OffboardReport) -> str:
    head = f"Offboarding #{report.offboarding_id} of {report.person_email}: {report.status}"
    lines = [head]
    if report.scheduled_for:
        lines.append(f"  scheduled for {report.scheduled_for:%Y-%m-%d %H:%M} UTC")
    if report.reason:
        lines.append(f"  reason: {report.reason}")
    lines.append(f"  requested by {report.requested_by}")
    lines += _four_eyes_lines(report)
    if report.cancelled:
        lines.append(f"  cancelled by {report.cancelled.get('by')}: {report.cancelled.get('reason')}")
    for system in report.systems:
        lines.append(f"{system.mark} {system.system}")
        for item in system.items:
            lines.append(f"    {item.mark} {item.what}: {item.reason}")
    if report.no_account:
        lines.append(f"  no account in: {', '.join(report.no_account)}")
    if report.requests_cancelled:
        lines.append(f"  pending requests cancelled: {', '.join(f'#{i}' for i in report.requests_cancelled)}")
    if report.approvals_rerouted:
        lines.append(f"  approvals re-routed: {', '.join(f'#{i}' for i in report.approvals_rerouted)}")
    if report.still_ending:
        lines.append(f"  also being revoked elsewhere: {', '.join(f'grant #{i}' for i in report.still_ending)}")
    lines.append(f"  {report.count(OK)} done, {report.count(FAILED)} failed, {report.count(PENDING)} pending")
    if report.rehire is not None:
        lines += _render_rehire(report.rehire)
    return "\n".join(lines)


def _four_eyes_lines(report: OffboardReport) -> list[str]:
    confirmation = report.confirmation
    if not confirmation:
        return []
    if confirmation.get("break_glass"):
        return [f"  BREAK GLASS (no second confirmation) by {confirmation.get('asked_by')}: {confirmation.get('reason')}"]
    held = ", ".join(confirmation.get("privileged") or [])
    lines = [f"  privileged access: {held}"] if held else []
    if confirmation.get("confirmed_by"):
        lines.append(f"  confirmed by {confirmation['confirmed_by']}")
    elif report.status == "unconfirmed":
        lines.append("  waiting for a second IT admin to confirm")
    return lines


def _render_rehire(rehire: Rehire) -> list[str]:
    lines = [f"Re-hired {rehire.rehired_at[:16].replace('T', ' ')} UTC; earlier access is not restored "
             "(it must be requested again)"]
    if rehire.status == "scheduled":
        when = (rehire.reactivate_at or "")[:16].replace("T", " ")
        lines.append(f"  accounts accessbot suspended are reactivated on {when} UTC")
    for item in rehire.items:
        lines.append(f"  {item.mark} {item.what}: {item.reason}")
    for left in rehire.left_suspended:
        lines.append(f"  – {left['system']}: not reactivated: {left['reason']}")
    if rehire.stopped:
        lines.append(f"  {len(rehire.stopped)} account call(s) of the offboarding that had not run were stopped")
    return lines
