"""The lifecycle figures for a period, computed from the ledger (grants, requests, provisioning
actions, offboardings, lifecycle events, reconcile findings): the database is the truth.

Durations are computed by the database (``seconds_between``) over indexed or period-bounded
rows; only the per-group percentiles are taken here. Definitions (docs/metrics.md):

* time_to_approve: request submitted → decided (approved, not auto-approved), decided in the period;
* time_to_provision: request submitted (or its later requested start) → grant active, active in the period;
* time_to_provision_joiner: joiner event (received, or effective if later) → last birthright grant active;
* time_to_deprovision: leaver event (received, or effective if later) or offboarding confirmation →
  the last system confirmed; per system: → that system's last confirmation; started in the period;
* revoke_lateness: an expired grant's end → the target confirming the removal, ends in the period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import Select, and_, bindparam, case, func, or_, select, text, tuple_
from sqlalchemy import String, cast
from sqlalchemy.orm import Session, aliased

from bot.domain.enums import DONE_ACTION_STATUSES, EndReason, GrantStatus, RequestStatus
from bot.reporting.sql import seconds_between, whole_weeks_between
from bot.reporting.stats import Summary, grouped, summarise
from bot.store.types import UTCDateTime
from bot.store.models import (
    AccessRequest, Grant, LifecycleEvent, Offboarding, OrphanFinding, Person, ProvisioningAction, ReconcileRun,
)

BIRTHRIGHT_PREFIX = "birthright:"
ALL = "all"
# Open requests by age, for the chart: (label, upper bound in seconds).
AGE_BUCKETS = (("< 1 h", 3600), ("1–4 h", 4 * 3600), ("4–24 h", 86400), ("1–3 d", 3 * 86400),
               ("3–7 d", 7 * 86400), ("> 7 d", None))
DURATION_METRICS = ("time_to_approve", "time_to_provision", "time_to_provision_joiner", "time_to_deprovision",
                    "time_to_deprovision_per_system", "revoke_lateness")


# The figures look a month either side of the period (offboardings begun before it, expiries due
# after it); outside these bounds that arithmetic leaves the calendar (OverflowError), so say so.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)
OUT_OF_BOUNDS = f"the period must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}"


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.since < EARLIEST or self.until > LATEST:
            raise ValueError(OUT_OF_BOUNDS)
        if self.until <= self.since:
            raise ValueError(f"the period is empty: --until ({self.until:%Y-%m-%d %H:%M}) is not after --since "
                             f"({self.since:%Y-%m-%d %H:%M})")


@dataclass(frozen=True)
class OrphanCount:
    system: str
    open: int  # open findings at the end of the period (each counted once until fixed)
    accounts: int | None  # memberships listed by the system's last run before the end
    found: int  # findings first seen in the period
    fixed: int  # findings fixed in the period

    @property
    def rate(self) -> float | None:
        return round(self.open / self.accounts, 4) if self.accounts else None


@dataclass(frozen=True)
class Share:
    part: int
    total: int

    @property
    def ratio(self) -> float | None:
        return round(self.part / self.total, 4) if self.total else None


@dataclass
class Figures:
    period: Period
    as_of: datetime  # the end of the period, or now if that is earlier: open things are counted then
    # metric -> dimension (all, entitlement, connector, department) -> key -> summary
    durations: dict[str, dict[str, dict[str, Summary]]] = field(default_factory=dict)
    deprovision_seconds: list[float] = field(default_factory=list)  # every leaver's figure, for the chart
    provision_by_week: dict[str, dict[str, Summary]] = field(default_factory=dict)  # connector -> week -> summary
    orphans: list[OrphanCount] = field(default_factory=list)
    time_bound: dict[str, dict[str, Share]] = field(default_factory=dict)  # dimension -> key -> share
    open_requests: Summary = field(default_factory=lambda: summarise([]))
    open_requests_by_age: dict[str, int] = field(default_factory=dict)
    failed_revocations: dict[str, int] = field(default_factory=dict)  # connector -> open count
    offboardings_unfinished: int = 0

    def headline(self, metric: str) -> Summary:
        return self.durations.get(metric, {}).get(ALL, {}).get("", summarise([]))


def compute(s: Session, period: Period, now: datetime) -> Figures:
    figures = Figures(period, min(period.until, now))
    _approvals(s, figures)
    _provisioning(s, figures)
    _joiners(s, figures)
    _deprovisioning(s, figures)
    _revoke_lateness(s, figures)
    _orphans(s, figures)
    _time_bound(s, figures)
    _open_requests(s, figures)
    _failed_revocations(s, figures)
    return figures


def _summaries(s: Session, base: Select, dimensions: tuple[str, ...]) -> dict[str, dict[str, Summary]]:
    """p50/p90/max of ``base``'s ``seconds`` overall and per dimension (``base``'s other labelled columns).

    PostgreSQL computes them itself (one pass, GROUPING SETS, percentile_disc: the nearest rank),
    so only a row per group comes back; SQLite hands the durations over and they are ranked here."""
    sub = base.subquery()
    columns = [sub.c[name] for name in dimensions]
    if s.get_bind().dialect.name != "postgresql":
        return _by_dimension(s.execute(select(*columns, sub.c.seconds)).all(), dimensions)
    seconds = sub.c.seconds
    query = select(*columns, *[func.grouping(c) for c in columns], func.count(),
                   func.percentile_disc(0.5).within_group(seconds), func.percentile_disc(0.9).within_group(seconds),
                   func.max(seconds)).group_by(func.grouping_sets(text("()"), *[tuple_(c) for c in columns]))
    result: dict[str, dict[str, Summary]] = {ALL: {}, **{name: {} for name in dimensions}}
    n = len(columns)
    for row in s.execute(query):
        keys, flags, (count, p50, p90, top) = row[:n], row[n:2 * n], row[2 * n:]
        summary = Summary(count, _round(p50), _round(p90), _round(top))
        if all(flags):
            result[ALL][""] = summary
        else:
            index = list(flags).index(0)
            result[dimensions[index]][keys[index] or ""] = summary
    return {name: dict(sorted(groups.items())) for name, groups in result.items()}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _by_dimension(rows: list[tuple], dimensions: tuple[str, ...]) -> dict[str, dict[str, Summary]]:
    """rows: (*dimension values, seconds)."""
    result = {ALL: {"": summarise(row[-1] for row in rows)}}  # as PostgreSQL's () grouping set: always there
    for index, name in enumerate(dimensions):
        result[name] = grouped((row[index], row[-1]) for row in rows)
    return result


def _in(column, period: Period):
    return and_(column >= period.since, column < period.until)


def _approvals(s: Session, f: Figures) -> None:
    base = (select(AccessRequest.entitlement.label("entitlement"), Person.department.label("department"),
                   seconds_between(AccessRequest.decided_at, AccessRequest.created_at).label("seconds"))
            .join(Person, Person.id == AccessRequest.requester_id)
            .where(AccessRequest.status == RequestStatus.APPROVED, AccessRequest.auto_approved.is_(False),
                   _in(AccessRequest.decided_at, f.period)))
    f.durations["time_to_approve"] = _summaries(s, base, ("entitlement", "department"))


def _provisioning(s: Session, f: Figures) -> None:
    asked = case((and_(AccessRequest.starts_at.is_not(None), AccessRequest.starts_at > AccessRequest.created_at),
                  AccessRequest.starts_at), else_=AccessRequest.created_at)
    first_monday = datetime.combine(f.period.since.date() - timedelta(days=f.period.since.weekday()),
                                    datetime.min.time(), f.period.since.tzinfo)
    week = whole_weeks_between(Grant.activated_at, bindparam("monday", first_monday, type_=UTCDateTime()))
    base = (select(Grant.entitlement.label("entitlement"), Grant.connector.label("connector"),
                   Person.department.label("department"), week.label("week"),
                   seconds_between(Grant.activated_at, asked).label("seconds"))
            .join(AccessRequest, AccessRequest.id == Grant.request_id)
            .join(Person, Person.id == Grant.person_id)
            .where(_in(Grant.activated_at, f.period)))
    f.durations["time_to_provision"] = _summaries(s, base, ("entitlement", "connector", "department"))
    sub = base.subquery()
    by_week = _summaries(s, select((sub.c.connector + "|" + cast(sub.c.week, String)).label("key"),
                                   sub.c.seconds.label("seconds")), ("key",))["key"]
    result: dict[str, dict[str, Summary]] = defaultdict(dict)
    for key, summary in by_week.items():
        connector, number = key.rsplit("|", 1)
        result[connector][(first_monday + timedelta(weeks=int(number))).date().isoformat()] = summary
    f.provision_by_week = {connector: dict(sorted(weeks.items())) for connector, weeks in sorted(result.items())}


def _joiners(s: Session, f: Figures) -> None:
    start = case((LifecycleEvent.effective_at > LifecycleEvent.received_at, LifecycleEvent.effective_at),
                 else_=LifecycleEvent.received_at)
    events = s.execute(select(LifecycleEvent.id, LifecycleEvent.person_id, start, LifecycleEvent.received_at,
                              LifecycleEvent.applied_at, Person.department)
                       .join(Person, Person.id == LifecycleEvent.person_id)
                       .where(LifecycleEvent.type == "joiner", LifecycleEvent.status == "applied",
                              _in(start, f.period))).all()
    people = {person_id for _, person_id, *_ in events}
    grants: dict[int, list[tuple[datetime, datetime, datetime | None]]] = defaultdict(list)
    if people:
        for person_id, created, starts, activated in s.execute(
                select(Grant.person_id, Grant.created_at, Grant.starts_at, Grant.activated_at)
                .where(Grant.person_id.in_(people), Grant.granted_by.startswith(BIRTHRIGHT_PREFIX))):
            grants[person_id].append((created, starts, activated))
    rows = []
    for _, person_id, began, received, applied, department in events:
        # The birthright grants this event made: created while it was applied.
        made = [g for g in grants[person_id] if received <= g[0] <= (applied or received) + timedelta(minutes=1)]
        if made and all(activated is not None for _, _, activated in made):
            # A hire announced ahead is measured from the first day, when the access was due.
            began = max(began, min(starts for _, starts, _ in made))
            rows.append((department, max(0.0, (max(a for _, _, a in made) - began).total_seconds())))
    f.durations["time_to_provision_joiner"] = _by_dimension(rows, ("department",))


def _deprovisioning(s: Session, f: Figures) -> None:
    candidates = s.execute(select(Offboarding.id, Offboarding.person_id, Offboarding.trigger, Offboarding.started_at,
                                  Person.department)
                           .join(Person, Person.id == Offboarding.person_id)
                           .where(Offboarding.started_at.is_not(None),
                                  Offboarding.started_at < f.period.until,
                                  Offboarding.started_at >= f.period.since - timedelta(days=30))).all()
    if not candidates:
        f.durations["time_to_deprovision"] = _by_dimension([], ("department",))
        f.durations["time_to_deprovision_per_system"] = _by_dimension([], ("connector",))
        return
    ids = [row[0] for row in candidates]
    leaver_at = _leaver_events(s, {row[1] for row in candidates})
    per_system: dict[int, dict[str, datetime]] = defaultdict(dict)
    unfinished: set[int] = set()
    done = ProvisioningAction.status.in_(DONE_ACTION_STATUSES)
    for offboarding_id, connector, last, open_count in s.execute(
            select(ProvisioningAction.offboarding_id, ProvisioningAction.connector,
                   func.max(case((done, ProvisioningAction.finished_at))),
                   func.sum(case((done, 0), else_=1)))
            .where(ProvisioningAction.offboarding_id.in_(ids))
            .group_by(ProvisioningAction.offboarding_id, ProvisioningAction.connector)):
        if open_count:
            unfinished.add(offboarding_id)
        elif last is not None:
            per_system[offboarding_id][connector] = last
    overall, systems, values = [], [], []
    for offboarding_id, person_id, trigger, started, department in candidates:
        began = _deprovision_start(started, trigger, leaver_at.get(person_id, []))
        if not (f.period.since <= began < f.period.until):
            continue
        if offboarding_id in unfinished:
            f.offboardings_unfinished += 1
            continue
        confirmed = per_system.get(offboarding_id)
        if not confirmed:
            continue  # nothing to remove anywhere
        seconds = max(0.0, (max(confirmed.values()) - began).total_seconds())
        overall.append((department, seconds))
        values.append(seconds)
        systems += [(connector, max(0.0, (at - began).total_seconds())) for connector, at in confirmed.items()]
    f.durations["time_to_deprovision"] = _by_dimension(overall, ("department",))
    f.durations["time_to_deprovision_per_system"] = _by_dimension(systems, ("connector",))
    f.deprovision_seconds = sorted(values)


def _leaver_events(s: Session, people: set[int]) -> dict[int, list[datetime]]:
    found: dict[int, list[datetime]] = defaultdict(list)
    for person_id, received, effective in s.execute(
            select(LifecycleEvent.person_id, LifecycleEvent.received_at, LifecycleEvent.effective_at)
            .where(LifecycleEvent.person_id.in_(people), LifecycleEvent.type == "leaver")):
        found[person_id].append(max(received, effective))
    return found


def _deprovision_start(started: datetime, trigger: str, leaver_events: list[datetime]) -> datetime:
    """The leaver event that started it (the latest one not after its start), else its confirmation."""
    if trigger in ("hr", "scim"):
        before = [at for at in leaver_events if at <= started]
        if before:
            return max(before)
    return started


def _revoke_lateness(s: Session, f: Figures) -> None:
    late = seconds_between(Grant.ended_at, Grant.ends_at)
    base = (select(Grant.entitlement.label("entitlement"), Grant.connector.label("connector"),
                   case((late < 0, 0.0), else_=late).label("seconds"))
            .where(Grant.status == GrantStatus.EXPIRED, Grant.end_reason == EndReason.EXPIRED,
                   Grant.ended_at.is_not(None), _in(Grant.ends_at, f.period)))
    f.durations["revoke_lateness"] = _summaries(s, base, ("entitlement", "connector"))


def _orphans(s: Session, f: Figures) -> None:
    end = f.as_of
    open_at_end = and_(OrphanFinding.first_seen_at <= end,
                       or_(OrphanFinding.fixed_at.is_(None), OrphanFinding.fixed_at > end))
    counts = dict(s.execute(select(OrphanFinding.system, func.count()).where(open_at_end)
                            .group_by(OrphanFinding.system)).all())
    found = dict(s.execute(select(OrphanFinding.system, func.count())
                           .where(_in(OrphanFinding.first_seen_at, f.period)).group_by(OrphanFinding.system)).all())
    fixed = dict(s.execute(select(OrphanFinding.system, func.count())
                           .where(_in(OrphanFinding.fixed_at, f.period)).group_by(OrphanFinding.system)).all())
    latest = select(ReconcileRun.system, func.max(ReconcileRun.at).label("at")).where(
        ReconcileRun.at <= end, ReconcileRun.not_checked.is_(None)).group_by(ReconcileRun.system).subquery()
    run = aliased(ReconcileRun)
    accounts = dict(s.execute(select(run.system, func.max(run.accounts)).join(
        latest, and_(latest.c.system == run.system, latest.c.at == run.at)).group_by(run.system)).all())
    systems = sorted(set(counts) | set(found) | set(fixed) | set(accounts))
    f.orphans = [OrphanCount(system, counts.get(system, 0), accounts.get(system), found.get(system, 0),
                             fixed.get(system, 0)) for system in systems]


def _held_at(moment: datetime):
    return and_(Grant.activated_at.is_not(None), Grant.activated_at <= moment,
                or_(Grant.ended_at.is_(None), Grant.ended_at > moment),
                Grant.status.not_in((GrantStatus.FAILED, GrantStatus.SCHEDULED)))


def _time_bound(s: Session, f: Figures) -> None:
    bound = func.sum(case((Grant.ends_at.is_not(None), 1), else_=0))
    result: dict[str, dict[str, Share]] = {}
    for name, column in ((ALL, None), ("entitlement", Grant.entitlement), ("connector", Grant.connector),
                         ("department", Person.department)):
        query = select(*([column] if column is not None else []), bound, func.count()).join(
            Person, Person.id == Grant.person_id).where(_held_at(f.as_of))
        if column is not None:
            query = query.group_by(column).order_by(column)
            result[name] = {key or "": Share(int(part or 0), total) for key, part, total in s.execute(query)}
        else:
            part, total = s.execute(query).one()
            result[name] = {"": Share(int(part or 0), total)}
    f.time_bound = result


def _open_requests(s: Session, f: Figures) -> None:
    moment = f.as_of
    still_open = or_(AccessRequest.status == RequestStatus.PENDING, AccessRequest.decided_at > moment)
    at = bindparam("as_of", moment, type_=UTCDateTime())
    ages = [max(0.0, v) for (v,) in s.execute(select(seconds_between(at, AccessRequest.created_at)).where(
        AccessRequest.created_at <= moment, still_open,
        or_(AccessRequest.decided_at.is_(None), AccessRequest.decided_at > moment)))]
    f.open_requests = summarise(ages)
    f.open_requests_by_age = {label: 0 for label, _ in AGE_BUCKETS}
    for age in ages:
        label = next(label for label, upper in AGE_BUCKETS if upper is None or age < upper)
        f.open_requests_by_age[label] += 1


def _failed_revocations(s: Session, f: Figures) -> None:
    f.failed_revocations = dict(s.execute(select(Grant.connector, func.count()).where(
        Grant.status == GrantStatus.REVOKE_FAILED).group_by(Grant.connector).order_by(Grant.connector)).all())
