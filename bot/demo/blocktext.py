"""Block Kit as plain text, for the demo's transcript: headers, sections (and their fields),
context, buttons as ``[Approve]``, inputs as ``Label: [____]``, with mrkdwn made readable
(mentions by name, dates by their fallback, links by their label).

    render_blocks(blocks, names={"U0ACME0005": "Alice Nguyen"})  -> list of lines
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)>")
_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>")
_BARE_LINK = re.compile(r"<(https?://[^<>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(\S(?:[^*\n]*\S)?)\*(?![\w*])")


def readable(text: str, names: Mapping[str, str]) -> str:
    """mrkdwn → what a reader sees, near enough for a terminal."""
    text = _USER.sub(lambda m: "@" + (names.get(m.group(1)) or m.group(2) or m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (names.get(m.group(1)) or m.group(2) or m.group(1)), text)
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _LINK.sub(lambda m: m.group(2), text)
    text = _BARE_LINK.sub(lambda m: m.group(1), text)
    text = _BOLD.sub(lambda m: m.group(1), text)
    return html.unescape(text.replace("\u2060", ""))


def render_blocks(blocks: list[dict[str, Any]], names: Mapping[str, str]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        lines += _block(block, names)
    return lines


def _text(obj: dict[str, Any] | None, names: Mapping[str, str]) -> str:
    if not obj:
        return ""
    raw = obj.get("text", "")
    return readable(raw, names) if obj.get("type") == "mrkdwn" else raw


def _block(block: dict[str, Any], names: Mapping[str, str]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [f"## {_text(block.get('text'), names)}"]
    if kind == "section":
        lines = _text(block.get("text"), names).splitlines()
        for field in block.get("fields") or []:
            label, _, value = _text(field, names).partition("\n")
            lines.append(f"{label}: {value.replace(chr(10), ' / ')}" if value else label)
        accessory = block.get("accessory")
        if accessory and accessory.get("type") == "button":
            lines.append(_button(accessory))
        return lines
    if kind == "context":
        parts = [_text(e, names) if e.get("type") in ("mrkdwn", "plain_text") else "" for e in block["elements"]]
        return ["  " + line for line in " · ".join(p for p in parts if p).splitlines()]
    if kind == "actions":
        return [" ".join(_element(e) for e in block.get("elements", []))]
    if kind == "divider":
        return ["----"]
    if kind == "input":
        optional = " (optional)" if block.get("optional") else ""
        return [f"{_text(block.get('label'), names)}{optional}: {_element(block.get('element') or {})}"]
    return [f"<{kind} block>"]


def _button(element: dict[str, Any]) -> str:
    return f"[{element.get('text', {}).get('text', '?')}]"


def _element(element: dict[str, Any]) -> str:
    kind = element.get("type")
    if kind == "button":
        return _button(element)
    if kind in ("static_select", "external_select"):
        chosen = (element.get("initial_option") or {}).get("text", {}).get("text")
        options = [o["text"]["text"] for o in element.get("options") or []]
        shown = f"({chosen} ▾)" if chosen else "(choose ▾)"
        return f"{shown} {' | '.join(options)}" if options else shown
    if kind == "plain_text_input":
        return "[" + (element.get("initial_value") or "_" * 12) + "]"
    return f"<{kind}>"
