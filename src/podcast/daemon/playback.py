"""The day's episode played aloud (the office speaker): `podcast play` and the daemon's
``[playback] at`` job run ``[playback] command`` with the episode's MP3."""

from __future__ import annotations

import logging
import shlex
import shutil
import subprocess
from datetime import date
from pathlib import Path

from ..config import Config
from ..errors import PlaybackError
from ..models import Episode
from ..publish import FEED_NAME, open_target
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


# What a player says when no audio device opens, and then exits 0 as if it had played: ffplay
# ("No more combinations to try, audio open failed", after SDL found no output) and mpv ("Could
# not open/initialize audio device -> no sound.").
NO_DEVICE = ("audio open failed", "could not open/initialize audio device")


def source(config: Config, episode: Episode) -> str:
    """The episode's MP3 on this machine when the target keeps it here, else its URL."""
    target = open_target(config.publish)
    path = target.local_path(episode.audio_name)
    return str(path) if path and path.is_file() else target.url(episode.audio_name)


def play(config: Config, day: date) -> None:
    """Play ``day``'s episode to the end; :class:`PlaybackError` when it was not heard: no
    episode, no player, no audio device, or the player failed."""
    with open_store(config.state.dir) as store:
        episode = store.episode(day)
    if episode is None or episode.removed:
        raise PlaybackError(f"no episode for {day} to play")
    command, where = player(config), source(config, episode)
    argv = [part.replace("{file}", where) for part in shlex.split(command)]
    if "{file}" not in command:
        argv.append(where)
    log.info("Playing the episode for %s: %s", day, shlex.join(argv))
    status, last, complaint = _run(argv)
    program = Path(argv[0]).name
    if complaint:
        feed = open_target(config.publish).url(FEED_NAME)
        raise PlaybackError(f"no audio device could be opened on this machine ({program}: "
                            f"{complaint}): play {where} on a machine with speakers, or "
                            f"subscribe to {feed} in a podcast app")
    if status:
        ended = f"was stopped by signal {-status}" if status < 0 else f"exited with status {status}"
        raise PlaybackError(f"the player {program} {ended}" + (f": {last}" if last else ""))


def _run(argv: list[str]) -> tuple[int, str, str | None]:
    """Run the player to its end: its exit status, the last line it wrote (stdout or stderr)
    and the first that says no audio device opened, if one did. What it writes is logged at
    debug level: a player's chatter is none of our results."""
    last, complaint = "", None
    try:
        # text mode reads a status line redrawn with "\r" as lines of their own
        with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, errors="replace") as process:
            for line in process.stdout or ():
                if line.strip():
                    last = line.strip()
                    log.debug("%s: %s", argv[0], last)
                    if complaint is None and any(m in last.lower() for m in NO_DEVICE):
                        complaint = last
    except OSError as exc:
        raise PlaybackError(f"[playback] command {argv[0]!r} cannot be run: "
                            f"{exc.strerror or exc}") from exc
    return process.returncode, last, complaint
