"""A rotation written in the on-call file, for teams without PagerDuty or Opsgenie.

Handoffs happen at the same wall-clock time in the schedule's time zone (09:00 in Berlin stays 09:00
across daylight saving), so shifts are counted on local time and only then turned into UTC. An
override replaces the rotation's person at its level for its window; a shift that an override
interrupts ends when the override starts.
"""

from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from bot.oncall.config import OverrideSpec, RotationSpec, ScheduleSpec
from bot.oncall.shifts import Shift


class StaticSource:
    def shifts(self, schedule: ScheduleSpec, at: datetime) -> list[Shift]:
        zone = schedule.zone
        out = []
        for level in sorted({r.level for r in schedule.rotations} | {o.level for o in schedule.overrides}):
            windows = [(_moment(o.from_, zone), _moment(o.until, zone), o) for o in schedule.overrides
                       if o.level == level]
            current = [(start, end, o) for start, end, o in windows if start <= at < end]
            if current:
                start, end, override = current[-1]  # the one written last wins
                out.append(Shift(override.person, level, start, end))
                continue
            for rotation in (r for r in schedule.rotations if r.level == level):
                shift = _rotation_shift(rotation, zone, at)
                if shift is not None:
                    later = [start for start, _, _ in windows if at < start < (shift.ends_at or start)]
                    out.append(Shift(shift.email, level, shift.starts_at, min([shift.ends_at, *later])))
        return out

    def close(self) -> None:
        return None


def _rotation_shift(rotation: RotationSpec, zone: ZoneInfo, at: datetime) -> Shift | None:
    hours, minutes = (int(part) for part in rotation.handoff.split(":"))
    first = datetime.combine(rotation.start, time(hours, minutes))
    local_now = at.astimezone(zone).replace(tzinfo=None)
    if local_now < first:
        return None
    index = (local_now - first) // rotation.every
    start = first + index * rotation.every
    person = rotation.people[index % len(rotation.people)]
    return Shift(person, rotation.level, _utc(start, zone), _utc(start + rotation.every, zone))


def _moment(text: str, zone: ZoneInfo) -> datetime:
    value = datetime.fromisoformat(text)
    return value.astimezone(timezone.utc) if value.tzinfo else _utc(value, zone)


def _utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(timezone.utc)
