"""Crontab lines read as cron reads them, in the show's time zone, as APScheduler 3 triggers;
and as the feed's ``podcast:updateFrequency``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab numbers them 0 (or 7) to 6


def cron_trigger(line: str, zone: ZoneInfo | None = None) -> LocalCronTrigger:
    """A trigger for a crontab line read as cron reads it. APScheduler 3's own from_crontab
    numbers weekdays from Monday = 0, so "1-5" would mean Tuesday to Saturday: the weekday
    field is turned into day names first."""
    fields = line.split()
    if len(fields) != 5:
        raise ValueError(f"{len(fields)} fields instead of 5")
    minute, hour, day, month, weekday = fields
    return LocalCronTrigger(minute=minute, hour=hour, day=day, month=month,
                            day_of_week=_weekdays(weekday), timezone=zone)


class LocalCronTrigger(CronTrigger):
    """A cron trigger that fires once at a wall-clock time the clocks pass twice (02:30 on the
    night summer time ends): APScheduler 3 fires at both."""

    def get_next_fire_time(self, previous_fire_time: datetime | None,
                           now: datetime) -> datetime | None:
        fire = super().get_next_fire_time(previous_fire_time, now)
        if (fire and previous_fire_time
                and _wall(fire) == _wall(previous_fire_time.astimezone(fire.tzinfo))):
            # the repeated hour: look again once it is over (given a previous time, APScheduler
            # searches on from it and ignores "now")
            fire = super().get_next_fire_time(None, fire.astimezone(UTC) + timedelta(hours=1))
        return fire


def _wall(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None, fold=0)


def _weekdays(field: str) -> str:
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        span, _, step = part.partition("/")
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            first, last = (_weekday(x) for x in span.split("-", 1))
        else:
            first = last = _weekday(span)
        if last < first:  # "5-0": Friday to Sunday
            last += 7
        days.update(d % 7 for d in range(first, last + 1, int(step) if step else 1))
    return ",".join(_WEEKDAYS[d] for d in sorted(days))


def _weekday(text: str) -> int:
    if text[:3] in _WEEKDAYS:
        return _WEEKDAYS.index(text[:3])
    if text.isdigit() and int(text) <= 7:
        return int(text) % 7 if int(text) != 7 else 0
    raise ValueError(f"{text!r} is not a weekday (0-7 or sun-sat)")


def update_frequency(cron: str) -> tuple[str, str] | None:
    """A crontab line as ``podcast:updateFrequency`` has it: a label and an RFC 5545 rule; None
    when the line has no simple rule (days of the month)."""
    _minute, _hour, day, month, weekday = cron.split()
    if day not in ("*", "?") or month != "*":
        return None
    days = _weekdays(weekday)
    if days == "*" or days.count(",") == 6:
        return "Daily", "FREQ=DAILY"
    label = "Weekdays" if days == "mon,tue,wed,thu,fri" else "Weekly"
    return label, "FREQ=WEEKLY;BYDAY=" + ",".join(d[:2].upper() for d in days.split(","))
