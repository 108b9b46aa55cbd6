"""The fixed words of the show in each language it speaks: the broadcast frame, dates and labels.

Writers fill in what each paper is about; this module owns how the show always sounds, so a
template script and an LLM-written one share one greeting, one paper heading and one closing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta

LANGUAGES = ("zh-CN", "en-US")


@dataclass(frozen=True)
class Phrases:
    show_title: str
    intro: str  # {n} papers, then {wish}: what fits the hour and the day
    intro_one: str
    heading: str
    title_line: str
    summary_line: str
    thoughts_line: str
    brief_line: str  # a brief's paper: {n}, {title}, {text}
    closing: str  # {wish}: what fits the hour and the day
    opening_title: str
    closing_title: str
    chapter_title: str
    episode_title: str
    papers_heading: str
    download: str
    transcript: str
    subscribe: str
    chapters: str
    note_labels: tuple[tuple[str, str], ...]  # ShowNotes field, label
    abstract_only: str  # the notes of a paper that could not be read in full
    format_line: str  # the show notes of an episode in another format than the broadcast: {name}
    format_names: dict[str, str]  # models.FORMATS → how the show notes name it
    offline_voice: str  # {reason}: voice_unreachable or voice_failed
    voice_unreachable: str  # {engine}: "edge-tts"
    voice_failed: str
    captions: str
    ordinals: tuple[str, ...]
    step: str
    subscribe_hint: str  # the show page's subscribe block
    copy: str
    copied: str
    all_episodes: str
    episode_page: str
    rate_heading: str  # the show page's 👍/👎, shown only when `podcast serve` takes ratings
    rate_up: str
    rate_down: str
    rate_failed: str
    # by occasion (see occasion()): how the intro invites to listen, how the closing wishes well
    listen: Mapping[str, str]
    wishes: Mapping[str, str]


_ZH = Phrases(
    show_title="AI 论文早报",
    intro="今天为大家播报 {n} 篇 AI 领域的新论文，{listen}",
    intro_one="今天为大家播报 1 篇 AI 领域的新论文，{listen}",
    heading="第 {n} 篇论文。",
    title_line="论文的标题是：{title}。",
    summary_line="论文的内容是：{text}",
    brief_line="第 {n} 篇，{title}。{text}",
    thoughts_line="以下是我的思考：{text}",
    closing="以上就是今天的论文播报，{wish}",
    opening_title="开场",
    closing_title="结束语",
    chapter_title="第 {n} 篇：{title}",
    episode_title="{show}：{day}",
    papers_heading="本期论文",
    download="下载 MP3",
    transcript="文字稿",
    subscribe="订阅 RSS",
    chapters="章节",
    note_labels=(("background", "背景"), ("problem", "问题与挑战"), ("method", "方法"),
                 ("innovation", "创新"), ("results", "结果"), ("conclusion", "结论")),
    abstract_only="（本篇只读了摘要：{reason}）",
    format_line="格式：{name}",
    format_names={"broadcast": "单人播报", "conversation": "双人对谈", "brief": "快讯"},
    offline_voice="本期由离线语音朗读（{reason}）。",
    voice_unreachable="未能连接 {engine}",
    voice_failed="{engine} 出错",
    captions="字幕",
    ordinals=("一", "二", "三", "四", "五", "六", "七", "八", "九", "十"),
    step="第{ordinal}步，{step}",
    subscribe_hint="在播客 App 里添加这个地址订阅，或用手机扫码：",
    copy="复制",
    copied="已复制",
    all_episodes="全部节目",
    episode_page="本期页面",
    rate_heading="给论文打分，以后的选题会多选或少选类似的论文：",
    rate_up="多来点这样的论文",
    rate_down="少来点这样的论文",
    rate_failed="评分没能保存，请稍后再试。",
    listen={
        "morning": "大家边听边开始一天的工作吧！",
        "noon": "午饭前后，大家抽空听一听吧！",
        "afternoon": "下午忙里偷闲，大家一起听一听吧！",
        "evening": "忙完一天，大家放松下来慢慢听吧！",
        "night": "夜深了，大家挑感兴趣的听一听吧。",
        "weekend": "周末时光，大家放松心情慢慢听吧！",
    },
    wishes={
        "morning": "祝大家今天工作顺利！",
        "noon": "祝大家午饭愉快，下午工作顺利！",
        "afternoon": "祝大家下午工作顺利！",
        "evening": "祝大家晚上过得愉快！",
        "night": "夜深了，早点休息，晚安！",
        "weekend": "祝大家周末愉快！",
    },
)

_EN = Phrases(
    show_title="AI Papers Daily",
    intro="Here are {n} new AI papers for today. {listen}",
    intro_one="Here is 1 new AI paper for today. {listen}",
    heading="Paper {n}.",
    title_line="The title is: {title}.",
    summary_line="What it does: {text}",
    brief_line="Number {n}: {title}. {text}",
    thoughts_line="My take: {text}",
    closing="That's all for today's papers. {wish}",
    opening_title="Opening",
    closing_title="Closing",
    chapter_title="Paper {n}: {title}",
    episode_title="{show}: {day}",
    papers_heading="Papers in this episode",
    download="Download MP3",
    transcript="Transcript",
    subscribe="Subscribe (RSS)",
    chapters="Chapters",
    note_labels=(("background", "Background"), ("problem", "Problem and challenges"),
                 ("method", "Method"), ("innovation", "What is new"), ("results", "Results"),
                 ("conclusion", "Conclusion")),
    abstract_only="(Read from the abstract only: {reason})",
    format_line="Format: {name}",
    format_names={"broadcast": "broadcast", "conversation": "conversation", "brief": "brief"},
    offline_voice="This episode is read by the offline voice ({reason}).",
    voice_unreachable="{engine} could not be reached",
    voice_failed="{engine} failed",
    captions="Captions",
    ordinals=("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    step="Step {ordinal}: {step}",
    subscribe_hint="Add this address in your podcast app, or scan it with your phone:",
    copy="Copy",
    copied="Copied",
    all_episodes="All episodes",
    episode_page="Episode page",
    rate_heading="Rate the papers, and later picks lean toward or away from papers like them:",
    rate_up="More papers like this",
    rate_down="Fewer papers like this",
    rate_failed="The rating could not be saved; try again later.",
    listen={
        "morning": "Listen in as you start your day!",
        "noon": "Listen in around lunchtime!",
        "afternoon": "Take a short break and listen in!",
        "evening": "Sit back and listen in this evening!",
        "night": "Here they are for the night owls.",
        "weekend": "Enjoy them at your own pace this weekend!",
    },
    wishes={
        "morning": "Have a great day at work!",
        "noon": "Enjoy your lunch, and have a good afternoon!",
        "afternoon": "Have a productive afternoon!",
        "evening": "Have a pleasant evening!",
        "night": "Get some rest, and good night!",
        "weekend": "Enjoy your weekend!",
    },
)

_PHRASES = {"zh-CN": _ZH, "en-US": _EN}


@dataclass(frozen=True)
class RecapPhrases:
    """The fixed words of the weekly recap. ``{week}``, ``{the_week}``, ``{review}`` and
    ``{again}`` stand for the words of :class:`RecapWeek`, filled in by :func:`recap_phrases`."""

    title: str
    intro: str
    theme_heading: str
    theme_chapter: str
    trend_chapter: str
    trend_line: str
    advice_line: str
    closing: str  # {wish}: what fits the hour and the day
    trend: str  # show notes labels
    advice: str
    # a brief's recap: its intro ({span}, {papers}, {themes}), a line per theme ({ordinal},
    # {name}, {papers}, {text}: the first sentence of its summary), the themes beyond five in
    # one line ({themes}: each name and count) and its chapter, the trend in one sentence
    brief_intro: str
    brief_theme: str
    brief_more: str
    brief_more_chapter: str
    brief_trend: str


_ZH_RECAP = RecapPhrases(
    title="{show}：{review}（{span}）",
    intro="这是{week}的论文回顾。{span}，我们一共播报了 {papers}，归成 {themes}。"
          "我们一个一个来看，最后说说趋势，和我们接下来可以做什么。",
    theme_heading="主题{ordinal}：{name}，{week} {papers}。",
    theme_chapter="主题{ordinal}：{name}",
    trend_chapter="趋势与建议",
    trend_line="先说趋势。{text}",
    advice_line="对我们的项目，我有这几条建议。",
    closing="以上就是{week}的论文回顾，我们{again}再见。{wish}",
    trend="趋势",
    advice="建议",
    brief_intro="{review}简报：{span}，{papers}，{themes}。",
    brief_theme="主题{ordinal}，{name}，{papers}。{text}",
    brief_more="另外还有：{themes}。",
    brief_more_chapter="更多主题",
    brief_trend="趋势：{text}",
)

_EN_RECAP = RecapPhrases(
    title="{show}: {review}, {span}",
    intro="This is {the_week} in review. From {span}, we covered {papers}, in {themes}. "
          "We'll take them one by one, then look at the trend and what we can do next.",
    theme_heading="Theme {ordinal}: {name}, {papers} {week}.",
    theme_chapter="Theme {ordinal}: {name}",
    trend_chapter="Trend and next steps",
    trend_line="First, the trend. {text}",
    advice_line="For our project, here is what I suggest.",
    closing="That's {the_week} in papers. See you {again}! {wish}",
    trend="Trend",
    advice="Next steps",
    brief_intro="{review}, in brief: {span}, {papers}, {themes}.",
    brief_theme="Theme {ordinal}, {name}, {papers}. {text}",
    brief_more="Also: {themes}.",
    brief_more_chapter="More themes",
    brief_trend="The trend: {text}",
)

_RECAP = {"zh-CN": _ZH_RECAP, "en-US": _EN_RECAP}

# How a recap speaks of its week, seen from the day it is made (recap_when): the week under way
# (or one still to come), the week before it, or one further back.
THIS_WEEK, LAST_WEEK, EARLIER_WEEK = "this", "last", "earlier"


@dataclass(frozen=True)
class RecapWeek:
    """The words for the recap's week as seen from the day it is made."""

    week: str  # in a sentence: "本周" / "this week"
    the_week: str  # what is "in review": "the week" / "last week" (English only)
    review: str  # the title's: "本周回顾" / "Week in review"
    again: str  # when the next recap comes: "下周" / "next week"; after a past week, "下次"


_RECAP_WEEKS = {
    "zh-CN": {THIS_WEEK: RecapWeek("本周", "本周", "本周回顾", "下周"),
              LAST_WEEK: RecapWeek("上周", "上周", "上周回顾", "下次"),
              EARLIER_WEEK: RecapWeek("那一周", "那一周", "一周回顾", "下次")},
    "en-US": {THIS_WEEK: RecapWeek("this week", "the week", "Week in review", "next week"),
              LAST_WEEK: RecapWeek("last week", "last week", "Last week in review", "next time"),
              EARLIER_WEEK: RecapWeek("that week", "the week", "Week in review", "next time")},
}


def recap_when(first: date, today: date) -> str:
    """How a recap made ``today`` speaks of the week beginning ``first`` (a Monday): THIS_WEEK
    while it lasts (or before it begins), LAST_WEEK the week after, EARLIER_WEEK from then on.
    A past week's recap must not say "本周" or promise "下周"."""
    weeks_ago = (today - first).days // 7
    return THIS_WEEK if weeks_ago <= 0 else LAST_WEEK if weeks_ago == 1 else EARLIER_WEEK


def recap_week(language: str, when: str = THIS_WEEK) -> RecapWeek:
    return _RECAP_WEEKS[language][when]


def recap_phrases(language: str, when: str = THIS_WEEK) -> RecapPhrases:
    """The recap's words for a week ``when`` (recap_when) it was."""
    words, base = recap_week(language, when), _RECAP[language]

    def filled(text: str) -> str:
        for key in ("week", "the_week", "review", "again"):
            text = text.replace(f"{{{key}}}", getattr(words, key))
        return text

    return replace(base, **{f.name: filled(getattr(base, f.name)) for f in fields(base)})


def how_many(number: int, noun: str, language: str) -> str:
    """'3 篇论文' / '3 papers', for the nouns the recap counts ("paper", "theme")."""
    if is_chinese(language):
        return f"{number} {'篇论文' if noun == 'paper' else '个主题'}"
    return counted(number, noun)


def week_span(first: date, last: date, language: str) -> str:
    """'11 月 16 日至 11 月 20 日' or 'November 16 to 20' (the days a recap covers)."""
    if is_chinese(language):
        return f"{first.month} 月 {first.day} 日至 {last.month} 月 {last.day} 日"
    if first.month == last.month:
        return f"{_EN_MONTHS[first.month - 1]} {first.day} to {last.day}"
    return f"{_EN_MONTHS[first.month - 1]} {first.day} to {_EN_MONTHS[last.month - 1]} {last.day}"

_ZH_WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def phrases(language: str) -> Phrases:
    return _PHRASES[language]


def is_chinese(language: str) -> bool:
    return language.startswith("zh")


def colon(language: str) -> str:
    """What follows a label: "格式：" or "Format: "."""
    return "：" if is_chinese(language) else ": "


def said_by(name: str, text: str, language: str) -> str:
    """``text`` after the name of who says it ("云扬：…", "Andrew: …"); as is without one."""
    return f"{name}{colon(language)}{text}" if name else text


def spoken_day(day: date, language: str) -> str:
    """'2026 年 11 月 21 日，星期六' or 'Saturday, November 21, 2026'."""
    if is_chinese(language):
        return f"{day.year} 年 {day.month} 月 {day.day} 日，{_ZH_WEEKDAYS[day.weekday()]}"
    return f"{_EN_WEEKDAYS[day.weekday()]}, {_EN_MONTHS[day.month - 1]} {day.day}, {day.year}"


# The parts of the day the show speaks to, and the days it calls the weekend.
OCCASIONS = ("morning", "noon", "afternoon", "evening", "night", "weekend")
WEEKEND = (5, 6)  # Saturday, Sunday
SPOKEN_MINUTES = 5


def spoken_time(moment: datetime) -> datetime:
    """``moment`` rounded to five minutes, as the show says it (a rerun a minute later says the
    same); rounded down instead where rounding would reach the next day."""
    base = moment.replace(second=0, microsecond=0)
    minutes = base.minute + moment.second / 60 + moment.microsecond / 60e6
    steps = int(minutes / SPOKEN_MINUTES + 0.5)  # half up: 9:32:30 is 9:35
    rounded = base.replace(minute=0) + timedelta(minutes=SPOKEN_MINUTES * steps)
    if rounded.date() != moment.date():
        return base.replace(minute=base.minute - base.minute % SPOKEN_MINUTES)
    return rounded


def occasion(moment: datetime) -> str:
    """Which of OCCASIONS the broadcast at ``moment`` (local, as said: rounded) speaks to: a
    working day's morning (05:00-10:59), noon (11:00-12:59) or afternoon (13:00-17:59); any
    day's evening (18:00-22:59) or night (23:00-04:59); Saturday's and Sunday's daytime, the
    weekend. Only a working morning says "start your day" and wishes a good day at work."""
    spoken = spoken_time(moment)
    hour = spoken.hour
    if hour >= 23 or hour < 5:
        return "night"
    if hour >= 18:
        return "evening"
    if spoken.weekday() in WEEKEND:
        return "weekend"
    return "morning" if hour < 11 else "noon" if hour < 13 else "afternoon"


def intro(count: int, moment: datetime, language: str) -> str:
    """The line after the greeting: how many papers, and how to listen at this hour."""
    words = phrases(language)
    listen = words.listen[occasion(moment)]
    return (words.intro_one.format(listen=listen) if count == 1
            else words.intro.format(n=count, listen=listen))


def closing(moment: datetime, language: str, recap: bool = False, when: str = THIS_WEEK) -> str:
    """The show's last line, wishing what fits the hour and the day; a recap (of a week
    ``when`` it was, see recap_when) from Friday noon on wishes a good weekend."""
    key = occasion(moment)
    spoken = spoken_time(moment)
    if recap and key in ("noon", "afternoon", "evening") and spoken.weekday() >= 4:
        key = "weekend"
    wish = phrases(language).wishes[key]
    frame = recap_phrases(language, when).closing if recap else phrases(language).closing
    return frame.format(wish=wish)


def greeting(moment: datetime, language: str) -> str:
    """The opening line with the date, the time (rounded to five minutes) and the weekday of
    ``moment`` (already local)."""
    spoken = spoken_time(moment)
    if is_chinese(language):
        return _zh_greeting(spoken)
    return _en_greeting(spoken)


def _zh_greeting(moment: datetime) -> str:
    hour, minute = moment.hour, moment.minute
    if hour < 5:
        hello, period = "你好", "凌晨"
    elif hour < 11:
        hello, period = "早上好", "上午"
    elif hour < 13:
        hello, period = "中午好", "中午"
    elif hour < 18:
        hello, period = "下午好", "下午"
    else:
        hello, period = "晚上好", "晚上"
    clock_hour = hour if hour <= 12 else hour - 12
    clock = f"{clock_hour} 点整" if minute == 0 else f"{clock_hour} 点 {minute} 分"
    weekday = _ZH_WEEKDAYS[moment.weekday()]
    return (
        f"{hello}！今天是 {moment.year} 年 {moment.month} 月 {moment.day} 日，"
        f"{period} {clock}，{weekday}。"
    )


def _en_greeting(moment: datetime) -> str:
    hour = moment.hour
    hello = ("Hello" if hour < 5 else "Good morning" if hour < 12
             else "Good afternoon" if hour < 18 else "Good evening")
    clock_hour = hour % 12 or 12
    suffix = "a.m." if hour < 12 else "p.m."
    clock = (f"{clock_hour} {suffix}" if moment.minute == 0
             else f"{clock_hour}:{moment.minute:02d} {suffix}")
    return f"{hello}! It's {spoken_day(moment.date(), 'en-US')}, {clock}"


def step_line(index: int, step: str, language: str) -> str:
    """A numbered step read aloud: '第一步，…' / 'Step one: …' (index starts at 1)."""
    words = phrases(language)
    ordinal = words.ordinals[index - 1] if index <= len(words.ordinals) else str(index)
    return words.step.format(ordinal=ordinal, step=step)


def counted(number: int, noun: str) -> str:
    """'1 episode', '2 episodes': for the program's own English messages."""
    return f"{number} {noun}" + ("" if number == 1 else "s")
