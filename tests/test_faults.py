"""Fault injection on `podcast run` run as a user runs it (a separate process, real files): a
SIGKILL at points spread over a whole run, a disk that fills up at each write of a run, a file
size limit, a read-only publish folder.

Every case starts from a show with one episode published the day before. Whatever happens, the
published feed parses and names only complete files, the earlier episode keeps its bytes, no
half-written file is visible (temporary files are dot-files, which `podcast serve` never
serves, and the next run removes them), and the next run publishes the day exactly once, under
its first name.

The sweeps (some 70 kill points, a full disk at each file written, a second kill while the next
run clears up) are marked ``soak``: they run with ``--soak``, as .ci/run does; three points of
each always run. Where a kill timed from outside lands depends on the machine's speed; what must
hold afterwards does not, and the kills at a given write land exactly there.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import podcastparser
import pytest
from mutagen.mp3 import MP3

from podcast.produce.audio import decode_file
from podcast.publish import EPISODE_FILES
from podcast.store import Store

from .conftest import FILE_SOURCE, OFFLINE_TTS

pytestmark = pytest.mark.slow

FAULTPOINT = Path(__file__).with_name("faultpoint.py")
EARLIER, DAY = "2026-11-20", "2026-11-21"
BASE_URL = "https://podcasts.example.com/show/"
# a show as published (with the owner's e-mail): a failure is then the one line on stderr
CONFIG = (f'[show]\nmax_papers = 1\ntarget_minutes = 1\nemail = "team@example.com"\n'
          f'[publish]\nbase_url = "{BASE_URL}"\n{FILE_SOURCE}{OFFLINE_TTS}')
SITE = ("feed.xml", "index.html")  # rewritten by every run; every other published file keeps its bytes
NEW_FILES = frozenset(f"episodes/{DAY}{suffix}" for suffix in EPISODE_FILES)
TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}")  # FolderTarget's temporary files: .<name>.<mkstemp's 8>
WORKERS = 2
ENOSPC = ("No space left on device", "database or disk is full")


def environment(**extra: str) -> dict[str, str]:
    """Hermetic: no config or API key of the machine's own."""
    env = {k: v for k, v in os.environ.items() if k not in ("PODCAST_CONFIG", "OPENAI_API_KEY")}
    return env | {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"} | extra


def podcast(show: Path, *args: str, fault: dict[str, str] | None = None,
            prefix: Sequence[str] = ()) -> subprocess.CompletedProcess:
    """`podcast ARGS` in ``show``; under tests/faultpoint.py when a ``fault`` is given."""
    program = [str(FAULTPOINT)] if fault is not None else ["-m", "podcast"]
    return subprocess.run([*prefix, sys.executable, *program, *args], cwd=show, env=environment(**(fault or {})),
                          capture_output=True, text=True, timeout=180)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files(folder: Path) -> dict[str, Path]:
    """Every file under ``folder``, by its name relative to it."""
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def hidden(name: str) -> bool:
    return any(part.startswith(".") for part in name.split("/"))


# -- the show, and one complete run of the day, timed and traced --------------------------------


@dataclass(frozen=True)
class Reference:
    baseline: Path  # a show with the earlier episode published; every case starts from a copy
    digests: dict[str, str]  # the earlier show's publish folder, file by file
    earlier_guid: str
    writes: list[tuple[str, str]]  # the day's run: every write to the show's folders, in order
    lines: list[tuple[str, float]]  # its log lines, seconds after it started
    seconds: float  # its whole run

    def at(self, prefix: str) -> float:
        (moment,) = [t for line, t in self.lines if line.startswith(prefix)]
        return moment


def copy_show(source: Path, to: Path) -> Path:
    shutil.copytree(source, to, symlinks=True)
    return to


def fault_roots(show: Path) -> str:
    return os.pathsep.join((str(show / "feed"), str(show / ".podcast")))


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Reference:
    baseline = tmp_path_factory.mktemp("baseline")
    (baseline / "podcast.toml").write_text(CONFIG, encoding="utf-8")
    first = podcast(baseline, "run", "-q", "--date", EARLIER)
    assert first.returncode == 0, first.stderr
    published = files(baseline / "feed")
    assert not any(hidden(name) for name in published)
    (entry,) = feedparser.parse((baseline / "feed" / "feed.xml").read_bytes()).entries

    show = copy_show(baseline, tmp_path_factory.mktemp("reference") / "show")
    trace = show.parent / "trace"
    fault = {"PODCAST_FAULT_ROOTS": fault_roots(show), "PODCAST_FAULT_TRACE": str(trace)}
    started = time.monotonic()
    with subprocess.Popen([sys.executable, str(FAULTPOINT), "run", "--date", DAY], cwd=show, env=environment(**fault),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as process:
        lines = [(line.rstrip("\n"), time.monotonic() - started) for line in process.stderr]
    assert process.returncode == 0, lines
    seconds = time.monotonic() - started
    writes = []
    for row in trace.read_text(encoding="utf-8").splitlines():
        _, event, path = row.split("\t")
        writes.append((event, Path(path).relative_to(show).as_posix()))
    return Reference(baseline, {name: digest(path) for name, path in published.items()}, entry.id, writes, lines,
                     seconds)


# -- what must hold after a fault, and after the next run ---------------------------------------


def local(url: str) -> str:
    assert url.startswith(BASE_URL), url
    return url.removeprefix(BASE_URL)


def check_feed(feed: Path) -> list:
    """The feed parses in feedparser and podcastparser, and every file it names is there, in full
    where it says how long it is. Returns its entries."""
    xml = (feed / "feed.xml").read_bytes()
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, f"feed.xml does not parse: {parsed.get('bozo_exception')}"
    show = podcastparser.parse(BASE_URL + "feed.xml", io.BytesIO(xml))
    assert len(show["episodes"]) == len(parsed.entries)
    for entry in parsed.entries:
        (enclosure,) = entry.enclosures
        path = feed / local(enclosure.href)
        assert path.is_file(), f"the feed names {enclosure.href}, which is missing"
        assert path.stat().st_size == int(enclosure.length), f"{enclosure.href} is not as long as the feed says"
    for episode in show["episodes"]:
        for enclosure in episode["enclosures"]:
            assert (feed / local(enclosure["url"])).stat().st_size == enclosure["file_size"]
    for element in ET.fromstring(xml).iter():  # transcripts, chapters, pages, the cover
        for value in (element.text, *element.attrib.values()):
            if value and value.strip().startswith(BASE_URL):
                assert (feed / local(value.strip())).is_file(), f"the feed names {value.strip()}, which is missing"
    return parsed.entries


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.links += [value for name, value in attrs if name in ("href", "src") and value]


def check_page(feed: Path) -> None:
    """Every file the show page links to is there."""
    page = _Links()
    page.feed((feed / "index.html").read_text(encoding="utf-8"))
    for link in page.links:
        if not re.match(r"[a-z]+:|#", link):
            name = link.split("#")[0].split("?")[0]
            assert (feed / (name + "index.html" if name.endswith("/") else name)).is_file(), \
                f"index.html links to {link}, which is missing"


def check_earlier(feed: Path, reference: Reference) -> None:
    """The earlier episode is still in the feed and its files keep their bytes."""
    entries = feedparser.parse((feed / "feed.xml").read_bytes()).entries
    assert reference.earlier_guid in [e.id for e in entries], "the earlier episode left the feed"
    for name, expected in reference.digests.items():
        if name not in SITE:
            assert (feed / name).is_file(), f"{name} of the earlier episode is gone"
            assert digest(feed / name) == expected, f"{name} of the earlier episode changed"


def check_complete(path: Path) -> None:
    """A file of the day's episode that a fault left behind is whole."""
    data = path.read_bytes()
    if path.suffix == ".mp3":
        header = MP3(path).info.length  # from the Xing header, written first
        decoded = decode_file(path).duration_seconds
        assert abs(header - decoded) < 0.2, f"{path.name} is cut short: {decoded:.1f} of {header:.1f} s"
    elif path.name.endswith(".json"):
        json.loads(data)
    elif path.suffix == ".html":
        assert data.rstrip().endswith(b"</html>"), f"{path.name} is cut short"
    else:
        assert data.endswith(b"\n"), f"{path.name} is cut short"


def check_visible(show: Path, reference: Reference, temporary_allowed: bool, new: frozenset[str] = NEW_FILES) -> None:
    """Nothing but whole files of the show can be fetched: a temporary file is a dot-file, which
    `podcast serve` never serves (and only a killed run may leave one)."""
    for name, path in files(show / "feed").items():
        if hidden(name):
            assert temporary_allowed, f"{name} is left behind"
            assert TEMPORARY.fullmatch(path.name), f"{name} is an unexpected hidden file"
        elif name not in reference.digests:
            assert name in new, f"{name} is not a file of the show"
            check_complete(path)


def check_once(show: Path) -> None:
    """The day is published exactly once, under its first name, in the feed and in the store."""
    entries = feedparser.parse((show / "feed" / "feed.xml").read_bytes()).entries
    days = [e for e in entries if e.enclosures[0].href == f"{BASE_URL}episodes/{DAY}.mp3"]
    assert len(days) == 1 and len(entries) == 2, f"the feed has {[e.enclosures[0].href for e in entries]}"
    with Store(show / ".podcast" / "podcast.db") as store:
        episodes = store.episodes()
        assert [e.date.isoformat() for e in episodes] == [DAY, EARLIER], "the store lost or doubled an episode"
        assert episodes[0].guid == days[0].id and episodes[0].audio_name == f"episodes/{DAY}.mp3"
        assert len(store.broadcast_ids()) == 2


def check_clean(show: Path, reference: Reference) -> None:
    """Nothing is left of what the fault interrupted: no temporary, orphaned or work file."""
    assert set(files(show / "feed")) == set(reference.digests) | NEW_FILES, \
        f"files other than the two episodes' are left: {set(files(show / 'feed')) - set(reference.digests) - NEW_FILES}"
    assert not list((show / ".podcast").glob("episode-*")), "a build's work folder is left in the state folder"
    assert not list((show / ".podcast").glob("publishing.json*")), "the note of files being published is left"


def check_failed_cleanly(run: subprocess.CompletedProcess, *expected: str) -> None:
    """Exit code 1 and one line on stderr, `podcast: error: ...` with each of ``expected`` (a
    path, what went wrong)."""
    assert run.returncode == 1, f"exit code {run.returncode}: {run.stderr.strip()}"
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, f"not one line on stderr: {lines}"
    (line,) = lines
    assert line.startswith("podcast: error: "), line
    for text in expected:
        assert re.search(text, line), f"{text!r} not in {line!r}"


def check_site_unchanged(show: Path, reference: Reference) -> None:
    for name in SITE:
        assert digest(show / "feed" / name) == reference.digests[name], f"{name} changed"


CORRUPTED, LOST, LEFT, FAILED = "corrupted feed", "lost episode", "leftover", "failed next run"


@dataclass
class Findings:
    """Every check that failed, by what it means: a corrupted feed, a lost episode, ..."""

    problems: list[tuple[str, str]] = field(default_factory=list)

    def check(self, kind: str, check: Callable[[], object]) -> None:
        try:
            check()
        except Exception as exc:  # an assertion, or a file missing or unreadable
            self.problems.append((kind, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"))

    def has(self, kind: str) -> bool:
        return any(k == kind for k, _ in self.problems)

    def after_fault(self, show: Path, reference: Reference, temporary_allowed: bool,
                    new: frozenset[str] = NEW_FILES) -> None:
        """What a podcast app or a browser finds right after the fault (``new``: the files of
        the episode being made)."""
        self.check(CORRUPTED, lambda: (check_feed(show / "feed"), check_page(show / "feed")))
        self.check(LOST, lambda: check_earlier(show / "feed", reference))
        self.check(LEFT, lambda: check_visible(show, reference, temporary_allowed, new))

    def after_failure(self, show: Path, reference: Reference, run: subprocess.CompletedProcess,
                      *expected: str) -> None:
        """A run that could not write failed in one line and left the site as it was."""
        self.check("unclear failure", lambda: check_failed_cleanly(run, *expected))
        self.check("site changed", lambda: check_site_unchanged(show, reference))
        self.after_fault(show, reference, temporary_allowed=False)

    def after_next_run(self, show: Path, reference: Reference, run: subprocess.CompletedProcess) -> None:
        """The next run succeeded, published the day exactly once under its first name, and left
        nothing of the interrupted one behind."""
        self.check(FAILED, lambda: _succeeded(run))
        self.check(CORRUPTED, lambda: (check_feed(show / "feed"), check_page(show / "feed")))
        self.check(LOST, lambda: (check_earlier(show / "feed", reference), check_once(show)))
        self.check(LEFT, lambda: check_clean(show, reference))


def _succeeded(run: subprocess.CompletedProcess) -> None:
    assert run.returncode == 0, f"exit code {run.returncode}: {run.stderr.strip()}"


# -- kill points --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    label: str
    write: int = 0  # SIGKILL just before the run's write number `write` (tests/faultpoint.py),
    match: str = ""  # or before its `matches`th write that this matches ("event path"), or
    matches: int = 1
    after: str | None = None  # from outside, `delay` s after the log line starting so ("" = the start)
    delay: float = 0.0


# The stages of a run, each named by the log line that ends it, and where in each to kill, as
# fractions of its length in the reference run. Most go where files are published, which
# write_points also covers write by write.
STAGES: dict[str | None, tuple[float, ...]] = {
    "Found ": (0.3, 0.7),  # start-up: imports, config, lock, store, reading the sources
    "Picked ": (0.5,),  # selection
    "Wrote the script": (0.5,),
    "Estimated length": (0.5,),
    "Spoke ": (0.3, 0.7),
    "Encoded ": (0.2, 0.4, 0.6, 0.8),  # mixing, mastering, encoding into the work folder
    "Produced ": (0.5,),  # said as soon as the encoder is done
    "Added the ": (0.0, 0.2, 0.4, 0.6, 0.8),  # the episode's files onto the publish folder
    "Published ": (0.0, 0.5),  # recording the episode in the store
    "Updated the page": (0.0, 0.3, 0.6),  # the cover, the page and the feed
    None: (0.0, 0.5),  # the run log, exit
}


def timed_points(reference: Reference) -> list[Point]:
    points, start, previous = [], 0.0, ""
    for line, fractions in STAGES.items():
        end = reference.at(line) if line else reference.seconds
        stage = line.strip() if line else "exit"
        points += [Point(f"{fraction:.0%} into the stage ending '{stage}'", after=previous, delay=fraction * (end - start))
                   for fraction in fractions]
        start, previous = end, line or ""
    return points


def write_points(reference: Reference) -> list[Point]:
    """Just before each write of the run (a repeated mkdir of the same folder only once)."""
    points, seen = [], set()
    for n, (event, path) in enumerate(reference.writes, 1):
        if (event, path) not in seen:
            points.append(Point(f"before write {n}: {event} {path}", write=n))
        seen.add((event, path))
    return points


def write_number(reference: Reference, event: str, pattern: str) -> int:
    (n,) = [n for n, (e, path) in enumerate(reference.writes, 1) if e == event and re.fullmatch(pattern, path)]
    return n


@dataclass
class Outcome:
    point: Point
    killed: bool
    findings: Findings


def kill_run(show: Path, point: Point, *args: str) -> int:
    """Run `podcast run --date DAY` (or ``args``) and kill it at ``point``; its exit code."""
    fault = {"PODCAST_FAULT_ROOTS": fault_roots(show), "PODCAST_FAULT_AT": str(point.write),
             "PODCAST_FAULT_MATCH": point.match, "PODCAST_FAULT_MATCHES": str(point.matches)}
    with subprocess.Popen([sys.executable, str(FAULTPOINT), *(args or ("run", "--date", DAY))], cwd=show,
                          env=environment(**fault),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as process:
        try:
            if point.after is not None:
                if point.after:
                    for line in process.stderr:
                        if line.startswith(point.after):
                            break
                time.sleep(point.delay)
                process.send_signal(signal.SIGKILL)
            process.communicate(timeout=180)
        finally:
            if process.poll() is None:
                process.kill()
    return process.returncode


def survive(reference: Reference, folder: Path, point: Point) -> Outcome:
    """Kill a run of the day at ``point``, check what is published, run again, check again."""
    show = copy_show(reference.baseline, folder)
    killed = kill_run(show, point) == -signal.SIGKILL
    findings = Findings()
    if (point.write or point.match) and not killed:
        findings.problems.append(("setup", "the run was not killed at its write"))
    findings.after_fault(show, reference, temporary_allowed=True)
    findings.after_next_run(show, reference, podcast(show, "run", "-q", "--date", DAY))
    return Outcome(point, killed, findings)


def parallel(work: Callable, items: Sequence) -> list:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(work, items))


def report(what: str, outcomes: Sequence[Outcome], seconds: float) -> str:
    """One line of figures, then the problems of each point that had any."""
    counts = ", ".join(f"{sum(o.findings.has(kind) for o in outcomes)} with a {kind}"
                       for kind in (LOST, CORRUPTED, LEFT, FAILED))
    lines = [f"{len(outcomes)} {what}: {sum(not o.findings.problems for o in outcomes)} survived, {counts}; "
             f"{seconds:.0f} s"]
    for outcome in outcomes:
        if outcome.findings.problems:
            lines += [f"  {outcome.point.label}:"] + [f"    {k}: {m}" for k, m in outcome.findings.problems]
    return "\n".join(lines)


def kill_sweep(reference: Reference, tmp_path: Path, points: Sequence[Point]) -> list[Outcome]:
    started = time.monotonic()
    outcomes = parallel(lambda item: survive(reference, tmp_path / f"point-{item[0]}", item[1]), list(enumerate(points)))
    print(f"\nreference run {reference.seconds:.1f} s; " + report(
        f"kill points ({sum(o.killed for o in outcomes)} killed mid-run)", outcomes, time.monotonic() - started))
    return outcomes


def test_reference_run_writes_files_before_the_feed(reference):
    """What the kill points are chosen from: the stages in their order, and every write of the
    publish step going to a temporary dot-file first, the feed last."""
    stages = [line for line in STAGES if line]
    seen = [next(s for s in stages if line.startswith(s)) for line, _ in reference.lines if line.startswith(tuple(stages))]
    assert seen == stages
    published = [(event, path) for event, path in reference.writes if path.startswith("feed/")]
    assert published[-1] == ("os.rename", "feed/feed.xml")
    for event, path in published:
        if event == "open":
            assert TEMPORARY.fullmatch(Path(path).name), f"{path} is written in place"


def test_killed_runs_damage_nothing_fast(reference, tmp_path):
    """Three kill points: mid-encoding, after the MP3 went out but before the episode is recorded,
    and after the page but before the feed."""
    points = [
        Point("half-way through encoding", after="Spoke ",
              delay=0.5 * (reference.at("Encoded ") - reference.at("Spoke "))),
        Point("after the MP3, before the transcript", write=write_number(reference, "open", rf"feed/episodes/\.{DAY}\.txt\..*")),
        Point("after the page, before the feed", write=write_number(reference, "os.rename", "feed/feed.xml")),
    ]
    outcomes = kill_sweep(reference, tmp_path, points)
    assert [o.killed for o in outcomes[1:]] == [True, True]  # (the first may land anywhere in a slow run)
    assert [o.findings.problems for o in outcomes] == [[], [], []]


@pytest.mark.soak
def test_killed_runs_damage_nothing_soak(reference, tmp_path):
    points = timed_points(reference) + write_points(reference)
    assert len(points) >= 30
    outcomes = kill_sweep(reference, tmp_path, points)
    assert all(o.killed for o in outcomes if o.point.write)
    assert {o.point.label: o.findings.problems for o in outcomes if o.findings.problems} == {}


def test_a_killed_rebuild_never_removes_the_published_take(reference, tmp_path):
    """`--force` killed after its MP3 went out: the take in the feed keeps its files and bytes, the
    next run removes only the new take's orphans, and a new --force publishes it as -r2."""
    show = copy_show(reference.baseline, tmp_path / "show")
    point = Point("after the rebuild's MP3", match=rf"os\.link .*/episodes/{EARLIER}-r2\.txt$")
    assert kill_run(show, point, "run", "--force", "--date", EARLIER) == -signal.SIGKILL
    assert (show / "feed" / "episodes" / f"{EARLIER}-r2.mp3").is_file()
    findings = Findings()
    findings.check(CORRUPTED, lambda: (check_feed(show / "feed"), check_page(show / "feed")))
    findings.check(LOST, lambda: check_earlier(show / "feed", reference))
    again = podcast(show, "run", "-q", "--date", EARLIER)
    findings.check(FAILED, lambda: _succeeded(again))
    findings.check(LOST, lambda: check_earlier(show / "feed", reference))
    findings.check(LEFT, lambda: check_clean_set(show, set(reference.digests)))
    rebuilt = podcast(show, "run", "-q", "--force", "--date", EARLIER)
    findings.check(FAILED, lambda: _succeeded(rebuilt))
    (entry,) = feedparser.parse((show / "feed" / "feed.xml").read_bytes()).entries
    assert entry.enclosures[0].href == f"{BASE_URL}episodes/{EARLIER}-r2.mp3" and entry.id == reference.earlier_guid
    for name, expected in reference.digests.items():  # the first take's URL still serves its bytes
        if name not in SITE:
            findings.check(LOST, lambda name=name, expected=expected: _same(show / "feed" / name, expected))
    assert findings.problems == []


def check_clean_set(show: Path, expected: set[str]) -> None:
    assert set(files(show / "feed")) == expected, f"left: {set(files(show / 'feed')) ^ expected}"


def _same(path: Path, expected: str) -> None:
    assert digest(path) == expected, f"{path.name} changed"


WEEK = "2026-W47"  # EARLIER's week
RECAP_FILES = frozenset(f"episodes/{WEEK}-recap{suffix}" for suffix in EPISODE_FILES)


def test_a_killed_recap_build_is_published_once_by_the_next(reference, tmp_path):
    """`podcast recap` killed after its MP3 went out but before it was recorded, and after it was
    recorded but before it cleared its note of what it was publishing (the recorded files must
    stay)."""
    points = [Point("after the recap's MP3", match=rf"os\.link .*/episodes/{WEEK}-recap\.txt$"),
              Point("after the recap was recorded", match=r"os\.remove .*/\.podcast/publishing\.json$", matches=2)]

    def survive_recap(item: tuple[int, Point]) -> Outcome:
        show = copy_show(reference.baseline, tmp_path / f"point-{item[0]}")
        killed = kill_run(show, item[1], "recap", "--week", WEEK) == -signal.SIGKILL
        findings = Findings()
        findings.after_fault(show, reference, temporary_allowed=True, new=RECAP_FILES)
        again = podcast(show, "recap", "-q", "--week", WEEK)
        findings.check(FAILED, lambda: _succeeded(again))
        findings.check(CORRUPTED, lambda: (check_feed(show / "feed"), check_page(show / "feed")))
        findings.check(LOST, lambda: (check_earlier(show / "feed", reference), check_recap_once(show)))
        findings.check(LEFT, lambda: check_clean_set(show, set(reference.digests) | RECAP_FILES))
        return Outcome(item[1], killed, findings)

    outcomes = parallel(survive_recap, list(enumerate(points)))
    assert [o.killed for o in outcomes] == [True, True]
    assert [o.findings.problems for o in outcomes] == [[], []]


def check_recap_once(show: Path) -> None:
    entries = feedparser.parse((show / "feed" / "feed.xml").read_bytes()).entries
    recaps = [e for e in entries if e.enclosures[0].href == f"{BASE_URL}episodes/{WEEK}-recap.mp3"]
    assert len(recaps) == 1 and len(entries) == 2, f"the feed has {[e.enclosures[0].href for e in entries]}"
    with Store(show / ".podcast" / "podcast.db") as store:
        (recap,) = store.episodes("recap")
        assert recap.guid == recaps[0].id and recap.audio_name == f"episodes/{WEEK}-recap.mp3"


@pytest.mark.soak
def test_a_run_killed_while_recovering_is_recovered_by_the_next(reference, tmp_path):
    """A second kill, at each write of the run that clears up after the first (an orphaned MP3, its
    temporary file and the note of what was being published)."""
    first = Point("after the MP3 was linked", match=rf"os\.remove .*/episodes/\.{DAY}\.mp3\.")
    probe = copy_show(reference.baseline, tmp_path / "probe")
    assert kill_run(probe, first) == -signal.SIGKILL
    trace = tmp_path / "trace"
    traced = podcast(probe, "run", "-q", "--date", DAY,
                     fault={"PODCAST_FAULT_ROOTS": fault_roots(probe), "PODCAST_FAULT_TRACE": str(trace)})
    assert traced.returncode == 0, traced.stderr
    writes = [row.split("\t")[1:] for row in trace.read_text(encoding="utf-8").splitlines()]
    ends = next(n for n, (event, path) in enumerate(writes) if path.endswith("publishing.json.part") and event == "open")
    clearing = [Point(f"clearing up, before write {n}: {event} {Path(path).relative_to(probe)}", write=n)
                for n, (event, path) in enumerate(writes[:ends], 1)]
    assert any(event == "os.remove" and path.endswith(f"/{DAY}.mp3") for event, path in writes[:ends])

    def twice(item: tuple[int, Point]) -> Outcome:
        show = copy_show(reference.baseline, tmp_path / f"point-{item[0]}")
        killed = kill_run(show, first) == -signal.SIGKILL and kill_run(show, item[1]) == -signal.SIGKILL
        findings = Findings()
        findings.after_fault(show, reference, temporary_allowed=True)
        findings.after_next_run(show, reference, podcast(show, "run", "-q", "--date", DAY))
        return Outcome(item[1], killed, findings)

    started = time.monotonic()
    outcomes = parallel(twice, list(enumerate(clearing)))
    print("\n" + report("second kill points", outcomes, time.monotonic() - started))
    assert all(o.killed for o in outcomes)
    assert {o.point.label: o.findings.problems for o in outcomes if o.findings.problems} == {}


# -- a full disk, a file size limit, a read-only publish folder ---------------------------------


# A tmpfs of the show's own, in a private mount namespace, so that no root is needed: the show
# is copied onto it, the run fills it at one of its writes (tests/faultpoint.py), the space is
# freed, the next run goes on the same disk; what the disk holds after each is copied out.
FULL_DISK = r"""
set -u
disk=$1 seed=$2 out=$3
mount -t tmpfs -o size=64m tmpfs "$disk" || exit 97
cp -a "$seed/." "$disk/" && cd "$disk" || exit 98
"$PYTHON" "$FAULTPOINT" run -q --date "$DAY" >"$out/full.out" 2>"$out/full.err"; echo $? >"$out/full.rc"
rm -f filler && cp -a "$disk/." "$out/after-full" || exit 98
"$PYTHON" -m podcast run -q --date "$DAY" >"$out/retry.out" 2>"$out/retry.err"; echo $? >"$out/retry.rc"
cp -a "$disk/." "$out/after-retry" || exit 98
"""


@pytest.fixture(scope="session")
def namespaces(tmp_path_factory) -> list[str]:
    """The command that runs a shell in new user and mount namespaces (root inside, mapped to
    the caller), where a tmpfs can be mounted; skips when the system does not allow it."""
    command = ["unshare", "--user", "--map-root-user", "--mount"]
    point = tmp_path_factory.mktemp("probe")
    try:
        probe = subprocess.run([*command, "sh", "-c", 'mount -t tmpfs -o size=1m tmpfs "$1"', "sh", str(point)],
                               capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        pytest.skip("needs unshare (util-linux) for a private tmpfs")
    if probe.returncode != 0:
        pytest.skip(f"no user and mount namespaces here for a private tmpfs: {probe.stderr.strip()}")
    return command


def fill_points(reference: Reference) -> list[Point]:
    """Every file the run opens for writing, and the work folders it speaks and encodes into."""
    return [Point(f"disk full before {event} {path}", write=n) for n, (event, path) in enumerate(reference.writes, 1)
            if event == "open" or (event == "os.mkdir" and re.fullmatch(r"\.podcast/episode-.*", path))]


def full_disk(reference: Reference, folder: Path, namespaces: list[str], point: Point) -> Outcome:
    disk, out = folder / "disk", folder / "out"
    disk.mkdir(parents=True)
    out.mkdir()
    fault = {"PODCAST_FAULT": "fill", "PODCAST_FAULT_AT": str(point.write), "PODCAST_FAULT_DISK": str(disk),
             "PODCAST_FAULT_ROOTS": fault_roots(disk), "PYTHON": sys.executable, "FAULTPOINT": str(FAULTPOINT),
             "DAY": DAY}
    script = subprocess.run([*namespaces, "sh", "-c", FULL_DISK, "sh", str(disk), str(reference.baseline), str(out)],
                            env=environment(**fault), capture_output=True, text=True, timeout=360)
    assert script.returncode == 0, script.stderr

    def run(name: str) -> subprocess.CompletedProcess:
        return subprocess.CompletedProcess([name], int((out / f"{name}.rc").read_text()),
                                           (out / f"{name}.out").read_text(), (out / f"{name}.err").read_text())

    findings = Findings()
    findings.after_failure(out / "after-full", reference, run("full"), re.escape(f"{disk}/"), "|".join(ENOSPC))
    findings.after_next_run(out / "after-retry", reference, run("retry"))
    return Outcome(point, False, findings)


def full_disk_sweep(reference: Reference, tmp_path: Path, namespaces: list[str], points: Sequence[Point]) -> None:
    started = time.monotonic()
    outcomes = parallel(lambda item: full_disk(reference, tmp_path / f"point-{item[0]}", namespaces, item[1]),
                        list(enumerate(points)))
    print("\n" + report("full-disk points", outcomes, time.monotonic() - started))
    assert {o.point.label: o.findings.problems for o in outcomes if o.findings.problems} == {}


def test_full_disk_fails_cleanly_and_the_next_run_recovers_fast(reference, tmp_path, namespaces):
    """The disk fills up while encoding, while publishing the MP3, and while writing the feed."""
    points = [p for p in fill_points(reference)
              if re.search(rf"mkdir \.podcast/episode-[^/]*/mix-|/\.{DAY}\.mp3\.|/\.feed\.xml\.", p.label)]
    assert len(points) == 3
    full_disk_sweep(reference, tmp_path, namespaces, points)


@pytest.mark.soak
def test_full_disk_fails_cleanly_and_the_next_run_recovers_soak(reference, tmp_path, namespaces):
    points = fill_points(reference)
    assert len(points) >= 12
    full_disk_sweep(reference, tmp_path, namespaces, points)


# RLIMIT_FSIZE: the kernel refuses to grow any file past the limit (EFBIG, or SIGXFSZ for a
# program that does not ignore it, such as ffmpeg). No namespace or root needed, and root is
# bound by it too.
FILE_SIZE_LIMIT = ("import os, resource, sys; limit = int(sys.argv[1]); "
                   "resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)); os.execv(sys.argv[2], sys.argv[2:])")


@pytest.mark.parametrize("limit, expected", [
    (4096, (r"/\.podcast/podcast\.db: ", "disk I/O error")),  # the state database cannot grow
    # nor the speech kept (a piece in the cache, a paragraph in the work folder) or the MP3 being encoded
    (256 * 1024, (r"/\.podcast/(episode-\w+/(episode\.mp3|paragraph-\d+\.wav)|cache/tts/\w+\.wav): ", "file size limit")),
], ids=["state-database", "encoder"])
def test_file_size_limit_fails_cleanly_and_a_later_run_succeeds(reference, tmp_path, limit, expected):
    show = copy_show(reference.baseline, tmp_path / "show")
    findings = Findings()
    limited = podcast(show, "run", "-q", "--date", DAY, prefix=(sys.executable, "-c", FILE_SIZE_LIMIT, str(limit)))
    findings.after_failure(show, reference, limited, *expected)
    findings.after_next_run(show, reference, podcast(show, "run", "-q", "--date", DAY))
    assert findings.problems == []


def test_read_only_publish_folder_fails_cleanly_and_a_later_run_succeeds(reference, tmp_path, namespaces):
    """The publish folder bind-mounted read-only in a private mount namespace: refused to root too."""
    show = copy_show(reference.baseline, tmp_path / "show")
    read_only = (*namespaces, "sh", "-c", 'mount --bind feed feed && mount -o remount,bind,ro feed && exec "$@"', "sh")
    findings = Findings()
    refused = podcast(show, "run", "-q", "--date", DAY, prefix=read_only)
    findings.after_failure(show, reference, refused, re.escape(f"{show / 'feed'}/"), "Read-only file system")
    findings.after_next_run(show, reference, podcast(show, "run", "-q", "--date", DAY))
    assert findings.problems == []
