"""The break-glass policy the tests use, added to github:admin of the world's and the Slack harness's catalog:
Engineering only, at most 2h, once a week, reviewed by the manager within a day of the end."""

POLICY = {"who": 'person.department == "Engineering"', "max_duration": "2h", "budget": {"uses": 1, "per": "7d"},
          "review": {"by": "manager", "within": "1d"}}


def with_break_glass(document: dict) -> dict:
    """``document``: a catalog as data (tests/support/builders.py); changed in place and returned."""
    document["resources"]["github"]["entitlements"]["admin"]["break_glass"] = dict(POLICY)
    return document
