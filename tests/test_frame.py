"""The show's frame in time and language: greeting, intro and closing that fit the hour and the
day, the time said rounded to five minutes, and [listener] project given per language."""

from __future__ import annotations

from datetime import datetime

import pytest

from podcast import i18n
from podcast.errors import ConfigError
from podcast.i18n import closing, greeting, intro, occasion, spoken_time
from podcast.pipeline import run_episode

from .conftest import FILE_SOURCE, OFFLINE_TTS, SHANGHAI

FRIDAY = (2026, 11, 20)
SATURDAY = (2026, 11, 21)
MONDAY = (2026, 11, 23)


def at(day: tuple[int, int, int], hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(*day, hour, minute, second, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("moment", "expected"), [
    (at(FRIDAY, 8), "morning"), (at(FRIDAY, 10, 58), "noon"), (at(FRIDAY, 12, 15), "noon"),
    (at(FRIDAY, 15, 40), "afternoon"), (at(FRIDAY, 17, 58), "evening"), (at(FRIDAY, 22), "evening"),
    (at(FRIDAY, 23, 10), "night"), (at(SATURDAY, 2, 3), "night"), (at(SATURDAY, 9, 30), "weekend"),
    (at(SATURDAY, 16), "weekend"), (at(SATURDAY, 20), "evening"), (at(MONDAY, 4, 59), "morning"),
])
def test_the_occasion_follows_the_hour_and_the_day(moment, expected):
    assert occasion(moment) == expected


def test_at_22_00_it_neither_starts_the_day_nor_wishes_a_good_day_at_work():
    moment = at(FRIDAY, 22)
    assert greeting(moment, "zh-CN") == "晚上好！今天是 2026 年 11 月 20 日，晚上 10 点整，星期五。"
    assert intro(3, moment, "zh-CN") == "今天为大家播报 3 篇 AI 领域的新论文，忙完一天，大家放松下来慢慢听吧！"
    assert closing(moment, "zh-CN") == "以上就是今天的论文播报，祝大家晚上过得愉快！"
    assert greeting(moment, "en-US") == "Good evening! It's Friday, November 20, 2026, 10 p.m."
    assert intro(1, moment, "en-US") == "Here is 1 new AI paper for today. Sit back and listen in this evening!"
    assert closing(moment, "en-US") == "That's all for today's papers. Have a pleasant evening!"


def test_at_08_00_on_a_working_day_it_starts_the_day():
    moment = at(MONDAY, 8)
    assert greeting(moment, "zh-CN").startswith("早上好！")
    assert intro(5, moment, "zh-CN") == "今天为大家播报 5 篇 AI 领域的新论文，大家边听边开始一天的工作吧！"
    assert closing(moment, "zh-CN") == "以上就是今天的论文播报，祝大家今天工作顺利！"
    assert intro(5, moment, "en-US") == "Here are 5 new AI papers for today. Listen in as you start your day!"
    assert closing(moment, "en-US") == "That's all for today's papers. Have a great day at work!"


@pytest.mark.parametrize("moment", [at(SATURDAY, 9, 30), at(FRIDAY, 12, 15), at(FRIDAY, 15, 40),
                                    at(FRIDAY, 19), at(SATURDAY, 1)])
def test_only_a_working_morning_says_start_your_day_and_work(moment):
    for language, day_start, work in (("zh-CN", "开始一天的工作", "今天工作顺利"),
                                      ("en-US", "start your day", "day at work")):
        assert day_start not in intro(3, moment, language)
        assert work not in closing(moment, language)


def test_every_occasion_has_its_words_in_both_languages_without_the_other_language():
    for language in i18n.LANGUAGES:
        words = i18n.phrases(language)
        assert set(words.listen) == set(words.wishes) == set(i18n.OCCASIONS)
        for text in (*words.listen.values(), *words.wishes.values()):
            has_han = any("\u4e00" <= char <= "\u9fff" for char in text)
            assert has_han == i18n.is_chinese(language), text


@pytest.mark.parametrize(("moment", "said"), [
    (at(FRIDAY, 9, 30, 0), (9, 30)), (at(FRIDAY, 9, 32, 29), (9, 30)), (at(FRIDAY, 9, 32, 30), (9, 35)),
    (at(FRIDAY, 9, 57, 40), (10, 0)), (at(FRIDAY, 23, 58), (23, 55)), (at(FRIDAY, 0, 1), (0, 0)),
])
def test_the_time_said_is_rounded_to_five_minutes_within_the_day(moment, said):
    spoken = spoken_time(moment)
    assert (spoken.hour, spoken.minute) == said and spoken.date() == moment.date()


def test_a_rerun_a_minute_later_says_the_same_greeting_and_closing():
    first, rerun = at(FRIDAY, 10, 58), at(FRIDAY, 10, 59)
    for language in i18n.LANGUAGES:
        assert greeting(first, language) == greeting(rerun, language)
        assert closing(first, language) == closing(rerun, language)
    # rounded to 11:00, it is noon in every part of the frame
    assert greeting(first, "zh-CN") == "中午好！今天是 2026 年 11 月 20 日，中午 11 点整，星期五。"
    assert "午饭" in intro(2, first, "zh-CN") and "午饭" in closing(first, "zh-CN")


def test_the_recap_closing_wishes_a_good_weekend_from_friday_noon():
    assert closing(at(FRIDAY, 17), "zh-CN", recap=True) == "以上就是本周的论文回顾，我们下周再见。祝大家周末愉快！"
    assert closing(at(FRIDAY, 17), "en-US", recap=True) == (
        "That's the week in papers. See you next week! Enjoy your weekend!")
    assert closing(at(MONDAY, 9), "zh-CN", recap=True).endswith("祝大家今天工作顺利！")
    assert closing(at(FRIDAY, 23, 30), "en-US", recap=True).endswith("Get some rest, and good night!")


# -- [listener] project per language ------------------------------------------------------------


BOTH = '[listener.project]\nzh-CN = "我们在为税务问答微调大语言模型。"\nen-US = "We fine-tune LLMs for tax questions."\n'


@pytest.mark.parametrize(("language", "listener", "project"), [
    ("zh-CN", BOTH, "我们在为税务问答微调大语言模型。"),
    ("en-US", BOTH, "We fine-tune LLMs for tax questions."),
    ("en-US", '[listener.project]\nzh-CN = "我们在为税务问答微调大语言模型。"\n', "我们在为税务问答微调大语言模型。"),
    ("zh-CN", '[listener]\nproject = "We fine-tune LLMs."\n', "We fine-tune LLMs."),
    ("en-US", "", "We are building a domain-specific assistant"),
    ("zh-CN", "", "我们在用大语言模型打造一个垂直领域的智能助手"),
])
def test_the_project_in_the_shows_language_when_given_else_the_one_given(make_config, language,
                                                                         listener, project):
    config = make_config(f'[show]\nlanguage = "{language}"\n{listener}')
    assert config.listener.project.startswith(project)


@pytest.mark.parametrize(("listener", "error"), [
    ('[listener.project]\nzh = "x"\n', "listener.project.zh: unknown key; expected one of: zh-CN, en-US"),
    ('[listener.project]\nen-US = " "\n', 'listener.project.en-US = " ": must be a non-empty string'),
    ('[listener.project]\nen-US = 3\n', "listener.project.en-US = 3: must be a non-empty string"),
    ("[listener]\nproject = {}\n", "listener.project: must give the project in zh-CN, en-US or both"),
    ("[listener]\nproject = [\"a\"]\n", 'listener.project = ["a"]: must be a string, or a [listener.project] table'),
])
def test_a_bad_project_is_one_line_naming_the_key(make_config, listener, error):
    with pytest.raises(ConfigError, match=f"podcast.toml: {error}".replace("[", r"\[").replace("(", r"\(")) as caught:
        make_config(listener)
    assert "\n" not in str(caught.value)


def test_the_writer_is_handed_the_project_in_the_shows_language(make_config, monkeypatch):
    from podcast.write import Writer

    briefs = []
    original = Writer.write
    monkeypatch.setattr(Writer, "write",
                        lambda self, picks, brief: briefs.append(brief) or original(self, picks, brief))
    config = make_config(f'[show]\nlanguage = "en-US"\nmax_papers = 1\ntarget_minutes = 1\n'
                         f'{BOTH}{FILE_SOURCE}{OFFLINE_TTS}')
    run_episode(config, now=at(MONDAY, 8))
    assert {brief.project for brief in briefs} == {"We fine-tune LLMs for tax questions."}


# -- whole episodes at 22:00 and at 08:00 -------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("language", "moment", "starts", "has", "lacks", "ends"), [
    ("zh-CN", at(FRIDAY, 22), "晚上好！", "忙完一天", "开始一天的工作", "祝大家晚上过得愉快！"),
    ("zh-CN", at(MONDAY, 8), "早上好！", "大家边听边开始一天的工作吧！", "晚上", "祝大家今天工作顺利！"),
    ("en-US", at(FRIDAY, 22), "Good evening!", "this evening", "start your day", "Have a pleasant evening!"),
    ("en-US", at(MONDAY, 8), "Good morning!", "as you start your day", "evening", "Have a great day at work!"),
])
def test_an_episode_greets_and_closes_for_its_hour(make_config, tmp_path, language, moment, starts,
                                                  has, lacks, ends):
    config = make_config(f'[show]\nlanguage = "{language}"\nmax_papers = 1\ntarget_minutes = 1\n'
                         f"{FILE_SOURCE}{OFFLINE_TTS}")
    episode = run_episode(config, now=moment).episode
    transcript = (tmp_path / "feed" / episode.transcript_name).read_text(encoding="utf-8").strip()
    assert transcript.startswith(starts) and transcript.endswith(ends)
    assert has in transcript and lacks not in transcript
