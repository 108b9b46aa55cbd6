"""The one exception tree of podcast.

Everything the core raises on purpose derives from :class:`PodcastError`. The CLI turns a
``PodcastError`` into a single line on stderr and its ``exit_code``; anything else is a bug and
keeps its traceback. Library errors (tomllib, sqlite3, ffmpeg, espeak-ng, ...) are wrapped where
they enter our code, with ``raise ... from exc``.

    PodcastError
    ├── ConfigError          podcast.toml (or a file it names) is wrong: exit code 78
    ├── SourceError          a paper source could not be read
    ├── NothingToBroadcast   no paper is left that has not been broadcast already
    │   └── NoSourceRead     ...because no source could be read: worth another try later
    ├── WriterError          the script could not be written
    ├── SpeechError          text-to-speech failed
    ├── AudioError           ffmpeg or the audio assembly failed
    ├── PublishError         the episode could not be published
    ├── StoreError           the state database is unreadable or from a newer version
    ├── PlaybackError        the episode could not be played aloud
    ├── Busy                 another process holds the show's build or daemon lock
    ├── UnknownPaper         a paper named on the command line that the show has never seen
    └── Interrupted          a build stopped on request before publishing anything
"""

from __future__ import annotations


class PodcastError(Exception):
    """Base of every error podcast raises on purpose; its message is one line for the user."""

    exit_code = 1


class ConfigError(PodcastError):
    """A configuration file (podcast.toml, a voices file, the artwork it names) is invalid:
    nothing will change until someone edits it, so a service manager must not restart on it."""

    exit_code = 78  # EX_CONFIG (sysexits.h): a configuration error


class SourceError(PodcastError):
    """A paper source failed (unreadable file, bad format, unreachable service)."""


class NothingToBroadcast(PodcastError):
    """Every gathered paper has been broadcast already, or no source returned any."""

    exit_code = 3


class NoSourceRead(NothingToBroadcast):
    """Nothing to broadcast because no source could be read (the network may be down, as at a
    start before it is up), and no stand-in or backlog was left: a later try may find papers."""


class WriterError(PodcastError):
    """The broadcast script could not be written."""


class SpeechError(PodcastError):
    """Speech synthesis failed."""

    def __init__(self, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        #: the service could not be reached or never answered (not: it failed on a piece)
        self.unreachable = unreachable


class AudioError(PodcastError):
    """Decoding, mixing or encoding audio failed."""


class PublishError(PodcastError):
    """Writing the episode, feed or page to the publish target failed."""


class StoreError(PodcastError):
    """The state database could not be read or written."""


class Interrupted(PodcastError):
    """A build stopped on request (SIGTERM or SIGINT) before it published anything."""

    exit_code = 130  # as a shell reports a command ended by Ctrl-C


class Busy(PodcastError):
    """Another process holds the lock: a build of the same show, or its scheduling daemon."""

    exit_code = 75  # EX_TEMPFAIL: try again later


class UnknownPaper(PodcastError):
    """A paper to rate that the show has never seen: no source offered it, no episode had it."""

    exit_code = 2  # a value the command line cannot take


class PlaybackError(PodcastError):
    """No episode to play, no player, or the player failed."""
