"""The offline template script sounds written for today: it tells the problem, the method and the
results with the paper's own figures, its takes name the paper's technique and the part of our
project it helps, with a plan for that technique, and no two papers are framed alike.

The measures (tests/script_measures.py, printed by bench/script.py) run on the offline 5-paper
episode: the bundled sample papers, the template writer, sized for espeak-ng as `podcast run
--offline` sizes it.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from podcast.config import DEFAULT_PROJECT
from podcast.models import Pick
from podcast.registry import NoOptions
from podcast.speak.timing import speech_units
from podcast.write import WRITERS, Brief
from podcast.write.fit import SLACK
from podcast.write.material import read
from podcast.write.template import _PaperWriter, paper_name

from .conftest import SATURDAY_MORNING, TAX_PROJECT
from .script_measures import (
    cjk,
    figures_said,
    offline_episode,
    repeated_sentences,
    repetition,
    stray_latin,
)

EPISODES = [(language, project) for language in ("zh-CN", "en-US")
            for project in ("default", "tax")]
CHINESE_ONLY_PROJECT = "我们在为税务领域微调大语言模型：监督微调、强化学习、评测与部署。"
ENGLISH_ONLY_PROJECT = ("We fine-tune language models for tax: supervised fine-tuning, "
                        "reinforcement learning, evaluation and deployment.")


def episode(sample_papers, language, project, count=5):
    text = DEFAULT_PROJECT[language] if project == "default" else project
    text = TAX_PROJECT if project == "tax" else text
    return offline_episode(sample_papers, language, text, SATURDAY_MORNING, count)


def brief(language, project=TAX_PROJECT, units=264):
    return Brief(language, "AI 论文早报", project, SATURDAY_MORNING, units)


def paper(sample_papers, paper_id):
    return next(p for p in sample_papers if p.id == paper_id)


@pytest.mark.parametrize(("language", "project"), EPISODES)
def test_takes_and_steps_repeat_at_most_a_tenth_across_papers(sample_papers, language, project):
    show = episode(sample_papers, language, project)
    assert len(show.script.segments) == 5
    # sentences (the measure; 42% before) and, stricter, clauses up to a comma
    assert repetition(show.script) <= 0.10, repeated_sentences(show.script)
    assert repetition(show.script, clauses=True) <= 0.10, repeated_sentences(show.script, True)


@pytest.mark.parametrize(("language", "project"), EPISODES)
def test_figures_are_said_for_the_papers_that_report_them(sample_papers, language, project):
    show = episode(sample_papers, language, project)
    said, reporting = figures_said(show.script, show.picks)
    assert reporting >= 4  # all but the compositional-hardness paper report figures
    assert said >= 0.8 * reporting


@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_role_rl_and_ammore_say_their_figures_within_a_five_paper_budget(sample_papers, language):
    writer = WRITERS.get("template")(NoOptions())
    units = 264 if language == "zh-CN" else 190
    for paper_id, figures in (("2409.18014", ("93.2%", "79.4%")),
                              ("2409.17904", ("98.7%", "99.9%"))):
        text = writer.text(Pick(paper(sample_papers, paper_id), 1.0), brief(language, units=units))
        assert all(figure in text.summary for figure in figures), text.summary
        said = " ".join([text.summary, text.thoughts, *text.steps])
        assert speech_units(said, language) <= units


def test_the_summary_says_problem_method_and_results_in_that_order(sample_papers):
    role_rl = paper(sample_papers, "2409.18014")
    for language in ("zh-CN", "en-US"):
        text = WRITERS.get("template")(NoOptions()).text(Pick(role_rl, 1.0), brief(language))
        material = read(role_rl, language)
        places = [text.summary.index(part[0]) for part in
                  (material.problem, material.method, material.results)]
        assert places == sorted(places)


def test_from_the_abstract_alone_the_results_are_said_too(sample_papers):
    """A paper not read in full: its abstract's sentences are sorted, so the figures at the end
    of the abstract are said, not only its opening."""
    role_rl = replace(paper(sample_papers, "2409.18014"), digest=None, digest_zh=None)
    writer = WRITERS.get("template")(NoOptions())
    chinese = writer.text(Pick(role_rl, 1.0), brief("zh-CN"))
    english = writer.text(Pick(role_rl, 1.0), brief("en-US", units=190))
    assert "百分之九十三点二" in chinese.summary
    assert "93.2 percent" in english.summary
    assert role_rl.summary_zh.split("。")[0] in chinese.summary  # the problem comes first


@pytest.mark.parametrize(("paper_id", "kind", "zh", "en"), [
    ("2409.18014", "routing", "角色", "role"),  # a routing paper, though it uses RL
    ("2409.17169", "preference_data", "回答对", "pairs"),
    ("2409.17904", "grading", "判不准", "cannot judge"),
    ("2409.17171", "expansion", "遗忘", "forgetting"),
    ("2409.17581", "documents", "章节", "sections"),
    ("2409.17642", "privacy", "敏感信息", "sensitive"),
    ("2409.17650", "knowledge_base", "知识库", "knowledge base"),
    ("2409.18028", "decomposition", "子任务", "subtask"),
])
def test_each_paper_gets_the_plan_of_what_it_actually_does(sample_papers, paper_id, kind, zh, en):
    pick = Pick(paper(sample_papers, paper_id), 1.0)
    assert _PaperWriter(pick, brief("zh-CN"), _rotation(), 0).technique.key == kind
    for language, word in (("zh-CN", zh), ("en-US", en)):
        text = WRITERS.get("template")(NoOptions()).text(pick, brief(language, units=400))
        assert 3 <= len(text.steps) <= 5
        assert any(word in step for step in text.steps), text.steps


def test_a_routing_paper_gets_no_generic_reinforcement_learning_plan(sample_papers):
    text = WRITERS.get("template")(NoOptions()).text(
        Pick(paper(sample_papers, "2409.18014"), 1.0), brief("zh-CN", DEFAULT_PROJECT["zh-CN"], 400))
    steps = "".join(text.steps)
    assert "奖励函数" not in steps and "监督微调后的模型" not in steps
    assert "费用和延迟" in steps and "Role-RL" in steps


@pytest.mark.parametrize(("language", "project", "technique", "part"), [
    ("zh-CN", DEFAULT_PROJECT["zh-CN"], "Role-RL", "部署"),
    ("en-US", DEFAULT_PROJECT["en-US"], "Role-RL", "deployment"),
    ("zh-CN", TAX_PROJECT, "论文的知识扩展", "微调"),  # what the paper calls its technique
    ("en-US", TAX_PROJECT, "knowledge expansion", "fine-tuning"),
    ("zh-CN", TAX_PROJECT, "思维链", "评测"),  # the technique its title names
    ("en-US", DEFAULT_PROJECT["en-US"], "chain of thought", "evaluation"),
])
def test_the_take_names_the_technique_and_the_part_of_the_project_it_helps(
        sample_papers, language, project, technique, part):
    paper_id = {"Role-RL": "2409.18014", "思维链": "2409.17904",
                "chain of thought": "2409.17904"}.get(technique, "2409.17171")
    text = WRITERS.get("template")(NoOptions()).text(Pick(paper(sample_papers, paper_id), 1.0),
                                                     brief(language, project, 400))
    assert technique in text.thoughts and part in text.thoughts, text.thoughts
    assert len(text.thoughts) >= (100 if language == "zh-CN" else 300)  # with room, substantive


@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_no_frame_but_the_seeds_repeats_within_an_episode(sample_papers, language):
    """Each paper is led in, linked to the project and led into its steps in its own words."""
    show = episode(sample_papers, language, "default")
    said = [sentence for segment in show.script.segments for part in segment.parts[2:]
            for sentence in _sentences(part)]
    frame = ("第", "论文的", "以下是我的思考", "Paper", "What it does", "My take", "Step")
    repeated = {s for s in said if said.count(s) > 1 and not s.startswith(frame)}
    assert not repeated


def test_a_rerun_says_the_same(sample_papers):
    first = episode(sample_papers, "zh-CN", "tax").script
    assert episode(sample_papers, "zh-CN", "tax").script == first


@pytest.mark.parametrize("count", [1, 3, 5, 8])
@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_papers_stay_within_their_budget(sample_papers, language, count):
    """Each paper's words fit the budget it is given, within the slack the frame allows before
    it cuts (the episode's length rests on it); with many papers, the steps are said in short."""
    show = episode(sample_papers, language, "default", count)
    writer = WRITERS.get("template")(NoOptions())
    texts = writer.texts(show.picks, brief(language, DEFAULT_PROJECT[language], show.paper_units))
    used = [speech_units(" ".join([t.summary, t.thoughts, *t.steps]), language) for t in texts]
    assert sum(used) <= (1 + SLACK) * show.paper_units * count
    assert all(3 <= len(t.steps) <= 5 for t in texts)
    if count >= 3:  # enough material to fill the budget
        assert sum(used) >= 0.9 * show.paper_units * count


def test_an_english_show_with_a_chinese_only_project_says_no_chinese(sample_papers):
    show = offline_episode(sample_papers, "en-US", CHINESE_ONLY_PROJECT, SATURDAY_MORNING)
    text = show.script.text()
    assert cjk(text) == []
    assert "tax" in text and "fine-tuning" in text  # the project's concepts, in English
    assert repetition(show.script) <= 0.10


def test_a_chinese_show_says_no_english_framing_words(sample_papers):
    for project in (ENGLISH_ONLY_PROJECT, TAX_PROJECT, DEFAULT_PROJECT["zh-CN"]):
        show = offline_episode(sample_papers, "zh-CN", project, SATURDAY_MORNING)
        assert stray_latin(show.script, sample_papers, project) == set()
    assert "税务" in show.script.text() or "业务" in show.script.text()


@pytest.mark.parametrize(("title", "name"), [
    ("Role-RL: Online Long-Context Processing", "Role-RL"), ("REAL: Response Embedding", "REAL"),
    ("d1: Scaling Reasoning in Diffusion LLMs", "d1"), ("LoRA: Low-Rank Adaptation", "LoRA"),
    ("Scaling Laws: A Study", ""), ("Learning to Love Edge Cases in Formative Math Assessment: X", ""),
    ("Attention Is All You Need", ""),
])
def test_a_paper_is_named_by_the_name_it_gives_itself(title, name):
    assert paper_name(title) == name


def _rotation():
    from podcast.write.phrasing import Rotation

    return Rotation(0)


def _sentences(text):
    import re

    return [s for s in re.split(r"(?<=[。！？])|(?<=[.!?])\s", text) if s.strip()]
