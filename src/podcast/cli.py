"""The ``podcast`` command: a thin front end over :mod:`podcast.pipeline`.

Every PodcastError becomes one line on stderr and a non-zero exit code; ``--debug`` adds the
traceback. Progress bars and log lines go to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from tqdm import tqdm

from . import __version__, pipeline
from .config import Config, load_config, locate_config
from .errors import PodcastError
from .i18n import counted
from .progress import Advance

log = logging.getLogger("podcast")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    _setup_logging(args.quiet, args.debug)
    try:
        config = _config(args)
        return args.handler(args, config)
    except PodcastError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"podcast: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("podcast: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="podcast", description="A daily spoken broadcast of new AI research papers."
    )
    parser.add_argument("--version", action="version", version=f"podcast {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="F", help="podcast.toml to use (default: $PODCAST_CONFIG, else ./podcast.toml, else built-in defaults)")
    common.add_argument("--debug", action="store_true", help="more log lines, and tracebacks on errors")
    common.add_argument("-q", "--quiet", action="store_true", help="only warnings and results, no progress")
    day = argparse.ArgumentParser(add_help=False)
    day.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="the episode's day (default: today in the show's time zone)")
    day.add_argument("--offline", action="store_true", help="use only the offline stand-ins (sample papers, template writer, espeak-ng)")
    commands = parser.add_subparsers(dest="command", metavar="{run,papers,feed}")

    run = commands.add_parser("run", parents=[common, day], help="make and publish today's episode",
                              description="Make and publish the episode for a day.")
    run.add_argument("--force", action="store_true", help="rebuild an episode already published for the day (under a new file name)")
    run.set_defaults(handler=_run)

    papers = commands.add_parser("papers", parents=[common, day], help="show which papers would be broadcast, and why",
                                 description="Show which papers would be broadcast, and why each was chosen.")
    papers.add_argument("--json", action="store_true", help="print JSON instead of text")
    papers.set_defaults(handler=_papers)

    feed = commands.add_parser("feed", parents=[common], help="rebuild the feed and page from the store",
                               description="Rewrite feed.xml and index.html from the episodes already published.")
    feed.set_defaults(handler=_feed)
    return parser


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date of the form YYYY-MM-DD") from None


def _config(args: argparse.Namespace) -> Config:
    cwd = Path.cwd()
    config = load_config(locate_config(args.config, os.environ, cwd), cwd)
    if getattr(args, "offline", False):
        config = pipeline.offline(config)
    log.debug("Configuration from %s.", config.describe_origin())
    return config


def _run(args: argparse.Namespace, config: Config) -> int:
    result = pipeline.run_episode(config, day=args.date, force=args.force, progress=_Bars(args.quiet))
    episode = result.episode
    if result.standins:
        print(f"Offline stand-ins: {', '.join(result.standins)}.")
    minutes, seconds = divmod(round(episode.duration), 60)
    if result.reused:
        print(f"The episode for {episode.date} was already published; reusing it (--force rebuilds it).")
    else:
        print(f"Published the episode for {episode.date}: {minutes}:{seconds:02d}, {counted(len(episode.papers), 'paper')}.")
    print(f"  MP3:  {result.audio}\n  Feed: {result.feed}\n  Page: {result.page}")
    return 0


def _papers(args: argparse.Namespace, config: Config) -> int:
    picks = pipeline.preview(config, day=args.date)
    if args.json:
        rows = [
            {"id": p.paper.id, "title": p.paper.title, "url": p.paper.url, "authors": list(p.paper.authors),
             "score": p.score, "topics": list(p.topics), "reasons": list(p.reasons)}
            for p in picks
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for number, pick in enumerate(picks, start=1):
        print(f"{number}. {pick.paper.title}  [{pick.paper.id}, score {pick.score:.2f}]")
        for reason in pick.reasons:
            print(f"     {reason}")
    return 0


def _feed(args: argparse.Namespace, config: Config) -> int:
    count, feed, page = pipeline.rebuild_site(config)
    print(f"Rebuilt the feed and the page with {counted(count, 'episode')}.\n  Feed: {feed}\n  Page: {page}")
    return 0


class _Bars:
    """Progress bars on stderr when it is a terminal; nothing otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.enabled = not quiet and sys.stderr.isatty()

    @contextmanager
    def task(self, label: str, total: int) -> Iterator[Advance]:
        with tqdm(total=total, desc=label, unit="part", disable=not self.enabled, leave=False) as bar:
            yield bar.update


class _TqdmHandler(logging.Handler):
    """Log lines that do not break a progress bar being drawn."""

    def emit(self, record: logging.LogRecord) -> None:
        tqdm.write(self.format(record), file=sys.stderr)


def _setup_logging(quiet: bool, debug: bool) -> None:
    handler = _TqdmHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO)
    log.propagate = False
