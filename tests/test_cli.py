"""The command line, run as a user runs it: a separate process, real files, exit codes."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from podcast.models import Episode, Paper
from podcast.store import open_store

from .conftest import FILE_SOURCE, OFFLINE_TTS, SATURDAY_MORNING, TAX_PROJECT, clock_at

# The clock of a `podcast` run without --date: 00:30 on Saturday in Shanghai (the show's time zone), Friday in UTC.
SATURDAY_0030 = clock_at("2026-11-20T16:30:00+00:00")


def podcast(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    # hermetic: no config or API key of the machine's own
    environment = {k: v for k, v in os.environ.items() if k not in ("PODCAST_CONFIG", "OPENAI_API_KEY")}
    environment |= env or {}
    return subprocess.run(
        [sys.executable, "-m", "podcast", *args], cwd=cwd, env=environment,
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("command", [[], ["run"], ["papers"], ["voices"], ["feed"]])
def test_help(tmp_path, command):
    result = podcast(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "usage: podcast" in result.stdout


def test_bad_config_is_one_line_and_exit_78(tmp_path):
    """EX_CONFIG, not 1: the service unit does not restart on it (RestartPreventExitStatus)."""
    (tmp_path / "podcast.toml").write_text('[show]\nlanguage = "fr"\n', encoding="utf-8")
    result = podcast("run", cwd=tmp_path)
    assert result.returncode == 78
    assert result.stderr.strip().splitlines() == [
        f'podcast: error: {tmp_path / "podcast.toml"}: show.language = "fr": must be one of zh-CN, en-US'
    ]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "feed").exists()


def test_the_common_options_go_before_the_command_or_after_it(tmp_path):
    """The file given is the one read, wherever --config stands: this one is refused for its
    language, which only that file says."""
    (tmp_path / "show.toml").write_text('[show]\nlanguage = "fr"\n', encoding="utf-8")
    for args in (("--config", "show.toml", "status"), ("status", "--config", "show.toml"),
                 ("-q", "--config", "show.toml", "status", "--json")):
        result = podcast(*args, cwd=tmp_path)
        assert result.returncode == 78, args
        assert result.stderr.strip().endswith('show.language = "fr": must be one of zh-CN, en-US'), args
        assert "Traceback" not in result.stderr
    before = podcast("--config", "missing.toml", "--debug", "status", cwd=tmp_path)
    assert before.returncode == 78 and "Traceback" in before.stderr
    assert before.stderr.strip().endswith("missing.toml: config file not found (from --config)")


def test_debug_adds_the_traceback(tmp_path):
    result = podcast("papers", "--config", "missing.toml", "--debug", cwd=tmp_path)
    assert result.returncode == 78
    assert "Traceback" in result.stderr
    assert result.stderr.strip().endswith("missing.toml: config file not found (from --config)")


def test_bad_date_is_a_usage_error(tmp_path):
    result = podcast("run", "--date", "21/11/2026", cwd=tmp_path)
    assert result.returncode == 2
    assert "is not a date of the form YYYY-MM-DD" in result.stderr


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["papers", "--top", "-3"], "podcast papers: error: argument --top: must be at least 1, not -3"),
        (["papers", "--top", "0"], "podcast papers: error: argument --top: must be at least 1, not 0"),
        (["papers", "--top", "many"], "podcast papers: error: argument --top: 'many' is not a whole number"),
        (["serve", "--port", "0"], "podcast serve: error: argument --port: must be a port from 1 to 65535, not 0"),
        (["serve", "--port", "99999"], "podcast serve: error: argument --port: must be a port from 1 to 65535"),
        (["run", "--date", "2026-02-30"], "podcast run: error: argument --date: '2026-02-30' is not a date"),
        (["recap", "--week", "2026-W99"], "podcast recap: error: argument --week: "),
    ],
)
def test_bad_numbers_on_the_command_line_are_one_line_usage_errors(tmp_path, args, line):
    result = podcast(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(line)
    assert result.stderr.rstrip().endswith(f"(see podcast {args[0]} --help)")
    assert "Traceback" not in result.stderr and not result.stdout


@pytest.mark.dated
@pytest.mark.slow
def test_run_papers_and_feed_from_the_command_line(tmp_path):
    config = tmp_path / "conf" / "show.toml"
    config.parent.mkdir()
    config.write_text(f'[show]\nmax_papers = 1\n[listener]\nproject = "{TAX_PROJECT}"\n{OFFLINE_TTS}{FILE_SOURCE}',
                      encoding="utf-8")
    env = {"PODCAST_CONFIG": str(config)}

    papers = podcast("papers", "--json", "--date", "2026-11-20", cwd=tmp_path, env=env)
    assert papers.returncode == 0, papers.stderr
    listing = json.loads(papers.stdout)
    (pick,) = listing["picks"]
    assert pick["id"] == "2409.17581" and pick["reasons"] and pick["picked"]
    assert listing["date"] == "2026-11-20" and listing["version"] == 1
    assert listing["sources"] == [{"source": "the bundled sample papers", "papers": 8, "error": None}]
    assert [c["rank"] for c in listing["candidates"]] == list(range(1, 9))

    run = podcast("run", "--date", "2026-11-20", "--offline", cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    out = run.stdout.splitlines()
    assert out[0] == "Offline stand-ins: bundled sample papers, template script writer, espeak-ng voice."
    assert out[1].startswith("Published the episode for 2026-11-20: ")
    mp3 = config.parent / "feed" / "episodes" / "2026-11-20.mp3"  # relative to the config file
    assert f"MP3:  {mp3}" in run.stdout and mp3.is_file()
    assert "Found 8 papers in the bundled sample papers." in run.stderr  # the log says what happened
    assert "Picked 1 paper: 2409.17581." in run.stderr

    again = podcast("run", "--date", "2026-11-20", cwd=tmp_path, env=env)
    assert again.returncode == 0
    assert "already published; reusing it" in again.stdout

    (config.parent / "feed" / "feed.xml").unlink()
    feed = podcast("feed", cwd=tmp_path, env=env)
    assert feed.returncode == 0 and (config.parent / "feed" / "feed.xml").is_file()
    assert "Rebuilt the feed and the page with 1 episode." in feed.stdout


@pytest.mark.dated
@pytest.mark.slow
def test_nothing_to_broadcast_exits_3(tmp_path):
    papers = tmp_path / "papers.json"
    papers.write_text("[]", encoding="utf-8")
    (tmp_path / "podcast.toml").write_text(f'[[sources]]\ntype = "file"\npath = "{papers.name}"\n', encoding="utf-8")
    result = podcast("run", cwd=tmp_path, env=SATURDAY_0030)
    assert result.returncode == 3
    assert result.stderr.strip().splitlines()[-1].startswith("podcast: error: no papers found for 2026-11-21")


@pytest.mark.dated
def test_offline_papers_never_touch_the_network(tmp_path):
    """Without a config the sources are arXiv and Hugging Face; --offline reads only the samples."""
    result = podcast("papers", "--offline", "--top", "6", cwd=tmp_path, env=SATURDAY_0030)
    assert result.returncode == 0, result.stderr
    assert "arXiv" not in result.stderr and "Hugging Face" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["Papers for 2026-11-21:", "  the bundled sample papers: 8 papers"]  # today in Shanghai
    assert lines[2] == "Picks:" and "Next candidates:" in lines
    assert sum(line.startswith("    [2409.") for line in lines) == 6
    assert not (tmp_path / ".podcast").exists()


def test_voices_lists_presets_and_the_bundled_voices_offline(tmp_path):
    result = podcast("voices", "--offline", "--language", "en", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("preset default: ") and "en-US-AndrewMultilingualNeural + en-US-EmmaMultilingualNeural" in lines[1]
    assert "edge-tts voices for en (bundled list, possibly out of date):" in lines
    assert any(line.strip().startswith("en-GB-SoniaNeural") for line in lines)
    assert not any("zh-CN" in line for line in lines)


LONG_TITLE = "Fine-Tuning Large Language Models for Tax Questions and Annual Reports: A Study of Many Listed Companies"


def rated(state: Path) -> list[tuple[str, str, str]]:
    with open_store(state) as store:
        return [(r.paper.id, r.kind, r.added.isoformat()) for r in store.references()]


def test_rate_papers_up_down_and_clear_by_any_of_their_ids(tmp_path):
    """A candidate the sources offered, an episode's paper and a web: item, each named as a listener copies it."""
    (tmp_path / "podcast.toml").write_text(FILE_SOURCE, encoding="utf-8")
    state = tmp_path / ".podcast"
    with open_store(state) as store:
        store.remember_candidates(date(2026, 11, 20), [
            Paper(id="2409.17581", title=LONG_TITLE, summary="Annual reports."),
            Paper(id="web:0a1b2c3d4e5f", title="A post on LoRA", summary="LoRA for tax."),
        ])
        store.save_episode(Episode(date=date(2026, 11, 20), guid="g", title="t", audio_name="a.mp3", audio_bytes=1,
                                   duration=1.0, transcript_name="a.txt", chapters=(),
                                   papers=(Paper(id="2409.12345", title="Broadcast paper", summary="s"),),
                                   published_at=SATURDAY_MORNING))

    down = podcast("rate", "arXiv:2409.17581v2", "down", cwd=tmp_path, env=SATURDAY_0030)
    assert down.returncode == 0, down.stderr
    assert down.stdout == ('Rated down: 2409.17581 "Fine-Tuning Large Language Models for Tax Questions and '
                           'Annual…". Tomorrow\'s picks lean away from papers like it.\n')
    assert rated(state) == [("2409.17581", "down", "2026-11-21")]  # 00:30 on Saturday in Shanghai

    up = podcast("rate", "https://huggingface.co/papers/2409.17581", "up", cwd=tmp_path, env=SATURDAY_0030)
    assert up.returncode == 0, up.stderr
    assert up.stdout.startswith('Rated up: 2409.17581 "Fine-Tuning') and up.stdout.endswith(
        ". Tomorrow's picks lean toward papers like it.\n")
    assert rated(state) == [("2409.17581", "up", "2026-11-21")]  # the latest rating wins

    for paper, vote in (("https://arxiv.org/abs/2409.12345v1", "up"), ("web:0a1b2c3d4e5f", "down")):
        result = podcast("rate", paper, vote, "-q", cwd=tmp_path, env=SATURDAY_0030)
        assert result.returncode == 0 and result.stderr == "", result.stderr
    assert result.stdout == 'Rated down: web:0a1b2c3d4e5f "A post on LoRA". Tomorrow\'s picks lean away from papers like it.\n'
    assert sorted(rated(state)) == [("2409.12345", "up", "2026-11-21"), ("2409.17581", "up", "2026-11-21"),
                                    ("web:0a1b2c3d4e5f", "down", "2026-11-21")]

    clear = podcast("rate", "2409.12345", "clear", cwd=tmp_path)
    assert clear.stdout == 'Cleared the rating of 2409.12345 "Broadcast paper": tomorrow\'s picks no longer weigh it.\n'
    again = podcast("rate", "2409.12345", "clear", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == '2409.12345 "Broadcast paper" was not rated; nothing to clear.\n'
    assert sorted(r[0] for r in rated(state)) == ["2409.17581", "web:0a1b2c3d4e5f"]


@pytest.mark.parametrize("paper", ["2409.99999", "https://arxiv.org/abs/2409.99999v3", "web:ffffffffffff", "nonsense"])
def test_rating_a_paper_the_show_never_saw_is_one_line_and_exit_2(tmp_path, paper):
    (tmp_path / "podcast.toml").write_text(FILE_SOURCE, encoding="utf-8")
    with open_store(tmp_path / ".podcast") as store:
        store.remember_candidates(date(2026, 11, 20), [Paper(id="2409.17581", title="T", summary="S")])
    result = podcast("rate", paper, "up", cwd=tmp_path)
    shown = "2409.99999" if paper.startswith("http") else paper
    assert result.returncode == 2 and not result.stdout
    assert result.stderr.splitlines() == [
        f"podcast: error: no paper {shown} among the papers this show has seen; `podcast papers` lists them"]
    assert rated(tmp_path / ".podcast") == []


def test_rate_before_the_first_run_creates_nothing_and_a_bad_vote_is_a_usage_error(tmp_path):
    result = podcast("rate", "2409.17581", "up", cwd=tmp_path)
    assert result.returncode == 2 and "no paper 2409.17581 among the papers this show has seen" in result.stderr
    assert not (tmp_path / ".podcast").exists()
    bad = podcast("rate", "2409.17581", "sideways", cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1
    assert bad.stderr.startswith("podcast rate: error: argument vote: invalid choice: 'sideways'")
    assert podcast("rate", "--help", cwd=tmp_path).stdout.startswith("usage: podcast rate")


def test_a_rating_moves_a_similar_paper_in_the_next_days_ranking(tmp_path):
    """Yesterday's episode had a paper on role reinforcement learning over long contexts; rated down, today's
    Role-RL paper ranks lower and `podcast papers` says why; rated up, it ranks higher."""
    (tmp_path / "podcast.toml").write_text(
        '[show]\nlanguage = "en-US"\nmax_papers = 2\n[listener]\nproject = "We fine-tune large language models for '
        'tax and financial report analysis: reading annual reports of listed companies and answering tax '
        f'questions."\n{FILE_SOURCE}', encoding="utf-8")
    heard = Paper(id="2411.00001", title="Role reinforcement learning for online long-context processing",
                  summary="We train language model agents with reinforcement learning over roles to process long "
                          "contexts online, streaming documents chunk by chunk and rewarding the agent for keeping "
                          "the relevant content.")
    with open_store(tmp_path / ".podcast") as store:
        store.save_episode(Episode(date=date(2026, 11, 20), guid="g", title="t", audio_name="a.mp3", audio_bytes=1,
                                   duration=1.0, transcript_name="a.txt", chapters=(), papers=(heard,),
                                   published_at=SATURDAY_MORNING))
    similar = "2409.18014"  # Role-RL: Online Long-Context Processing with Role Reinforcement Learning

    def ranking() -> tuple[int, float, list[str]]:
        result = podcast("papers", "--json", "--date", "2026-11-21", cwd=tmp_path, env=SATURDAY_0030)
        assert result.returncode == 0, result.stderr
        candidates = json.loads(result.stdout)["candidates"]
        (paper,) = [c for c in candidates if c["id"] == similar]
        return paper["rank"], paper["score"], paper["reasons"]

    rank, score, reasons = ranking()
    assert not any("rated" in reason for reason in reasons)

    assert podcast("rate", heard.id, "down", cwd=tmp_path, env=SATURDAY_0030).returncode == 0
    down_rank, down_score, down_reasons = ranking()
    assert down_rank > rank and down_score < score
    disliked = f"like “{heard.title}”, which the team rated down, so ranked lower"
    assert disliked in down_reasons
    lines = podcast("papers", "--date", "2026-11-21", "--top", "9", cwd=tmp_path, env=SATURDAY_0030).stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"    [{similar}, score"))
    assert f"    {disliked}" in itertools.takewhile(lambda line: line.startswith("    "), lines[at + 1:])

    assert podcast("rate", heard.id, "up", cwd=tmp_path, env=SATURDAY_0030).returncode == 0
    up_rank, up_score, up_reasons = ranking()
    assert up_rank < rank and up_score > score
    assert f"like “{heard.title}”, which the team rated up" in up_reasons


@pytest.mark.slow
def test_offline_reads_with_the_stand_ins_voices_not_those_named_for_edge(tmp_path):
    # [tts] voice and a host's voice name edge-tts voices: espeak-ng, standing in, cannot take them
    (tmp_path / "podcast.toml").write_text(
        '[show]\nmax_papers = 1\ntarget_minutes = 1\nformat = "conversation"\n[selection]\nmin_score = 0\n'
        '[tts]\nvoice = "zh-CN-XiaoxiaoNeural"\nthoughts_voice = "zh-CN-YunxiNeural"\n'
        '[show.hosts.host]\nvoice = "zh-CN-YunjianNeural"\n', encoding="utf-8")
    run = podcast("run", "--date", "2026-11-20", "--offline", cwd=tmp_path, env=SATURDAY_0030)
    assert run.returncode == 0, run.stderr  # was: espeak-ng has no voice 'zh-CN-XiaoxiaoNeural'
    assert (tmp_path / "feed" / "episodes" / "2026-11-20.mp3").is_file()
