"""The template writer reproduces the seed broadcast's format, in Chinese and in English."""

import re
from datetime import datetime

import pytest

from podcast.i18n import greeting
from podcast.registry import NoOptions
from podcast.select import Profile, select_papers
from podcast.write import WRITERS, Brief

from .conftest import SATURDAY_MORNING, SHANGHAI, TAX_PROJECT

MARKDOWN = re.compile(r"[*#_`~|<>\[\]{}]|https?://")


def write(papers, language, project=TAX_PROJECT, count=3, moment=SATURDAY_MORNING):
    picks = select_papers(papers, Profile(project), count, language=language).picks
    writer = WRITERS.get("template")(NoOptions())
    return picks, writer.write(picks, Brief(language, "AI 论文早报", project, moment))


def test_chinese_script_follows_the_broadcast_format(sample_papers):
    picks, script = write(sample_papers, "zh-CN")
    text = script.text()
    assert text.startswith("早上好！今天是 2026 年 11 月 21 日，上午 9 点 30 分，星期六。")
    assert "今天为大家播报 3 篇 AI 领域的新论文" in text
    for number, pick in enumerate(picks, start=1):
        heading = f"第 {number} 篇论文。"
        assert heading in text
        after = text[text.index(heading):]
        assert after.index(f"论文的标题是：{pick.paper.title_zh}。") < after.index("论文的内容是：")
        assert after.index("论文的内容是：") < after.index("以下是我的思考：")
    assert text.count("以下是我的思考：") == 3
    assert "以下是我的思考是" not in text  # the seed's typo
    assert text.rstrip().endswith("以上就是今天的论文播报，祝大家周末愉快！")  # a Saturday
    assert not MARKDOWN.search(text)


def test_thoughts_relate_the_paper_to_the_listeners_project(sample_papers):
    picks, script = write(sample_papers, "zh-CN")
    first = script.segments[0]
    assert picks[0].paper.id == "2409.17581"  # the SEC 10-K paper is the tax project's best match
    thoughts = next(part for part in first.parts if part.startswith("以下是我的思考："))
    assert "我们在为税务和财报分析微调大语言模型" in thoughts  # the project, once, in its own words
    assert "财报" in thoughts  # the part of the project the paper and the project share
    assert "长篇文件里抽取和评估信息" in thoughts  # and what the paper's technique does
    steps = [part for part in first.parts if re.match(r"第[一二三四五]步，", part)]
    assert 3 <= len(steps) <= 5
    assert [s[:3] for s in steps] == ["第一步", "第二步", "第三步", "第四步", "第五步"][: len(steps)]
    assert f"{'三四五'[len(steps) - 3]}步" in thoughts
    assert any("税务文件" in step for step in steps)  # the plan is for our field


def test_english_script(sample_papers):
    project = "We fine-tune small language models for tax question answering."
    picks, script = write(sample_papers, "en-US", project=project, count=2)
    text = script.text()
    assert text.startswith("Good morning! It's Saturday, November 21, 2026, 9:30 a.m.")
    assert "Here are 2 new AI papers for today." in text
    assert f"Paper 1.\n\nThe title is: {picks[0].paper.title}." in text
    assert "What it does: " in text and "My take: " in text
    assert "we fine-tune small language models for tax question answering." in text
    assert "Step one: " in text and "Step three: " in text
    assert "以下" not in text and "第" not in text
    assert not MARKDOWN.search(text)


def test_one_paper_is_singular(sample_papers):
    _, script = write(sample_papers, "en-US", count=1)
    assert script.intro.startswith("Here is 1 new AI paper")


@pytest.mark.dated
@pytest.mark.parametrize(
    ("hour", "minute", "zh", "en"),
    [
        (0, 5, "你好！今天是 2026 年 11 月 21 日，凌晨 0 点 5 分，星期六。", "Hello! It's Saturday, November 21, 2026, 12:05 a.m."),
        (7, 0, "早上好！今天是 2026 年 11 月 21 日，上午 7 点整，星期六。", "Good morning! It's Saturday, November 21, 2026, 7 a.m."),
        (12, 15, "中午好！今天是 2026 年 11 月 21 日，中午 12 点 15 分，星期六。", "Good afternoon! It's Saturday, November 21, 2026, 12:15 p.m."),
        (15, 40, "下午好！今天是 2026 年 11 月 21 日，下午 3 点 40 分，星期六。", "Good afternoon! It's Saturday, November 21, 2026, 3:40 p.m."),
        (20, 1, "晚上好！今天是 2026 年 11 月 21 日，晚上 8 点整，星期六。", "Good evening! It's Saturday, November 21, 2026, 8 p.m."),
    ],
)
def test_greeting_says_date_time_and_weekday(hour, minute, zh, en):
    moment = datetime(2026, 11, 21, hour, minute, tzinfo=SHANGHAI)
    assert greeting(moment, "zh-CN") == zh
    assert greeting(moment, "en-US") == en


def test_long_abstracts_are_cut_at_a_sentence(sample_papers):
    from dataclasses import replace

    long = replace(sample_papers[0], summary_zh="这是一句很长的话，" * 30 + "到此为止。" + "后面还有。" * 100)
    _, script = write([long], "zh-CN", count=1)
    summary = next(p for p in script.segments[0].parts if p.startswith("论文的内容是："))
    assert summary.endswith("。") and len(summary) < 500
