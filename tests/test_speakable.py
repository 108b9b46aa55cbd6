"""Speech-ready text: what a voice would read aloud wrongly never reaches it."""

import pytest

from podcast.speak.voices import Lexicon
from podcast.write.speakable import speakable


def test_markdown_emphasis_and_escaped_stars_are_removed():
    text = "1. **\\*\\*研究知识蒸馏的最新技术\\*\\***: 深入理解注意力方法。"
    assert speakable(text, "zh-CN") == "第一，研究知识蒸馏的最新技术: 深入理解注意力方法。"


def test_sentence_broken_across_blank_lines_is_joined():
    text = "并显著提高了最\n\n先进的 dLLM 的表现。\n\n以下是我的思考。"
    assert speakable(text, "zh-CN") == "并显著提高了最先进的 dLLM 的表现。\n\n以下是我的思考。"


def test_english_lines_join_with_a_space():
    assert speakable("Large language\nmodels reason.\nNext one.", "en-US") == (
        "Large language models reason.\n\nNext one."
    )


def test_urls_links_and_html_are_not_read():
    text = "详见 https://arxiv.org/abs/2409.17581v2 和 [项目主页](https://x.org)。<b>好</b>"
    assert speakable(text, "zh-CN") == "详见和项目主页。好"


def test_latex_and_symbols():
    text = "We cut cost by 79.4% with $\\alpha$-scaling & \\textbf{RL} ~ fast #1 🚀"
    assert speakable(text, "en-US") == "We cut cost by 79.4% with alpha -scaling and RL fast 1"


def test_chinese_spacing_and_percent_kept_for_the_lexicon():
    assert speakable("召回率 93.2% ，成本降低", "zh-CN") == "召回率 93.2%，成本降低"


def test_headings_quotes_and_bullets():
    text = "# 标题\n> 引用一句话。\n- 第一点。\n* 第二点。"
    assert speakable(text, "zh-CN") == "标题。\n\n引用一句话。\n\n第一点。\n\n第二点。"


def test_a_broadcast_with_the_seed_defects_comes_out_clean():
    """The defects of the real broadcast the format came from: escaped markdown stars around
    step names, and sentences broken by blank lines in the middle of a word."""
    draft = (
        "第 2 篇论文:\n\n论文的标题是: **d1: 扩散模型的推理能力**\n\n"
        "论文的内容是: 我们发现它显著提高了最\n\n先进的模型的表现, 并讨论了隐私\n\n保护方法。\n\n"
        "1. **\\*\\*模型选择与准备\\*\\***: 选择合适的基础模型。\n"
        "2. **\\*\\*实验与验证\\*\\***: 在税务数据上验证。\n"
    )
    cleaned = speakable(draft, "zh-CN")
    for symbol in "*#_`[]<>\\":
        assert symbol not in cleaned
    assert "提高了最先进的模型的表现" in cleaned
    assert "隐私保护方法" in cleaned
    assert cleaned.endswith("第一，模型选择与准备: 选择合适的基础模型。\n\n第二，实验与验证: 在税务数据上验证。")


def test_stage_directions_and_speaker_labels_are_not_read():
    text = "主持人：大家好（笑）！[Music] 今天 *pause* 播报五篇论文。"
    assert speakable(text, "zh-CN") == "大家好！今天播报五篇论文。"
    assert speakable("Host: Welcome back (laughs). [applause] Here we go.", "en-US") == "Welcome back. Here we go."


def test_numbered_lists_become_spoken_ordinals():
    assert speakable("Steps:\n1. Read it.\n2) Try it.\n11. Ship it.", "en-US") == (
        "Steps:\n\nFirst, Read it.\n\nSecond, Try it.\n\n11. Ship it."
    )


def test_typed_dashes_are_set_as_dashes_and_a_rule_is_not_read():
    """A title typed the LaTeX way ("Foo -- Bar", "Vision--Language", "---") says no "--":
    the script shows the dash it stands for, and a markdown rule is no sentence."""
    assert speakable("Foo -- Bar: Vision--Language Agents --- at scale, a --> b.", "en-US") == (
        "Foo \u2013 Bar: Vision\u2013Language Agents — at scale, a \u2013 b.")
    assert speakable("《兼顾隐私 -- 有策略地披露》：好。", "zh-CN") == "《兼顾隐私——有策略地披露》：好。"
    assert speakable("Intro.\n\n---\n\nNext.", "en-US") == "Intro.\n\nNext."


@pytest.mark.parametrize(("language", "written", "sent"), [
    ("en-US", "Foo \u2013 Bar: Vision\u2013Language, from 2020\u20132024 — and more.",
     "Foo, Bar: Vision-Language, from 2020 to 2024, and more."),
    ("zh-CN", "《兼顾隐私——有策略地披露》：2020\u20132024 年，Vision\u2013Language 模型。",
     "《兼顾隐私，有策略地披露》：2020到2024 年，Vision-Language 模型。"),
])
def test_a_voice_is_sent_a_pause_for_a_dash(language, written, sent):
    """The pronunciation lexicon (audio only) reads a dash between clauses as a pause, a range
    as one, a compound as a hyphenated word."""
    assert Lexicon.load(language).apply(speakable(written, language)) == sent
