"""The catalog's license: and inactivity: keys, checked by the loader at their file:line."""

from __future__ import annotations

import pytest

from policies.errors import PolicyLoadError
from policies.loader import load_catalog
from tests.usage.conftest import USAGE_CATALOG


def _load(tmp_path, text: str):
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    return load_catalog(path)


def test_license_and_inactivity_resolve_with_the_most_specific_block_winning(tmp_path):
    catalog = _load(tmp_path, USAGE_CATALOG)
    seat = catalog.entitlements["salesforce:sales-cloud"]
    assert (seat.license.cents, seat.license.currency) == (15000, "USD")
    assert (seat.inactivity.after_days, seat.inactivity.then, seat.inactivity.include_birthright) == (30, "release", False)
    admin = catalog.entitlements["salesforce:admin"]
    assert (admin.inactivity.answer_days, admin.inactivity.then) == (3, "ask_owner")
    assert admin.inactivity.asks_owner_first(admin.risk)
    assert catalog.entitlements["tableau:viewer"].inactivity is None
    assert catalog.entitlements["github:member"].license is None


@pytest.mark.parametrize(("bad", "message"), [
    ("license: {amount: 150, currency: dollars}", "currency"),
    ("license: {amount: '150', currency: USD}", "amount must be a number"),
    ("inactivity: {after_days: 0, answer_days: 7}", "after_days"),
    ("inactivity: {after_days: 30, answer_days: 7, then: delete}", "then"),
    ("inactivity: {after_days: 30, answer_days: 7, then: ask_owner}", "has no owners"),
])
def test_mistakes_are_reported_at_their_line(tmp_path, bad, message):
    text = USAGE_CATALOG.replace("    license: {amount: 70, currency: USD}", f"    {bad}")
    with pytest.raises(PolicyLoadError) as caught:
        _load(tmp_path, text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row == f"    {bad}")
    assert any(f"catalog.yaml:{line}:" in str(issue) and message in str(issue) for issue in caught.value.issues), \
        str(caught.value)
