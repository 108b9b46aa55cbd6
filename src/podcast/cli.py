"""The ``podcast`` command: a thin front end over :mod:`podcast.pipeline`.

Every PodcastError becomes one line on stderr and a non-zero exit code; ``--debug`` adds the
traceback. Progress bars and log lines go to stderr, results to stdout.

Each command imports what it uses when it runs (the pipeline, the daemon, the progress bars):
``podcast --help`` reads no config, and ``podcast status`` loads no engine, model client or
audio code (tests/test_startup.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__
from .errors import PodcastError
from .i18n import counted
from .models import FORMATS, Week

if TYPE_CHECKING:
    from . import pipeline
    from .config import Config
    from .models import Pick
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


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, as every other error is (the usage is in --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _common_options(parser: argparse.ArgumentParser, default: Any = None) -> None:
    """The options every command takes; ``default`` argparse.SUPPRESS for a command's copy."""
    parser.add_argument("--config", metavar="F", default=default,
                        help="podcast.toml to use (default: $PODCAST_CONFIG, else ./podcast.toml, "
                             "else built-in defaults)")
    flag = {} if default is None else {"default": default}
    parser.add_argument("--debug", action="store_true", **flag,
                        help="more log lines, and tracebacks on errors")
    parser.add_argument("-q", "--quiet", action="store_true", **flag,
                        help="only warnings and results, no progress")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="podcast", description="A daily spoken broadcast of new AI research papers."
    )
    parser.add_argument("--version", action="version", version=f"podcast {__version__}")
    # --config, --debug and -q go before the command or after it: the command's own copies
    # leave what was given before it alone unless they are given too
    _common_options(parser)
    common = _Parser(add_help=False)
    _common_options(common, argparse.SUPPRESS)
    day = _Parser(add_help=False)
    day.add_argument("--date", type=_date, metavar="YYYY-MM-DD",
                     help="the episode's day (default: today in the show's time zone)")
    offline = _Parser(add_help=False)
    offline.add_argument("--offline", action="store_true",
                         help="use only the offline stand-ins: no network, no API key")
    commands = parser.add_subparsers(dest="command",
                                     metavar="{run,recap,papers,rate,voices,feed,serve,play,status}")

    run = commands.add_parser("run", parents=[common, day, offline],
                              help="make and publish today's episode",
                              description="Make and publish the episode for a day.")
    run.add_argument("--force", action="store_true",
                     help="rebuild an episode already published for the day (under a new file "
                          "name)")
    run.add_argument("--format", choices=FORMATS,
                     help="this episode's format, instead of [show] format: the one-host "
                          "broadcast, two hosts in conversation, or a brief")
    run.set_defaults(handler=_run)

    recap = commands.add_parser("recap", parents=[common, offline],
                                help="make and publish the weekly recap",
                                description="Make and publish the recap of a week: its papers by "
                                            "theme, the trend and what to do next, as a bonus "
                                            "episode of the same feed.")
    recap.add_argument("--week", type=_week, metavar="YYYY-Www",
                       help="the ISO week, e.g. 2026-W47 (default: this week from Friday on, else "
                            "the week before)")
    recap.add_argument("--force", action="store_true",
                       help="rebuild a recap already published for the week")
    recap.add_argument("--format", choices=FORMATS,
                       help="this recap's format, instead of [show] format")
    recap.set_defaults(handler=_recap)

    papers = commands.add_parser("papers", parents=[common, day, offline],
                                 help="show which papers would be broadcast, and why",
                                 description="Show which papers would be broadcast, and why each "
                                             "was chosen.")
    papers.add_argument("--json", action="store_true",
                        help="print JSON instead of text (format in the README)")
    papers.add_argument("--top", type=_positive, default=20, metavar="N",
                        help="list the best N candidates (default 20)")
    papers.set_defaults(handler=_papers)

    rate = commands.add_parser("rate", parents=[common],
                               help="rate a paper up or down: picks lean toward papers like the "
                                    "ones rated up",
                               description="Rate a paper the show has seen (a source offered it "
                                           "or an episode had it) up or down, or clear its "
                                           "rating: ranking moves papers like the ones rated up "
                                           "up, and papers like the ones rated down down.")
    rate.add_argument("paper", metavar="ID",
                      help="the paper: 2409.17581, 2409.17581v2, arXiv:2409.17581, an arxiv.org or "
                           "huggingface.co/papers link, or a web: id as `podcast papers` lists it")
    rate.add_argument("vote", choices=("up", "down", "clear"), help="up, down, or clear")
    rate.set_defaults(handler=_rate)

    voices = commands.add_parser("voices", parents=[common], help="list the voices and presets",
                                 description="List the voice presets and the voices of each "
                                             "engine for a language.")
    voices.add_argument("--language", metavar="L",
                        help="a locale or its start: zh, zh-CN, en (default: the show's)")
    voices.add_argument("--offline", action="store_true",
                        help="show the bundled voice list instead of the live one")
    voices.set_defaults(handler=_voices)

    feed = commands.add_parser("feed", parents=[common],
                               help="rebuild the feed and page from the store",
                               description="Rewrite feed.xml and index.html from the episodes "
                                           "already published.")
    feed.add_argument("--check", action="store_true",
                      help="instead, list what the published feed and artwork lack for Apple "
                           "Podcasts and Spotify, and how to fix each; exit 1 when anything is "
                           "listed")
    feed.set_defaults(handler=_feed)

    serve = commands.add_parser("serve", parents=[common],
                                help="serve the publish folder over HTTP",
                                description="Serve the feed, the page and the episodes (byte "
                                            "ranges, HEAD, caching).")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; 0.0.0.0 for the office)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    serve.add_argument("--no-schedule", action="store_true",
                       help="only serve; build nothing ([schedule] enabled = false does the same)")
    serve.set_defaults(handler=_serve)

    play = commands.add_parser("play", parents=[common],
                               help="play an episode aloud now ([playback] command)",
                               description="Play the day's episode with [playback] command, to "
                                           "the end.")
    play.add_argument("--date", type=_date, metavar="YYYY-MM-DD",
                      help="the episode's day (default: today in the show's time zone)")
    play.set_defaults(handler=_play)

    status = commands.add_parser("status", parents=[common],
                                 help="next build, last episode, last error",
                                 description="What the schedule will do next and how the last "
                                             "builds went.")
    status.add_argument("--json", action="store_true",
                        help="print the JSON that GET /healthz returns")
    status.set_defaults(handler=_status)
    return parser


def _serve(args: argparse.Namespace, config: Config) -> int:
    from .daemon.service import run_daemon, served_url

    schedule = config.schedule.enabled and not args.no_schedule
    what = (f"building on \"{config.schedule.cron}\" ({config.show.timezone})" if schedule
            else "not building")

    def ready() -> None:  # once the show is ours and the server listens
        print(f"Serving {config.publish.dir} at {served_url(args.host, args.port)}, {what} "
              "(Ctrl-C stops).", flush=True)

    run_daemon(config, args.host, args.port, schedule, os.environ, ready)
    return 0


def _play(args: argparse.Namespace, config: Config) -> int:
    from .daemon.playback import play

    day = args.date or datetime.now(config.show.zone).date()
    play(config, day)
    return 0


def _status(args: argparse.Namespace, config: Config) -> int:
    from .daemon.status import status

    report = status(config, datetime.now(config.show.zone))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    episode, run, error = report["last_episode"], report["last_run"], report["last_error"]
    print(f"Daemon:        {'running, ' + report['daemon'] if report['daemon'] else 'not running'}")
    if report["building"]:
        print(f"Building now:  {report['building']}")
    zone = config.show.timezone

    def when(moment: str) -> str:
        return f"{datetime.fromisoformat(moment):%a %Y-%m-%d %H:%M} ({zone})"

    build = (when(report["next_build"]) if report["next_build"]
             else "none ([schedule] enabled = false)")
    print(f"Next build:    {build}")
    if report["next_recap"]:
        print(f"Next recap:    {when(report['next_recap'])}")
    if report["next_playback"]:
        print(f"Next playback: {when(report['next_playback'])}")
    listed, recaps = report["episodes"], report["recaps"]
    print(f"Last episode:  {episode['date'] + ', ' + episode['title'] if episode else 'none yet'}"
          + (f" ({counted(listed, 'episode')} listed: {listed - recaps} daily, "
             f"{counted(recaps, 'recap')})" if listed else ""))
    if report["last_recap"]:
        print(f"Last recap:    {report['last_recap']['week']}, {report['last_recap']['title']}")
    if run:
        print(f"Last run:      {run['day']}: {run['outcome']} at {when(run['finished'])}"
              f"{': ' + run['message'] if run['message'] else ''}")
    print(f"Last error:    {when(error['at']) + ': ' + error['message'] if error else 'none'}")
    return 0 if report["ok"] else 1


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date of the form YYYY-MM-DD") from None


def _positive(text: str) -> int:
    number = _whole(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def _port(text: str) -> int:
    number = _whole(text)
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 1 to 65535, not {number}")
    return number


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _week(text: str) -> Week:
    try:
        return Week.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _config(args: argparse.Namespace) -> Config:
    from .config import load_config, locate_config

    cwd = Path.cwd()
    config = load_config(locate_config(args.config, os.environ, cwd), cwd)
    if getattr(args, "offline", False):
        from . import pipeline

        config = pipeline.offline(config, os.environ)
    if getattr(args, "format", None):
        config = replace(config, show=replace(config.show, format=args.format))
    log.debug("Configuration from %s.", config.describe_origin())
    return config


@contextmanager
def _stoppable() -> Iterator[threading.Event | None]:
    """An event SIGTERM or SIGINT sets, for a build to stop at its next step and be recorded as
    interrupted (a second one stops at once); None outside the main thread, where Python takes
    no signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    stop = threading.Event()

    def handle(number: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    signals = (signal.SIGTERM, signal.SIGINT)
    previous = [signal.signal(number, handle) for number in signals]
    try:
        yield stop
    finally:
        for number, handler in zip(signals, previous, strict=True):
            signal.signal(number, handler)


def _run(args: argparse.Namespace, config: Config) -> int:
    from . import pipeline

    with _stoppable() as stop:
        result = pipeline.run_episode(config, day=args.date, force=args.force,
                                      progress=_Bars(args.quiet), env=os.environ, stop=stop)
    if result.episode is None:
        _print_standins(result)
        print(f"No episode: {result.skipped} ([selection] on_empty = \"skip\").")
        return 0
    backlog = " from the backlog of recent days" if result.from_backlog else ""
    return _report(result, config, f"the episode for {result.episode.date}", backlog)


def _recap(args: argparse.Namespace, config: Config) -> int:
    from . import pipeline

    with _stoppable() as stop:
        result = pipeline.run_recap(config, week=args.week, force=args.force,
                                    progress=_Bars(args.quiet), env=os.environ, stop=stop)
    if result.episode is None:
        print(f"No recap: {result.skipped}.")
        return 0
    recap = result.episode.recap
    themes = f", {counted(len(recap.themes), 'theme')}" if recap else ""
    return _report(result, config, f"the recap of {result.episode.key}", themes)


def _print_standins(result: pipeline.RunResult) -> None:
    if result.standins:
        print(f"Offline stand-ins: {', '.join(result.standins)}.")


def _report(result: pipeline.RunResult, config: Config, what: str, detail: str = "") -> int:
    """What a run published (or reused), and where."""
    _print_standins(result)
    episode = result.episode
    assert episode is not None
    minutes, seconds = divmod(round(episode.duration), 60)
    if result.reused:
        print(f"{what[0].upper()}{what[1:]} was already published; reusing it "
              "(--force rebuilds it).")
    else:
        print(f"Published {what}: {minutes}:{seconds:02d}, "
              f"{counted(len(episode.papers), 'paper')}{detail}.")
    usage = episode.usage if not result.reused else {}
    if usage.get("calls") or usage.get("cached"):
        cost = f", cost {usage['cost']:.4f}" if "cost" in usage else ""
        print(f"Script by {config.llm.model}: {counted(usage['calls'], 'call')} "
              f"({usage['cached']} answers from cache), "
              f"{usage['tokens_in']:,} tokens in, {usage['tokens_out']:,} out{cost}.")
    print(f"  MP3:  {result.audio}\n  Feed: {result.feed}\n  Page: {result.page}")
    return 0


def _papers(args: argparse.Namespace, config: Config) -> int:
    from . import pipeline

    choice = pipeline.preview(config, day=args.date, env=os.environ)
    if args.json:
        print(json.dumps(papers_json(choice, args.top), ensure_ascii=False, indent=2))
        return 0
    print(f"Papers for {choice.day}"
          + (" (with some from the backlog of recent days)" if choice.from_backlog else "") + ":")
    for report in choice.reports:
        state = f"failed: {report.error}" if report.error else counted(report.papers, "paper")
        print(f"  {report.source}: {state}")
    if choice.skipped:
        print(f"No episode: {choice.skipped}.")
    picked = {pick.paper.id for pick in choice.picks}
    floor = config.selection.min_score
    others = [p for p in choice.ranked
              if p.paper.id not in picked][: max(0, args.top - len(choice.picks))]
    for heading, picks in (("Picks", choice.picks), ("Next candidates", others)):
        if picks:
            print(f"{heading}:")
        for pick in picks:
            under = (f" (under min_score {floor:g}: never picked)"
                     if pick.score < floor and pick not in choice.picks else "")
            print(f"  {pick.paper.title}\n    [{pick.paper.id}, score {pick.score:.3f}{under}, "
                  f"from {', '.join(pick.paper.sources) or 'unknown'}]")
            for reason in pick.reasons:
                print(f"    {reason}")
    if choice.excluded:
        print(f"Excluded by [listener] exclude: {counted(len(choice.excluded), 'paper')}.")
    return 0


def papers_json(choice: pipeline.Choice, top: int) -> dict:
    """The documented JSON of ``podcast papers --json`` (README: "The papers JSON")."""
    picked = [pick.paper.id for pick in choice.picks]

    def paper(pick: Pick, rank: int) -> dict:
        p = pick.paper
        return {
            "rank": rank, "id": p.id, "title": p.title, "url": p.url, "pdf_url": p.pdf_url,
            "authors": list(p.authors),
            "published": p.published.isoformat() if p.published else None,
            "categories": list(p.categories), "sources": list(p.sources), "upvotes": p.upvotes,
            "score": pick.score, "topics": list(pick.topics), "reasons": list(pick.reasons),
            "picked": p.id in picked,
        }

    return {
        "version": 1,
        "date": choice.day.isoformat(),
        "from_backlog": choice.from_backlog,
        "skipped": choice.skipped,
        "sources": [{"source": r.source, "papers": r.papers, "error": r.error}
                    for r in choice.reports],
        "picks": [paper(pick, picked.index(pick.paper.id) + 1) for pick in choice.picks],
        "candidates": [paper(pick, rank) for rank, pick in enumerate(choice.ranked[:top], start=1)],
        "excluded": [{"id": p.id, "title": p.title, "term": term} for p, term in choice.excluded],
    }


def _rate(args: argparse.Namespace, config: Config) -> int:
    from . import pipeline

    rating = pipeline.rate_paper(config, args.paper, args.vote)
    paper = rating.paper
    named = f'{paper.id} "{_shortened(paper.title)}"'
    if rating.vote == "clear":
        print(f"Cleared the rating of {named}: tomorrow's picks no longer weigh it."
              if rating.changed else f"{named} was not rated; nothing to clear.")
    else:
        lean = "toward" if rating.vote == "up" else "away from"
        print(f"Rated {rating.vote}: {named}. Tomorrow's picks lean {lean} papers like it.")
    return 0


def _shortened(text: str, limit: int = 70) -> str:
    """``text`` on one line, cut after a whole word (or any hanzi) to ``limit`` with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and text[limit - 1] != " ":
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.:;") + "…"


def _voices(args: argparse.Namespace, config: Config) -> int:
    from .speak import ENGINES, TTSConfig, conversation_hosts, resolve_voice
    from .speak.voices import presets

    prefix = args.language or config.show.language
    language = ("zh-CN" if prefix.lower().startswith("zh")
                else "en-US" if prefix.lower().startswith("en") else prefix)
    for name, preset in presets(language).items():
        engines = []
        for engine in ENGINES:
            settings = preset.get(engine, {})
            if settings:
                second = (f" + {settings['thoughts_voice']}" if settings.get("thoughts_voice")
                          else "")
                engines.append(f"{engine}: {settings.get('voice', '?')}{second}")
        print(f"preset {name}: {preset.get('description', '')}\n  {', '.join(engines)}")
    tts = config.tts if language == config.show.language else TTSConfig(engine=config.tts.engine)
    cast = resolve_voice(tts, tts.engine, language).cast
    hosts = conversation_hosts(tts, language)
    print(f"conversation hosts (preset {tts.preset}, {tts.engine}, [show.hosts]): "
          + ", ".join(f"{host.name} ({host.role}) {voice}"
                      for host, voice in zip(hosts, cast, strict=True)))
    for engine_class in ENGINES.classes():
        listed = engine_class.voices(prefix, online=not args.offline)
        if listed is None:
            continue
        voices, live = listed
        print(f"{engine_class.label or engine_class.name} voices for {prefix} "
              f"({'live list' if live else 'bundled list, possibly out of date'}):")
        for voice in voices:
            print(f"  {voice.name:<36} {voice.gender:<7} {voice.traits}")
    return 0


def _feed(args: argparse.Namespace, config: Config) -> int:
    from . import pipeline

    if args.check:
        return _check_feed(config)
    count, feed, page = pipeline.rebuild_site(config)
    print(f"Rebuilt the feed and the page with {counted(count, 'episode')}.\n"
          f"  Feed: {feed}\n  Page: {page}")
    return 0


def _check_feed(config: Config) -> int:
    from . import pipeline

    report = pipeline.check_site(config)
    against = "Apple Podcasts' and Spotify's requirements"
    if not report.gaps:
        print(f"{report.feed} meets {against}: no gaps "
              f"({counted(report.episodes, 'episode')} listed).")
        return 0
    print(f"{report.feed}: {counted(len(report.gaps), 'gap')} against {against}:")
    for gap in report.gaps:
        print(f"  {gap}.")
    return 1


class _Bars:
    """Progress bars on stderr when it is a terminal; nothing otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.enabled = not quiet and sys.stderr.isatty()

    @contextmanager
    def task(self, label: str, total: int) -> Iterator[Advance]:
        from tqdm import tqdm

        with tqdm(total=total, desc=label, unit="part", disable=not self.enabled,
                  leave=False) as bar:
            yield bar.update


class _TqdmHandler(logging.Handler):
    """Log lines that do not break a progress bar being drawn."""

    def emit(self, record: logging.LogRecord) -> None:
        bars = sys.modules.get("tqdm")  # no bar can be drawn before tqdm is imported
        if bars is None:
            print(self.format(record), file=sys.stderr)
        else:
            bars.tqdm.write(self.format(record), file=sys.stderr)


def _setup_logging(quiet: bool, debug: bool) -> None:
    handler = _TqdmHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO)
    log.propagate = False
