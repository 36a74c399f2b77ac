"""The break-glass policy the tests use, added to github:admin of the world's and the Slack harness's catalog:
Engineering only, at most 2h, once a week, reviewed by the manager within a day of the end."""

GITHUB_ADMIN = """        require_justification: true
        approval: [manager, owners]
"""
POLICY = """        break_glass:
          who: 'person.department == "Engineering"'
          max_duration: 2h
          budget: {uses: 1, per: 7d}
          review: {by: manager, within: 1d}
"""


def with_break_glass(catalog: str) -> str:
    assert GITHUB_ADMIN in catalog
    return catalog.replace(GITHUB_ADMIN, GITHUB_ADMIN + POLICY, 1)
