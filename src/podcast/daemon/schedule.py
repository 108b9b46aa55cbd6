"""When the daily build and the weekly recap are due: the show's cron in its time zone, and
catch-up after downtime.

Everything takes ``now`` from the caller, so tests move the clock instead of waiting.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from ..config import Config
from ..models import Week, default_week
from ..store import Store
from .cron import LocalCronTrigger, cron_trigger


def build_trigger(config: Config) -> LocalCronTrigger:
    return cron_trigger(config.schedule.cron, config.show.zone)


def recap_trigger(config: Config) -> LocalCronTrigger | None:
    return cron_trigger(config.recap.cron, config.show.zone) if config.recap.enabled else None


def playback_trigger(config: Config) -> LocalCronTrigger | None:
    if not config.playback.at:
        return None
    hour, minute = config.playback.at.split(":")
    return LocalCronTrigger(hour=int(hour), minute=int(minute), timezone=config.show.zone)


def next_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The trigger's first time after ``now``."""
    return trigger.get_next_fire_time(None, now + timedelta(microseconds=1))


def last_due_today(trigger: CronTrigger, now: datetime, zone: ZoneInfo) -> datetime | None:
    """The latest time the trigger fired today (in ``zone``) up to ``now``, if any."""
    moment = datetime.combine(now.astimezone(zone).date(), time(0), zone)
    last = None
    while (fire := trigger.get_next_fire_time(None, moment)) and fire <= now:
        last, moment = fire, fire + timedelta(seconds=1)
    return last


def catch_up_day(config: Config, store: Store, now: datetime) -> date | None:
    """The day to build now, at start-up: today, when its build time has passed within
    ``[schedule] misfire_grace`` and its episode is missing. Earlier days are never back-filled."""
    due = last_due_today(build_trigger(config), now, config.show.zone)
    if due is None or (now - due).total_seconds() > config.schedule.grace_seconds:
        return None
    day = due.astimezone(config.show.zone).date()
    return None if store.episode(day) else day


def catch_up_week(config: Config, store: Store, now: datetime) -> Week | None:
    """The week to recap now, at start-up: the one today's recap time covers, when that time
    has passed within ``[schedule] misfire_grace`` and its recap is missing."""
    trigger = recap_trigger(config)
    due = last_due_today(trigger, now, config.show.zone) if trigger else None
    if due is None or (now - due).total_seconds() > config.schedule.grace_seconds:
        return None
    week = default_week(due.astimezone(config.show.zone).date())
    return None if store.episode(str(week)) else week
