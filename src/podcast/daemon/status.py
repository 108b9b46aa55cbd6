"""What `podcast status` prints and `podcast serve` answers at ``GET /healthz``: whether the
daemon runs, the next build, recap and playback, the last episode, run and error.

Apart from the service so that `podcast status` loads only the store, the schedule and the
publish target: no pipeline, no scheduler, no engine.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..config import Config
from ..models import Episode
from ..publish.target import PublishConfig, published_url
from ..store import build_lock, daemon_lock, open_store
from .schedule import build_trigger, next_time, playback_trigger, recap_trigger


def status(config: Config, now: datetime) -> dict[str, Any]:
    """What `podcast status` prints and ``GET /healthz`` returns."""
    with open_store(config.state.dir) as store:
        listed = [e for e in store.episodes() if not e.removed]  # the feed's items, newest first
        last_run, last_failure = store.last_run(), store.last_run("failed")
    dailies, recaps = [e for e in listed if not e.recap], [e for e in listed if e.recap]
    build = next_time(build_trigger(config), now) if config.schedule.enabled else None
    playback = playback_trigger(config)
    recap = recap_trigger(config) if config.schedule.enabled else None
    # a crontab line can name a day that never comes ("0 0 30 2 *"): no next time then
    next_playback = next_time(playback, now) if playback else None
    next_recap = next_time(recap, now) if recap else None
    return {
        "ok": last_run is None or last_run.outcome != "failed",
        "now": now.isoformat(),
        "daemon": daemon_lock(config.state.dir).holder(config.show.zone),
        "building": build_lock(config.state.dir).holder(config.show.zone),
        "next_build": build.isoformat() if build else None,
        "next_playback": next_playback.isoformat() if next_playback else None,
        "next_recap": next_recap.isoformat() if next_recap else None,
        "episodes": len(listed),  # daily episodes and recaps, as many as the feed has items
        "recaps": len(recaps),
        "last_episode": _described(dailies[0], config.publish) if dailies else None,
        "last_recap": _described(recaps[0], config.publish) if recaps else None,
        "last_run": {
            "day": last_run.day.isoformat(), "outcome": last_run.outcome,
            "finished": last_run.finished.isoformat(), "message": last_run.message,
        } if last_run else None,
        "last_error": {
            "day": last_failure.day.isoformat(), "at": last_failure.finished.isoformat(),
            "message": last_failure.message,
        } if last_failure else None,
    }


def _described(episode: Episode, publish: PublishConfig) -> dict[str, str]:
    """An episode as status tells it; a recap with its week ("2026-W47")."""
    return {
        **({"week": episode.recap.week} if episode.recap else {}),
        "date": episode.date.isoformat(),
        "title": episode.title,
        "published_at": episode.published_at.isoformat(),
        "url": published_url(publish, episode.audio_name),
    }
