"""Length holds: the per-paper budget the pipeline gives adds up to [show] target_minutes, the
frame holds writers to it (titles shortened, papers cut back, none past three times the median,
no paragraph too long to speak and master in one piece), and a paper with a 40,000-character
title and abstract makes a normal episode. bench/length.py measures produced lengths."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest
from mutagen.mp3 import MP3

from podcast.config import load_config
from podcast.models import Pick
from podcast.pipeline import preview, run_episode
from podcast.produce import Music, pace
from podcast.speak import TTSConfig, resolve_voice
from podcast.speak.timing import TITLE_LIMIT, TITLE_UNITS, speech_units
from podcast.write import Brief, PaperText, compose_script
from podcast.write.fit import PARAGRAPH_LIMIT, SLACK, Words, clip, fit_papers, spoken_title

from .conftest import OFFLINE_TTS, SATURDAY_MORNING

LANGUAGES = ("zh-CN", "en-US")


@pytest.mark.parametrize(("title", "language", "spoken"), [
    ("d1: Scaling Reasoning in Diffusion Large Language Models via Reinforcement Learning",
     "en-US", "d1: Scaling Reasoning in Diffusion Large Language Models via Reinforcement Learning"),
    ("LongBench Pro: A Bilingual Benchmark for Evaluating the Long-Context Understanding and "
     "Generation Abilities of Large Language Models Across Many Realistic Tasks",
     "en-US", "LongBench Pro"),
    ("A Study of the Effects of Instruction Tuning and Reinforcement Learning from Human Feedback "
     "on the Calibration of the Confidence of Large Language Models in Question Answering",
     "en-US", "A Study of the Effects of Instruction Tuning and Reinforcement Learning from Human "
              "Feedback on the Calibration of the Confidence"),
    ("Attention Is All You Need, and Also a Very Long List of Other Things Which Keep the Title "
     "Going Well Past Twenty Words", "en-US",
     "Attention Is All You Need, and Also a Very Long List of Other Things Which Keep the Title "
     "Going Well"),
    ("特征对齐和表示转移在大语言模型知识蒸馏中的应用：一项关于教师模型、学生模型以及多种蒸馏损失的系统性综述",
     "zh-CN", "特征对齐和表示转移在大语言模型知识蒸馏中的应用"),
    ("用大语言模型系统分析SEC 10-K年报的可扩展数据驱动框架", "zh-CN",
     "用大语言模型系统分析SEC 10-K年报的可扩展数据驱动框架"),
])
def test_a_spoken_title_is_shortened_to_a_sane_length(title, language, spoken):
    assert spoken_title(title, language) == spoken


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_huge_title_is_cut_to_the_limit_between_words(language):
    word = "可扩展的年报分析框架" if language == "zh-CN" else "Scalable Analysis of Filings "
    title = (word * 4000)[:40_000]
    spoken = spoken_title(title, language)
    assert 0.7 * TITLE_LIMIT["zh" if language == "zh-CN" else "en"] <= speech_units(spoken, language)
    assert speech_units(spoken, language) <= TITLE_LIMIT["zh" if language == "zh-CN" else "en"]
    assert title.startswith(spoken) and not spoken.endswith((" of", "的"))


def test_clip_ends_at_a_clause_break_in_its_second_half():
    text = "We collect domain data, clean it carefully, and train a small model on it every night."
    assert clip(text, 9, "en-US") == "We collect domain data, clean it carefully"
    assert clip(text, 9, "en-US", at_break=False) == "We collect domain data, clean it carefully, and train"
    assert clip("我们收集领域数据，仔细清洗，然后每天晚上训练一个小模型。", 12, "zh-CN") == "我们收集领域数据，仔细清洗"


def sentence(n: int, language: str) -> str:
    return f"第{n}句话说了一件很具体的事情。" if language == "zh-CN" else f"Sentence {n} says one concrete thing here."


def words(language: str, summary: int, thoughts: int, steps: int = 3) -> Words:
    join = "" if language == "zh-CN" else " "
    return Words(join.join(sentence(n, language) for n in range(1, summary + 1)),
                 join.join(sentence(100 + n, language) for n in range(1, thoughts + 1)),
                 tuple(sentence(200 + n, language) for n in range(1, steps + 1)))


def units(said: Words, language: str) -> float:
    return sum(speech_units(text, language) for text in (said.summary, said.thoughts, *said.steps))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_paper_over_its_budget_loses_the_summarys_end_then_the_thoughts_middle(language):
    per = speech_units(sentence(100, language), language)  # every sentence is as long
    paper = words(language, summary=9, thoughts=5)
    (kept,) = fit_papers([paper], int(per * 6.5), language)  # 17 sentences for a budget of 6.5
    assert units(kept, language) <= per * 6.5
    assert kept.steps == paper.steps  # never dropped: the thoughts may count them
    assert kept.summary == sentence(1, language)  # the summary's first sentence stays
    assert kept.thoughts == ("" if language == "zh-CN" else " ").join(  # so do its ends
        [sentence(101, language), sentence(105, language)])
    # 4 of the 11 spare sentences must go, in proportion: the summary keeps 5 of its 8 (2-6), the
    # thoughts 1 of their 3 middle ones (102)
    (roomier,) = fit_papers([paper], int(per * 13), language)
    said = f"{roomier.summary} {roomier.thoughts}"
    assert [sentence(n, language) in said for n in (6, 7, 102, 103, 105)] == [True, False, True, False, True]
    assert units(roomier, language) <= per * 13
    (within,) = fit_papers([paper], int(per * 17 / (1 + SLACK)) + 1, language)
    assert within == paper  # within its slack: untouched


def test_no_paper_runs_longer_than_three_times_the_median():
    language = "en-US"
    papers = [words(language, 2, 2), words(language, 2, 2), words(language, 40, 2), words(language, 2, 1)]
    fitted = fit_papers(papers, 0, language)  # no budget: only the median holds it
    lengths = [units(p, language) for p in fitted]
    assert lengths[2] <= 3 * sorted(lengths)[1] + 1e-9 < units(papers[2], language)
    assert fitted[0] == papers[0] and fitted[3] == papers[3]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_paragraph_is_longer_than_the_limit_whatever_the_text(language):
    limit = PARAGRAPH_LIMIT["zh" if language == "zh-CN" else "en"]
    endless = ("模型读取长文本并逐段总结" if language == "zh-CN" else "the model reads long text and sums it up ") * 4000
    long_step = Words("", "", (endless,))
    many = Words("".join(sentence(n, language) for n in range(400)), endless, ())
    fitted = fit_papers([long_step, many], 100_000, language)  # the budget allows it all
    for said in fitted:
        for paragraph in (*said.summary.split("\n\n"), *said.thoughts.split("\n\n"), *said.steps):
            assert speech_units(paragraph, language) <= limit
    assert fitted[1].summary.count("\n\n") >= 3  # split at sentence ends, nothing dropped
    assert fitted[1].summary.replace("\n\n", "" if language == "zh-CN" else " ") == many.summary


def paper_text(language: str, budget: int) -> PaperText:
    """A paper whose words are exactly ``budget`` units, in the template's shares."""
    def said(share: float) -> str:
        text = " ".join(sentence(n, language) for n in range(200))
        return clip(text, budget * share, language, at_break=False)

    title = clip("可扩展的年报分析框架在大语言模型中的应用与评测方法研究" if language == "zh-CN" else
                 "A Scalable Framework for the Analysis of Annual Reports with Large Language Models",
                 TITLE_UNITS["zh" if language == "zh-CN" else "en"], language, at_break=False)
    return PaperText(title, said(0.45), said(0.2), (said(0.35 / 3),) * 3)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("papers", "minutes"), [(1, 2), (2, 3), (3, 4), (5, 8), (10, 10), (10, 30)])
def test_a_script_that_keeps_its_budget_lasts_the_target(sample_papers, language, papers, minutes):
    timing = pace(resolve_voice(TTSConfig(engine="espeak"), "espeak", language), Music.load())
    brief = Brief(language, "AI", "We fine-tune LLMs.", SATURDAY_MORNING)
    frame = compose_script([], [], brief)
    assert papers <= timing.room(minutes * 60, frame)
    budget = timing.paper_budget(minutes * 60, papers, frame)
    picks = [Pick(replace(sample_papers[0], id=f"2409.{n:05d}"), 1.0) for n in range(papers)]
    script = compose_script(picks, [paper_text(language, budget)] * papers, replace(brief, paper_units=budget))
    assert timing.estimate(script) == pytest.approx(minutes * 60, rel=0.03)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_target_has_room_for_the_papers_that_can_each_say_the_least(language):
    timing = pace(resolve_voice(TTSConfig(engine="espeak"), "espeak", language), Music.load())
    frame = compose_script([], [], Brief(language, "AI", "We fine-tune LLMs.", SATURDAY_MORNING))
    room = timing.room(240, frame)
    assert 2 <= room < 10  # 10 papers need more than 4:00
    assert timing.shortest(room, frame) <= 240 < timing.shortest(room + 1, frame)
    assert timing.paper_budget(240, room, frame) >= timing.least_units()
    assert timing.room(600, frame) >= 10 and timing.paper_budget(600, 10, frame) >= timing.least_units()
    assert timing.room(10, frame) == 1  # one paper at least, however short the target


# -- whole episodes -------------------------------------------------------------------------------


def show(tmp_path, language: str, papers: list[dict], extra: str = "") -> object:
    (tmp_path / "papers.json").write_text(json.dumps(papers, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "podcast.toml").write_text(
        f'[show]\nlanguage = "{language}"\nmax_papers = {len(papers)}\ntarget_minutes = 2\n{extra}'
        '[selection]\nmin_score = 0\n'
        f'[[sources]]\ntype = "file"\npath = "papers.json"\n[fulltext]\nenabled = false\n{OFFLINE_TTS}',
        encoding="utf-8")
    return load_config(tmp_path / "podcast.toml", tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_40000_character_title_and_abstract_make_a_normal_episode(tmp_path, sample_papers, language):
    paper = sample_papers[0].to_dict()
    paper = {key: paper[key] for key in ("id", "title", "summary", "authors", "url", "title_zh", "summary_zh")}
    paper["title"] = ("Scalable Analysis of Filings " * 2000)[:40_000]
    paper["title_zh"] = ("可扩展的年报分析框架" * 4000)[:40_000]
    # one endless sentence: nothing to cut at but words
    paper["summary"] = ("the pipeline reads filings and scores them " * 1000)[:40_000]
    paper["summary_zh"] = ("流水线读取年报并给各个方面打分" * 3000)[:40_000]
    result = run_episode(show(tmp_path, language, [paper]), now=SATURDAY_MORNING)
    episode = result.episode
    assert 0.75 * 120 <= MP3(result.audio).info.length <= 1.25 * 120  # target 2:00
    transcript = (tmp_path / "feed" / episode.transcript_name).read_text(encoding="utf-8")
    key = "zh" if language == "zh-CN" else "en"
    assert max(speech_units(p, language) for p in transcript.split("\n\n")) <= PARAGRAPH_LIMIT[key]
    spoken = episode.chapters[1].title.split("：" if key == "zh" else ": ", 1)[1]
    assert speech_units(spoken, language) <= TITLE_LIMIT[key] and spoken in transcript
    full = paper["title_zh" if key == "zh" else "title"].strip()
    assert episode.notes[paper["id"]].title == full  # the notes keep the whole title


@pytest.mark.slow
def test_a_target_too_short_for_the_papers_tells_the_best_that_fit_and_says_so(tmp_path, sample_papers, caplog):
    papers = [{"id": p.id, "title": p.title, "summary": p.summary, "authors": list(p.authors), "url": p.url}
              for p in sample_papers[:6]]
    config = show(tmp_path, "en-US", papers)  # 6 papers at 2:00
    with caplog.at_level(logging.INFO, logger="podcast"):
        result = run_episode(config, now=SATURDAY_MORNING)
    told = len(result.episode.papers)
    assert 1 <= told < 6
    assert [pick.paper.id for pick in preview(config, now=SATURDAY_MORNING).picks] == \
        [paper.id for paper in result.episode.papers]  # `podcast papers` shows the same picks
    assert f"A target of 2:00 has room for {told} paper{'s' if told > 1 else ''} of at least 35 s each " \
           "(max_papers = 6): the others stay for another day." in caplog.messages
    assert MP3(result.audio).info.length == pytest.approx(120, rel=0.10)


@pytest.mark.slow
def test_the_log_says_when_the_target_is_too_short_for_even_one_paper(tmp_path, sample_papers, caplog):
    papers = [{"id": p.id, "title": p.title, "summary": p.summary, "authors": list(p.authors), "url": p.url}
              for p in sample_papers[:3]]
    config = show(tmp_path, "en-US", papers)
    config = replace(config, show=replace(config.show, target_minutes=0.5))
    with caplog.at_level(logging.INFO, logger="podcast"):
        result = run_episode(config, now=SATURDAY_MORNING)
    assert len(result.episode.papers) == 1
    said = next(m for m in caplog.messages if m.startswith("A target of 0:30 is too short for 1 paper: each says "
                                                           "the least a paper can (about 35 s), so the episode "
                                                           "will last about "))
    promised = said.rsplit(" ", 1)[1].rstrip(".")
    minutes, seconds = promised.split(":")
    assert MP3(result.audio).info.length == pytest.approx(int(minutes) * 60 + int(seconds), rel=0.10)


def test_a_recaps_long_paragraphs_are_split_too():
    from podcast.write.fit import bounded

    text = " ".join(f"Paper {n} is about fine-tuning small models on tax questions." for n in range(60))
    split = bounded(f"{text}\n\nA short one.", "en-US")
    assert split.count("\n\n") >= 4 and split.replace("\n\n", " ") == f"{text} A short one."
    assert all(speech_units(p, "en-US") <= PARAGRAPH_LIMIT["en"] for p in split.split("\n\n"))
    mixed = "我们用了 GPT-4。This is A. This is B. 然后呢？好的。\n\n第二段。"
    assert bounded(mixed, "zh-CN") == mixed  # a normal text is left as written
