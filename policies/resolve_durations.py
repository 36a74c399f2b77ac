"""Resolve an entitlement's durations from its layers, field by field.

Conflicts between fields follow one rule: the value written at the more specific level wins and
the inherited one is adjusted to fit it. Choices written below an inherited maximum set the
bound, up or down (the largest choice); inherited choices above an entitlement's own maximum are
dropped. Two values written at the same level that disagree are an error: the author said two
different things in one place.
"""

from __future__ import annotations

from datetime import timedelta

from policies.durations import short
from policies.errors import PolicyIssue
from policies.layers import Layers, Picked
from policies.model import Durations
from policies.schema import Length

BUILT_IN_CHOICES = (timedelta(hours=1), timedelta(hours=4), timedelta(days=1), timedelta(days=7))


def resolve_durations(layers: Layers, subject: str, issues: list[PolicyIssue]) -> tuple[Durations, dict[str, str]]:
    permanent = layers.pick_sub("durations", "permanent", False)
    maximum = layers.pick_sub("durations", "maximum")
    choices = layers.pick_sub("durations", "choices", [Length(d) for d in BUILT_IN_CHOICES])
    default = layers.pick_sub("durations", "default")

    finite = sorted({c.value for c in choices.value if c.value is not None})
    allowed = bool(permanent.value)
    for picked, key in ((choices, "choices"), (default, "default")):
        if not allowed and _says_permanent(picked):
            if picked.level > permanent.level:
                allowed = True
            elif picked.level == permanent.level:
                issues.append(_issue(picked, key, f"{key} include{'s' if key == 'default' else ''} 'permanent' "
                                     "but permanent: false is written next to it"))

    if maximum.value is not None:
        limit, limit_at, limit_name = maximum.value, maximum, "maximum"
        finite = _fit_choices(finite, choices, maximum, issues)
        if choices.level > maximum.level and finite:
            limit = finite[-1]  # an entitlement's own menu sets its bound, up or down
    else:
        limit = None if allowed else (finite[-1] if finite else None)
        limit_at, limit_name = choices, "largest choice"

    chosen = _default(default, finite, allowed, limit, limit_at, limit_name, issues)
    if chosen is not None and limit is not None and chosen > limit:
        limit = chosen  # an entitlement's own default raises an inherited maximum
    if chosen is not None and chosen not in finite:
        finite = sorted([*finite, chosen])
    if not finite and not allowed:
        finite = [limit or BUILT_IN_CHOICES[2]]
    origins = {f"durations.{name}": picked.origin("durations", name)
               for name, picked in (("choices", choices), ("default", default), ("maximum", maximum),
                                    ("permanent", permanent))}
    return Durations(finite, chosen, limit, allowed, subject), origins


def _says_permanent(picked: Picked) -> bool:
    if picked.value is None:
        return False
    values = picked.value if isinstance(picked.value, list) else [picked.value]
    return any(v.permanent for v in values)


def _fit_choices(finite: list[timedelta], choices: Picked, maximum: Picked,
                 issues: list[PolicyIssue]) -> list[timedelta]:
    above = [c for c in finite if c > maximum.value]
    if not above or choices.level > maximum.level:
        return finite
    if choices.level == maximum.level:
        issues.append(_issue(choices, "choices", f"choice {short(above[0])} is above the maximum "
                             f"{short(maximum.value)}"))
    return [c for c in finite if c <= maximum.value]


def _default(default: Picked, finite: list[timedelta], allowed: bool, limit: timedelta | None,
             limit_at: Picked, limit_name: str, issues: list[PolicyIssue]) -> timedelta | None:
    """The default length; None means permanent."""
    if default.value is None:
        return finite[0] if finite else None
    if default.value.permanent:
        return None if allowed else (finite[0] if finite else limit)
    value: timedelta = default.value.value
    if limit is None or value <= limit or default.level > limit_at.level:
        return value
    if default.level == limit_at.level:
        issues.append(_issue(default, "default", f"default {short(value)} is above the {limit_name} "
                             f"{short(limit)}"))
    return max((c for c in finite if c <= limit), default=limit)


def _issue(picked: Picked, key: str, message: str) -> PolicyIssue:
    assert picked.layer is not None  # only written values are reported
    return picked.layer.issue(f"{picked.layer.subject}: durations: {message}", "durations", key)
