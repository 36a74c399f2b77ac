from __future__ import annotations

import pytest

from connectors import scim_wire as wire
from connectors.errors import InvalidRequest


def test_remove_bodies_always_name_the_member():
    rfc = wire.remove_member_body("u1", "filter")
    entra = wire.remove_member_body("u1", "value")
    assert rfc["Operations"] == [{"op": "remove", "path": 'members[value eq "u1"]'}]
    assert entra["Operations"] == [{"op": "remove", "path": "members", "value": [{"value": "u1"}]}]
    assert rfc["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]


@pytest.mark.parametrize("operation", [
    {"op": "remove", "path": "members"},
    {"op": "Remove", "path": " Members "},
    {"op": "remove", "path": "members", "value": []},
    {"op": "remove"},
])
def test_a_remove_that_would_empty_the_group_is_refused(operation):
    with pytest.raises(InvalidRequest, match="empty the group"):
        wire.assert_targeted_remove({"Operations": [operation]})


def test_quoting_escapes_quotes_and_backslashes():
    assert wire.quoted('a"b\\c') == '"a\\"b\\\\c"'
    assert wire.membership_filter("g", 'x"]') == 'id eq "g" and members[value eq "x\\"]"]'


def test_control_characters_are_refused_in_filters():
    with pytest.raises(InvalidRequest):
        wire.quoted("a\nb")


def test_active_is_replaced_okta_style_without_a_path():
    assert wire.active_body(False)["Operations"] == [{"op": "replace", "value": {"active": False}}]


@pytest.mark.parametrize(("value", "expected"), [(True, True), ("False", False), ("true", True), (None, None), (1, None)])
def test_booleans_as_sent_in_the_wild(value, expected):
    assert wire.as_bool(value) is expected
