"""Show formats (issue 19), measured on the offline template writer over the bundled sample
papers in both languages: a conversation's turns alternate between the host and the analyst,
each paper has both, no turn repeats another within the episode, the papers' figures are said,
no markup or stage direction is said, the take names the project; a brief says what each paper
found and why it matters to us in a sentence or two. Whole offline episodes publish an MP3 that
lasts what the format promises: a conversation within 10% of its target, a 5-paper brief under
two minutes. And the seed's broadcast says, for the same input, exactly what it said before the
formats (tests/data/formats, recorded from the code before this change).
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
from mutagen.mp3 import MP3

from podcast.config import DEFAULT_PROJECT, load_config
from podcast.models import BRIEF, CONVERSATION
from podcast.pipeline import run_episode
from podcast.speak.timing import BRIEF_SECONDS

from .conftest import FILE_SOURCE, OFFLINE_TTS, SATURDAY_MORNING, TAX_PROJECT
from .script_measures import cjk, figures_said, offline_episode, stray_latin
from .test_cli import podcast

GOLDEN = Path(__file__).parent / "data" / "formats"
LANGUAGES = ("zh-CN", "en-US")
ALL = 8  # the bundled sample papers
# what no turn may say: stage directions, markup, a speaker's label, filler on its own
_MARKUP = re.compile(r"[*#\[\]{}<>`_|]|[(（]\s*(?:笑|大笑|laughs?|laughter)\s*[)）]|\bas an AI\b|作为AI",
                     re.IGNORECASE)
_LABEL = re.compile(r"^\s*(?:主持人|分析师|云扬|晓晓|Host|Analyst|Andrew|Emma)\s*[:：]", re.IGNORECASE)
_BARE = {"对", "对。", "没错", "没错。", "是的", "是的。", "嗯", "哈哈", "right", "right.", "yes", "yes.",
         "exactly", "exactly.", "sure", "sure.", "haha"}


def episode(sample_papers, language, format, count=ALL, minutes=30.0, project="default"):
    text = DEFAULT_PROJECT[language] if project == "default" else project
    return offline_episode(sample_papers, language, text, SATURDAY_MORNING, count, minutes, format)


def normalized(turn: str) -> str:
    return re.sub(r"[\W_]+", "", turn).lower()


def turns(segment):
    """A conversation paper's turns: its parts after the heading, with who says them."""
    return [(segment.speaker(i), part) for i, part in enumerate(segment.parts) if i > 0]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "count"), [("", ALL), ("-3", 3)])
def test_the_broadcast_says_what_it_said_before_the_formats(sample_papers, language, name, count):
    show = episode(sample_papers, language, "broadcast", count, minutes=8.0)
    golden = GOLDEN / f"broadcast-{language[:2]}{name}.txt"
    assert show.script.text() == golden.read_text(encoding="utf-8")
    assert show.script.format == "broadcast" and show.script.hosts == ()


# -- the conversation ------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("count", "minutes"), [(ALL, 30.0), (3, 6.0), (5, 8.0)])
def test_turns_alternate_and_every_paper_has_both_voices(sample_papers, language, count, minutes):
    script = episode(sample_papers, language, CONVERSATION, count, minutes).script
    assert [host.role for host in script.hosts] == (["主持人", "分析师"] if language == "zh-CN"
                                                     else ["host", "analyst"])
    said = []
    for segment in script.segments:
        assert segment.speakers[0] == 0  # the host says the heading ...
        spoken = turns(segment)
        assert spoken[0][0] == 0 and spoken[-1][0] == 1  # ... introduces it, the analyst ends
        assert {who for who, _ in spoken} == {0, 1}
        assert len(spoken) >= 10  # problem, method, results, a caution, the take, the steps
        said += [who for who, _ in spoken]
    # strictly by turns, across papers too: the analyst ends a paper, the host starts the next
    assert all(a != b for a, b in pairwise(said))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("count", "minutes"), [(ALL, 30.0), (3, 6.0), (5, 8.0)])
def test_no_turn_repeats_another_within_the_episode(sample_papers, language, count, minutes):
    script = episode(sample_papers, language, CONVERSATION, count, minutes).script
    said = [normalized(part) for segment in script.segments for _, part in turns(segment)]
    assert len(said) == len(set(said)), [s for s in said if said.count(s) > 1]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("count", "minutes"), [(ALL, 30.0), (3, 6.0)])
def test_the_papers_figures_are_said(sample_papers, language, count, minutes):
    show = episode(sample_papers, language, CONVERSATION, count, minutes)
    said, reporting = figures_said(show.script, show.picks)
    assert reporting >= count - 2 and said == reporting
    role_rl = next(s for s in show.script.segments if s.paper_id == "2409.18014")
    assert "93.2%" in " ".join(role_rl.parts)  # the figure the broadcast says


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_markup_stage_direction_label_or_bare_agreement(sample_papers, language):
    script = episode(sample_papers, language, CONVERSATION).script
    for segment in script.segments:
        for _, part in turns(segment):
            assert not _MARKUP.search(part), part
            assert not _LABEL.search(part), part
            assert part.strip().lower() not in _BARE
            assert len(part) >= (5 if language == "zh-CN" else 12), part  # a turn carries content
    if language == "en-US":
        assert cjk(script.text()) == []
    else:
        assert stray_latin(script, sample_papers, DEFAULT_PROJECT[language]) == set()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("project", ["default", TAX_PROJECT])
def test_the_host_asks_what_it_means_for_us_and_the_take_names_the_project(sample_papers, language,
                                                                           project):
    script = episode(sample_papers, language, CONVERSATION, 5, 12.0, project).script
    ours = "我们" if language == "zh-CN" else "our"
    for segment in script.segments:
        spoken = [part for _, part in turns(segment)]
        ask, take = spoken[-4], spoken[-3]  # before the host proposes a step, the analyst more
        assert ask.endswith(("？", "?")), spoken  # the host brings the paper home ...
        assert ours in take.lower(), take  # ... and the analyst names our part of the project
    text = script.text()
    if project == TAX_PROJECT:
        assert ("税务" in text or "微调" in text) if language == "zh-CN" else "tax" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_host_reacts_to_the_headline_figure_and_asks_what_to_watch_out_for(sample_papers, language):
    script = episode(sample_papers, language, CONVERSATION, 5, 8.0).script
    reacted = 0
    for segment in script.segments:
        spoken = [part for _, part in turns(segment)]
        results, doubt, caution = spoken[5], spoken[6], spoken[7]
        percents = re.findall(r"\d+(?:\.\d+)?%", results)
        assert doubt.endswith(("？", "?")) and len(caution) > 20
        if percents:
            assert any(p in doubt for p in percents), (results, doubt)
            reacted += 1
    assert reacted >= 3


def test_a_rerun_says_the_same_conversation(sample_papers):
    first = episode(sample_papers, "zh-CN", CONVERSATION).script
    assert episode(sample_papers, "zh-CN", CONVERSATION).script == first


# -- the brief ---------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_a_brief_says_what_each_paper_found_and_why_it_matters_to_us(sample_papers, language):
    show = episode(sample_papers, language, BRIEF)
    ours = "我们" if language == "zh-CN" else "our"
    said, reporting = figures_said(show.script, show.picks)
    assert said >= reporting - 2  # a long figure sentence may give way to the conclusion
    lines = []
    for segment in show.script.segments:
        (line,) = segment.parts
        assert line.startswith(f"第 {segment.number} 篇，" if language == "zh-CN" else f"Number {segment.number}: ")
        text = line.split("。", 1)[1] if language == "zh-CN" else line.split(". ", 1)[1]
        assert ours in text.lower()
        assert len(re.findall(r"[。！？]" if language == "zh-CN" else r"[.!?](?:\s|$)", text)) <= 2
        lines.append(normalized(text))
    assert len(set(lines)) == len(lines)
    role_rl = next(s for s in show.script.segments if s.paper_id == "2409.18014")
    assert "93.2%" in role_rl.parts[0]
    if language == "en-US":
        assert cjk(show.script.text()) == []


def test_a_brief_writes_no_thoughts_or_steps(sample_papers):
    from podcast.models import Pick
    from podcast.registry import NoOptions
    from podcast.write import WRITERS, Brief

    writer = WRITERS.get("template")(NoOptions())
    texts = writer.texts([Pick(p, 1.0) for p in sample_papers],
                         Brief("zh-CN", "AI 论文早报", TAX_PROJECT, SATURDAY_MORNING, 22, format=BRIEF))
    assert all(t.summary and not t.thoughts and not t.steps and not t.turns for t in texts)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_five_paper_brief_is_estimated_under_two_minutes_whatever_the_target(sample_papers, language):
    from .script_measures import espeak_pace

    for minutes in (2.0, 8.0, 30.0):
        show = episode(sample_papers, language, BRIEF, 5, minutes)
        assert len(show.script.segments) == 5
        assert espeak_pace(language, BRIEF).estimate(show.script) < 0.95 * BRIEF_SECONDS


# -- whole offline episodes --------------------------------------------------------------------

def _run(tmp_path, language, format, papers, minutes):
    (tmp_path / "podcast.toml").write_text(
        f'[show]\nlanguage = "{language}"\nformat = "{format}"\nmax_papers = {papers}\n'
        f'target_minutes = {minutes}\n[selection]\nmin_score = 0\n{OFFLINE_TTS}{FILE_SOURCE}',
        encoding="utf-8")
    return run_episode(load_config(tmp_path / "podcast.toml", tmp_path), now=SATURDAY_MORNING)


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
def test_an_offline_conversation_lasts_its_target(tmp_path, language):
    result = _run(tmp_path, language, CONVERSATION, 3, 6)
    assert len(result.episode.papers) == 3
    assert MP3(result.audio).info.length == pytest.approx(6 * 60, rel=0.10)
    transcript = Path(result.audio).with_suffix(".txt").read_text(encoding="utf-8")
    assert "93.2%" in transcript or "百分之九十三点二" in transcript


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
def test_an_offline_five_paper_brief_lasts_under_two_minutes(tmp_path, language):
    result = _run(tmp_path, language, BRIEF, 5, 30)  # the target is no matter to a brief
    assert len(result.episode.papers) == 5
    assert MP3(result.audio).info.length < BRIEF_SECONDS


@pytest.mark.slow
def test_run_format_brief_offline_from_the_command_line(tmp_path):
    config = tmp_path / "podcast.toml"
    config.write_text(f'[show]\nmax_papers = 5\n[selection]\nmin_score = 0\n{OFFLINE_TTS}{FILE_SOURCE}',
                      encoding="utf-8")
    run = podcast("run", "--date", "2026-11-20", "--offline", "--format", "brief", cwd=tmp_path,
                  env={"PODCAST_CONFIG": str(config)})
    assert run.returncode == 0, run.stderr
    transcript = (tmp_path / "feed" / "episodes" / "2026-11-20.txt").read_text(encoding="utf-8")
    paragraphs = transcript.split("\n\n")
    assert [p.split("，")[0] for p in paragraphs[2:7]] == [f"第 {n} 篇" for n in range(1, 6)]
    assert not any(p.startswith("论文的标题是") for p in paragraphs)  # no broadcast frame
    assert MP3(tmp_path / "feed" / "episodes" / "2026-11-20.mp3").info.length < BRIEF_SECONDS


def test_a_brief_tells_five_papers_at_most_and_a_conversation_fewer_than_a_broadcast():
    from podcast.write import Brief, compose_script

    from .script_measures import espeak_pace

    for language in LANGUAGES:
        timing = espeak_pace(language)
        frames = {format: compose_script([], [], Brief(language, "", "", SATURDAY_MORNING, format=format))
                  for format in ("broadcast", CONVERSATION, BRIEF)}
        assert timing.room(2 * 60, frames[BRIEF]) == timing.room(60 * 60, frames[BRIEF]) == 5
        assert timing.room(8 * 60, frames[CONVERSATION]) < timing.room(8 * 60, frames["broadcast"])
        assert timing.room(8 * 60, frames[CONVERSATION]) >= 4
