"""Every id Slack sends back to us: slash commands, shortcuts, events, action, block and callback ids.

Listeners register on these and renderers emit them, so a typo is an AttributeError, not a button
that silently does nothing. Values are part of the wire format: a card already posted in Slack keeps
the ids it was rendered with, so renaming a value strands old buttons (add a new member instead).
"""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    ACCESS = "/access"
    OFFBOARD = "/offboard"  # IT lifecycle surfaces (second Slack helper)
    ACCESS_ADMIN = "/access-admin"


class Shortcut(StrEnum):
    REQUEST_ACCESS = "request_access"  # global shortcut "Request access"


class Event(StrEnum):
    APP_HOME_OPENED = "app_home_opened"


class Callback(StrEnum):
    """callback_id of modals."""

    REQUEST = "request_modal"
    DENY = "deny_modal"
    EXTEND = "extend_modal"
    NOTICE = "notice_modal"  # read-only message (a refusal shown where no ephemeral can go)
    TASK_CANNOT = "task_cannot_modal"  # why a manual task cannot be done
    OFFBOARD = "offboard_modal"  # /offboard: the plan, then Offboard / Schedule
    BREAK_GLASS = "break_glass_modal"  # emergency access: what will happen, then confirm
    BREAK_GLASS_REVIEW = "break_glass_review_modal"  # the reviewer's reason for a verdict
    REVIEW = "review_modal"  # an access reviewer's items, one page
    REVIEW_REASON = "review_reason_modal"  # why revoke (or keep high-risk access)
    REVIEW_KEEP_ALL = "review_keep_all_modal"  # confirm keeping everything left
    USAGE_KEEP = "usage_keep_modal"  # Keep unused access, with an optional reason


class Action(StrEnum):
    """action_id of interactive elements."""

    # request modal
    ENTITLEMENT_PICKER = "entitlement_picker"  # external_select: options + dispatch_action
    DURATION = "duration"  # a prefix: the element is "duration:<ref>" so a new entitlement resets it
    JUSTIFICATION = "justification"
    TICKET = "ticket"
    STARTS_AT = "starts_at"
    # request card
    APPROVE = "approve"
    DENY = "deny"
    CANCEL_REQUEST = "cancel_request"
    # deny / extend modals
    DENY_REASON = "deny_reason"
    EXTEND_BY = "extend_by"
    # App Home
    OPEN_REQUEST_MODAL = "open_request_modal"
    EXTEND_GRANT = "extend_grant"
    RELINQUISH_GRANT = "relinquish_grant"
    HOME_SHOW_MORE = "home_show_more"
    # IT surfaces: manual task cards, revoke-failed alerts, offboarding reports
    TASK_DONE = "task_done"
    TASK_CANNOT = "task_cannot"
    TASK_CANNOT_REASON = "task_cannot_reason"
    RETRY_ACTION = "retry_action"
    RETRY_OFFBOARDING = "retry_offboarding"
    OFFBOARD_REASON = "offboard_reason"
    OFFBOARD_BREAK_GLASS = "offboard_break_glass"  # checkbox on the /offboard plan (four eyes skipped)
    CONFIRM_OFFBOARDING = "confirm_offboarding"  # a second IT admin confirms (four eyes)
    CANCEL_OFFBOARDING = "cancel_offboarding"  # withdraw a scheduled or unconfirmed offboarding
    # break-glass: the request form's emergency button, its confirmation, the after-the-fact review
    BREAK_GLASS_OPEN = "break_glass_open"
    BREAK_GLASS_CONFIRM = "break_glass_confirm"
    BREAK_GLASS_JUSTIFIED = "break_glass_justified"
    BREAK_GLASS_NOT_JUSTIFIED = "break_glass_not_justified"
    BREAK_GLASS_REVIEW_REASON = "break_glass_review_reason"
    # access reviews
    REVIEW_OPEN = "review_open"  # on the reviewer's DM and App Home
    REVIEW_KEEP = "review_keep"
    REVIEW_KEEP_WHY = "review_keep_why"  # Keep on high/critical risk: asks for a reason first
    REVIEW_REVOKE = "review_revoke"  # asks for a reason first
    REVIEW_REASSIGN = "review_reassign"  # users_select
    REVIEW_KEEP_ALL = "review_keep_all"
    REVIEW_PAGE = "review_page"  # a prefix: "review_page:<n>", so Previous and Next differ
    # unused access ("keep it or release it?")
    USAGE_KEEP = "usage_keep"  # opens the optional-reason modal
    USAGE_RELEASE = "usage_release"


class Block(StrEnum):
    """block_id of input blocks (the keys of inline errors) and of blocks tests look for."""

    ENTITLEMENT = "entitlement"
    DURATION = "duration"
    JUSTIFICATION = "justification"
    TICKET = "ticket"
    STARTS_AT = "starts_at"
    DENY_REASON = "reason"
    DECISION = "decision"  # the actions block of a request card
    OUTCOME = "outcome"  # the context block that replaces it once decided
    TASK_CANNOT_REASON = "task_reason"
    TASK_ACTIONS = "task_actions"  # Done / Can't do on a manual task card
    ALERT_ACTIONS = "alert_actions"  # Retry on a revoke-failed alert
    OFFBOARD_REASON = "offboard_reason"
    OFFBOARD_BREAK_GLASS = "offboard_break_glass"
    OFFBOARD_ACTIONS = "offboard_actions"  # Retry / Confirm / Cancel on an offboarding report
    EXPIRY_ACTIONS = "expiry_actions"  # Extend / Relinquish on an expiry warning
    BREAK_GLASS_CONFIRM = "break_glass_confirm"
    BREAK_GLASS_REVIEW_REASON = "break_glass_review_reason"
    BREAK_GLASS_REVIEW_ACTIONS = "break_glass_review_actions"


# A DomainError names the input that was wrong (`field`); this says which block shows the message.
FIELD_BLOCKS: dict[str, Block] = {
    "entitlement": Block.ENTITLEMENT,
    "duration": Block.DURATION,
    "justification": Block.JUSTIFICATION,
    "ticket": Block.TICKET,
    "starts_at": Block.STARTS_AT,
    "reason": Block.DENY_REASON,
    "task_reason": Block.TASK_CANNOT_REASON,
    "offboard_reason": Block.OFFBOARD_REASON,
    "break_glass_confirm": Block.BREAK_GLASS_CONFIRM,
    "break_glass_review_reason": Block.BREAK_GLASS_REVIEW_REASON,
}


def duration_action(entitlement_ref: str) -> str:
    """The duration select's action_id for one entitlement: changing the entitlement changes the id, so
    Slack drops the old choice and shows the new policy's default instead of keeping a stale option."""
    return f"{Action.DURATION}:{entitlement_ref}"
