"""The day's episode played aloud (the office speaker): `podcast play` and the daemon's
``[playback] at`` job run ``[playback] command`` with the episode's MP3."""

from __future__ import annotations

import logging
import shlex
import shutil
import subprocess
from datetime import date

from ..config import Config
from ..errors import PlaybackError
from ..models import Episode
from ..publish import open_target
from ..store import open_store

log = logging.getLogger(__name__)

# Tried in this order when [playback] command is empty: the first installed one plays.
PLAYERS = (
    ("mpv", "mpv --no-video --really-quiet {file}"),
    ("ffplay", "ffplay -nodisp -autoexit -loglevel error {file}"),
    ("cvlc", "cvlc --play-and-exit --quiet {file}"),
    ("mpg123", "mpg123 -q {file}"),
)


def player(config: Config) -> str:
    """The command line to play with, ``{file}`` standing for the episode."""
    if config.playback.command:
        return config.playback.command
    for program, command in PLAYERS:
        if shutil.which(program):
            return command
    raise PlaybackError("[playback] command is not set and none of mpv, ffplay, cvlc or mpg123 "
                        "is installed")


def source(config: Config, episode: Episode) -> str:
    """The episode's MP3 on this machine when the target keeps it here, else its URL."""
    target = open_target(config.publish)
    path = target.local_path(episode.audio_name)
    return str(path) if path and path.is_file() else target.url(episode.audio_name)


def play(config: Config, day: date) -> int:
    """Play ``day``'s episode to the end; the player's exit status."""
    with open_store(config.state.dir) as store:
        episode = store.episode(day)
    if episode is None or episode.removed:
        raise PlaybackError(f"no episode for {day} to play")
    command, where = player(config), source(config, episode)
    argv = [part.replace("{file}", where) for part in shlex.split(command)]
    if "{file}" not in command:
        argv.append(where)
    log.info("Playing the episode for %s: %s", day, shlex.join(argv))
    try:
        finished = subprocess.run(argv, stdin=subprocess.DEVNULL, check=False)
    except OSError as exc:
        raise PlaybackError(f"[playback] command {argv[0]!r} cannot be run: "
                            f"{exc.strerror or exc}") from exc
    if finished.returncode:
        log.warning("The player exited with status %d.", finished.returncode)
    return finished.returncode
