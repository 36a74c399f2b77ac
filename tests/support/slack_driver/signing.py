"""Slack's v0 request signature (notes/slack-platform.md §1.2), as the driver computes it for every request."""

from __future__ import annotations

import hashlib
import hmac


def slack_signature(secret: str, timestamp: str, raw_body: bytes) -> str:
    """`v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>`; equals SignatureVerifier.generate_signature."""
    base = b"v0:" + timestamp.encode() + b":" + raw_body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(secret: str, timestamp: int, raw_body: bytes, content_type: str) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": slack_signature(secret, str(timestamp), raw_body),
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
