"""The fast canonical form of an audit event is byte for byte the json.dumps one the chain was built with."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bot.audit.log import HASHED, canonical

BASE = {"seq": 7, "occurred_at": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc), "actor": "person:a@x.test",
        "action": "request.submitted", "subject_type": "request", "subject_id": "42", "person_email": "a@x.test",
        "trigger": "slack", "detail": {"b": 1, "a": [1.5, None, True], "z": {"y": "ü\"\\\n", "x": "日本"}},
        "prev_hash": "0" * 64}


def reference(fields: dict) -> bytes:
    fields = dict(fields, occurred_at=fields["occurred_at"].isoformat(timespec="microseconds"))
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str).encode()


@pytest.mark.parametrize("change", [{}, {"person_email": None}, {"actor": "Zoë \u2028 \"quoted\" \\ </script>"},
                                    {"detail": {}}, {"subject_id": "\x00\x1f"}, {"seq": 10**15}])
def test_fast_canonical_form_matches_json_dumps(change):
    fields = dict(BASE, **change)
    assert set(fields) == set(HASHED)
    assert canonical(fields) == reference(fields)


def test_unusual_types_fall_back_to_json_dumps():
    fields = dict(BASE, subject_id=42, detail={"when": datetime(2026, 1, 1, tzinfo=timezone.utc)})
    assert canonical(fields) == reference(fields)
