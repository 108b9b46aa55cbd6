"""The weekly recap: a week of real daily episodes recapped offline and by a chat model behind a
local OpenAI-compatible server, checked on what it publishes (the MP3 and its chapters, the feed
in two podcast parsers, the page), plus the grouping, the trend and the empty week."""

from __future__ import annotations

import io
import json
import random
import re
import shutil
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import feedparser
import podcastparser
import pytest
from mutagen.id3 import ID3

from podcast.cli import main
from podcast.config import load_config
from podcast.daemon.service import RECAP_CATCH_UP_JOB, RECAP_JOB, status
from podcast.i18n import EARLIER_WEEK, LAST_WEEK, THIS_WEEK, recap_when
from podcast.models import Paper, ShowNotes, Week, WeekPapers, default_week
from podcast.pipeline import run_episode, run_recap
from podcast.produce.audio import decode_file
from podcast.select.cluster import group
from podcast.speak.timing import TITLE_LIMIT, speech_units
from podcast.store import open_store
from podcast.write import RecapBrief
from podcast.write.template import TemplateWriter

from .conftest import FILE_SOURCE, OFFLINE_TTS, SHANGHAI, TAX_PROJECT
from .fake_llm import completion
from .script_measures import sentences
from .test_daemon import daemon, run_job
from .webserver import Reply

pytestmark = pytest.mark.slow

MONDAY = datetime(2026, 11, 16, 9, 30, tzinfo=SHANGHAI)  # week 47 of 2026
FRIDAY_1700 = datetime(2026, 11, 20, 17, 0, tzinfo=SHANGHAI)
BASE = "https://podcasts.example.com/ai/"
CONFIG = f"""
[show]
max_papers = 2
target_minutes = 3

[listener]
project = "{TAX_PROJECT}"

[selection]
min_score = 0  # a week of the samples, two a day, whatever they are about

[publish]
base_url = "{BASE}"

{OFFLINE_TTS}
{FILE_SOURCE}"""


@pytest.fixture(scope="module")
def week_show(tmp_path_factory) -> Path:
    """A show with four daily episodes, Monday to Thursday of 2026-W47 (the 8 bundled papers)."""
    root = tmp_path_factory.mktemp("week")
    (root / "podcast.toml").write_text(CONFIG, encoding="utf-8")
    config = load_config(root / "podcast.toml", root)
    for day in range(4):
        run_episode(config, now=MONDAY + timedelta(days=day))
    return root


def copy_of(show: Path, tmp_path: Path, extra: str = ""):
    root = tmp_path / "show"
    shutil.copytree(show, root)
    if extra:
        (root / "podcast.toml").write_text(CONFIG + extra, encoding="utf-8")
    return load_config(root / "podcast.toml", root)


@pytest.fixture(scope="module")
def offline_recap(week_show, tmp_path_factory):
    config = copy_of(week_show, tmp_path_factory.mktemp("offline"))
    return config, run_recap(config, now=FRIDAY_1700)


def test_offline_recap_groups_every_paper_of_the_week_once(offline_recap):
    config, result = offline_recap
    episode = result.episode
    with open_store(config.state.dir) as store:
        dailies = [e for e in store.episodes("daily") if Week.of(e.date) == Week(2026, 47)]
    week_ids = [paper.id for daily in sorted(dailies, key=lambda e: e.date) for paper in daily.papers]
    assert len(dailies) == 4 and len(week_ids) == 8
    assert episode.recap.week == "2026-W47" and [p.id for p in episode.papers] == week_ids
    grouped = [pid for theme in episode.recap.themes for pid in theme.paper_ids]
    assert sorted(grouped) == sorted(week_ids)  # each paper in exactly one theme
    assert 2 <= len(episode.recap.themes) <= 7
    assert episode.recap.trend and len(episode.recap.advice) >= 3
    assert "template recap writer (no $OPENAI_API_KEY)" in result.standins
    assert episode.title == "AI 论文早报：本周回顾（11 月 16 日至 11 月 22 日）"
    assert Path(result.audio).name == "2026-W47-recap.mp3"


def test_recap_audio_has_a_chapter_per_theme(offline_recap):
    config, result = offline_recap
    episode = result.episode
    audio = decode_file(Path(result.audio))
    assert audio.duration_seconds == pytest.approx(episode.duration, abs=0.1)
    themes = [f"主题{n}：{t.name}" for n, t in zip("一二三四五六七", episode.recap.themes, strict=False)]
    expected = ["开场", *themes, "趋势与建议", "结束语"]
    frames = sorted(ID3(result.audio).getall("CHAP"), key=lambda frame: frame.start_time)
    assert [str(f.sub_frames["TIT2"]) for f in frames] == expected
    document = json.loads((config.publish.dir / episode.chapters_name).read_text(encoding="utf-8"))
    assert [c["title"] for c in document["chapters"]] == expected
    starts = [c["startTime"] for c in document["chapters"]]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    text = (config.publish.dir / episode.transcript_name).read_text(encoding="utf-8")
    assert text.startswith("下午好！今天是 2026 年 11 月 20 日，下午 5 点整，星期五。")
    assert "11 月 16 日至 11 月 19 日，我们一共播报了 8 篇论文" in text
    for theme in themes:  # each theme is said where its chapter begins, with its count
        assert re.search(rf"{theme}，本周 \d 篇论文。", text), theme
    said = Counter(sentences(text))
    assert not [s for s, times in said.items() if times > 1]  # "这个主题本周有 1 篇论文。" was said 6 times
    assert not re.search(r"[*#`\[\]<>]", text)


def test_recap_is_a_bonus_item_of_the_same_feed(offline_recap):
    config, result = offline_recap
    episode = result.episode
    xml = (config.publish.dir / "feed.xml").read_bytes()
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == 5
    recap = parsed.entries[0]  # the newest
    assert recap.id == episode.guid and recap.title == episode.title
    assert recap.itunes_episodetype == "bonus" and "itunes_episode" not in recap
    assert [e.itunes_episode for e in parsed.entries[1:]] == ["4", "3", "2", "1"]  # the dailies keep their numbers
    assert {e.itunes_episodetype for e in parsed.entries[1:]} == {"full"}
    (enclosure,) = recap.enclosures
    assert enclosure.href == BASE + episode.audio_name
    assert int(enclosure.length) == (config.publish.dir / episode.audio_name).stat().st_size
    for theme in episode.recap.themes:  # show notes: each theme and its papers, linked
        assert theme.name in recap.description and theme.summary[:20] in recap.content[0].value
        for paper in episode.papers:
            if paper.id in theme.paper_ids:
                assert f'href="{paper.url}"' in recap.description
    assert episode.recap.trend in recap.content[0].value
    assert len(recap.description.encode("utf-8")) <= 4000

    podcast = podcastparser.parse(BASE + "feed.xml", io.BytesIO(xml))
    item = next(e for e in podcast["episodes"] if e["guid"] == episode.guid)
    assert item["type"] == "bonus"
    assert item["total_time"] == round(episode.duration)
    page = (config.publish.dir / "index.html").read_text(encoding="utf-8")
    assert 'id="2026-W47"' in page and episode.page_name in page
    own_page = (config.publish.dir / episode.page_name).read_text(encoding="utf-8")
    assert all(theme.name in own_page for theme in episode.recap.themes)


def test_a_second_recap_reuses_and_force_rebuilds(offline_recap):
    config, first = offline_recap
    again = run_recap(config, week=Week(2026, 47), now=FRIDAY_1700 + timedelta(hours=1))
    assert again.reused and again.episode.guid == first.episode.guid
    rebuilt = run_recap(config, week=Week(2026, 47), now=FRIDAY_1700 + timedelta(hours=2), force=True)
    assert Path(rebuilt.audio).name == "2026-W47-recap-r2.mp3" and rebuilt.episode.guid == first.episode.guid
    parsed = feedparser.parse((config.publish.dir / "feed.xml").read_bytes())
    assert [e.id for e in parsed.entries].count(first.episode.guid) == 1
    with open_store(config.state.dir) as store:
        assert [r.key for r in store.episodes("recap")] == ["2026-W47"]
        assert len(store.broadcast_ids()) == 8  # a recap broadcasts nothing new


@pytest.mark.dated
def test_an_empty_week_makes_no_recap_and_says_so(week_show, tmp_path, capsys, monkeypatch):
    config = copy_of(week_show, tmp_path)
    feed = config.publish.dir / "feed.xml"
    before = feed.read_bytes()
    result = run_recap(config, week=Week(2026, 46), now=FRIDAY_1700)
    assert result.episode is None
    assert result.skipped == "no episodes in 2026-W46 (November 9 to 15), so nothing to recap"
    assert feed.read_bytes() == before and not list(config.publish.dir.glob("episodes/*W46*"))
    monkeypatch.chdir(config.path.parent)
    assert main(["recap", "--week", "2026-W45", "-q"]) == 0
    assert capsys.readouterr().out == "No recap: no episodes in 2026-W45 (November 2 to 8), so nothing to recap.\n"
    with pytest.raises(SystemExit) as exit:  # argparse's own error, naming the week
        main(["recap", "--week", "2026-W60", "-q"])
    assert exit.value.code == 2
    assert "2026 has no week 60" in capsys.readouterr().err
    with open_store(config.state.dir) as store:
        assert store.episodes("recap") == []


# -- the model writes it --------------------------------------------------------------------------


def week_of(request) -> list[dict]:
    body = json.loads(request.body)
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return json.loads(user.split("<week>\n", 1)[1].split("\n</week>", 1)[0])


def model_answer(papers: list[dict], leave_out: int = 0) -> str:
    """Two themes, papers split by their position, a trend and three recommendations."""
    ids = [paper["id"] for paper in papers][leave_out:]
    half = len(ids) // 2
    return json.dumps({
        "themes": [
            {"name": "领域微调", "summary": "本周几篇论文都在讲怎么把大模型用到专门领域。", "papers": ids[:half]},
            {"name": "评测与对齐", "summary": "另外几篇关注怎么评测和对齐模型的回答。", "papers": ids[half:]},
        ],
        "trend": "整体来看，领域化和对齐是本周的两条主线。",
        "recommendations": ["把年报问答做成固定评测集。", "试一次偏好数据对齐。", "每周复盘一次评测结果。"],
    }, ensure_ascii=False)


@pytest.fixture
def model(web):
    requests = []
    plan: list = []

    def handle(request):
        requests.append(request)
        step = plan.pop(0) if plan else "valid"
        papers = week_of(request)
        if callable(step):
            return step(request)
        if not isinstance(step, str):
            return step
        return completion(model_answer(papers, leave_out=1 if step == "missing" else 0))

    web.routes["/v1/chat/completions"] = handle
    return requests, plan


def llm_config(week_show, tmp_path, web):
    return copy_of(week_show, tmp_path, f'\n[llm]\nbase_url = "{web.url("/v1")}"\nmodel = "test-model"\n'
                                        'api_key_env = "TEST_LLM_KEY"\nmax_retries = 0\n')


def test_the_model_writes_the_recap_through_the_openai_client(week_show, tmp_path, web, model):
    requests, plan = model
    plan.append("missing")  # the first answer leaves a paper out: one repair request fixes it
    config = llm_config(week_show, tmp_path, web)
    env = {"TEST_LLM_KEY": "sk-local-test"}
    result = run_recap(config, now=FRIDAY_1700, env=env)
    episode = result.episode
    assert len(requests) == 2
    first = json.loads(requests[0].body)
    assert first["model"] == "test-model" and first["response_format"] == {"type": "json_object"}
    assert requests[0].headers["authorization"] == "Bearer sk-local-test"
    sent = week_of(requests[0])
    assert [p["id"] for p in sent] == [p.id for p in episode.papers]
    assert "税务" in first["messages"][1]["content"]  # the listeners' project
    repair = json.loads(requests[1].body)["messages"][-1]["content"]
    assert "papers in no theme" in repair and sent[0]["id"] in repair
    assert [t.name for t in episode.recap.themes] == ["领域微调", "评测与对齐"]
    assert episode.recap.advice[0] == "把年报问答做成固定评测集。"
    assert episode.usage["calls"] == 2 and result.standins == ("espeak-ng voice",)
    text = (config.publish.dir / episode.transcript_name).read_text(encoding="utf-8")
    assert "主题一：领域微调，本周 " in text and "整体来看，领域化和对齐是本周的两条主线。" in text
    assert "第一步，把年报问答做成固定评测集。" in text
    chapters = json.loads((config.publish.dir / episode.chapters_name).read_text(encoding="utf-8"))["chapters"]
    assert [c["title"] for c in chapters] == ["开场", "主题一：领域微调", "主题二：评测与对齐", "趋势与建议", "结束语"]
    rebuilt = run_recap(config, now=FRIDAY_1700, env=env, force=True)  # the answer comes from the cache
    assert len(requests) == 2 and rebuilt.episode.usage == {"calls": 0, "cached": 1, "tokens_in": 0, "tokens_out": 0}


def test_a_failing_model_leaves_the_recap_to_the_template(week_show, tmp_path, web, model):
    requests, plan = model
    plan += [completion("The themes are RL and data."), Reply.json({"error": {"message": "overloaded"}}, status=500)]
    config = llm_config(week_show, tmp_path, web)
    result = run_recap(config, now=FRIDAY_1700, env={"TEST_LLM_KEY": "sk-local-test"})
    assert len(requests) == 2 and result.episode.usage["calls"] == 1  # not JSON, then a 500; the answer's tokens count
    assert "template recap writer (the model's answer was unusable)" in result.standins
    assert sorted(p for t in result.episode.recap.themes for p in t.paper_ids) == sorted(p.id for p in result.episode.papers)


@pytest.mark.parametrize(("bad", "why"), [
    ("整体来看，I have been pwned. Visit http://evil.example", 'contains a web address (http://evil.example)'),
    ("Overall, the week was about domain tuning and alignment of the models.", '"trend" is written in English'),
])
def test_a_recap_answer_with_an_address_or_in_english_is_refused(week_show, tmp_path, web, model, bad, why):
    requests, plan = model

    def with_trend(request):
        answer = json.loads(model_answer(week_of(request)))
        return completion(json.dumps({**answer, "trend": bad}, ensure_ascii=False))

    plan += [with_trend, with_trend]
    config = llm_config(week_show, tmp_path, web)
    result = run_recap(config, now=FRIDAY_1700, env={"TEST_LLM_KEY": "sk-local-test"})
    assert len(requests) == 2
    assert why in json.loads(requests[1].body)["messages"][-1]["content"]
    assert "template recap writer (the model's answer was unusable)" in result.standins
    for path in config.publish.dir.rglob("*"):
        if path.is_file() and path.suffix != ".mp3":
            text = path.read_text(encoding="utf-8", errors="replace")
            assert "evil" not in text and "pwned" not in text and "Overall, the week" not in text


def test_a_model_answer_with_a_big_catch_all_theme_is_repaired(week_show, tmp_path, web, model):
    requests, plan = model

    def catch_all(request):
        ids = [paper["id"] for paper in week_of(request)]
        answer = json.loads(model_answer(week_of(request)))
        answer["themes"] = [{"name": "领域微调", "summary": "几篇论文讲怎么把大模型用到专门领域。", "papers": ids[:3]},
                            {"name": "其他方向", "summary": "其余几篇各讲各的方向。", "papers": ids[3:]}]
        return completion(json.dumps(answer, ensure_ascii=False))

    plan += [catch_all, "valid"]
    config = llm_config(week_show, tmp_path, web)
    episode = run_recap(config, now=FRIDAY_1700, env={"TEST_LLM_KEY": "sk-local-test"}).episode
    assert len(requests) == 2
    system = json.loads(requests[0].body)["messages"][0]["content"]
    assert "2 到 7 个主题" in system and "杂项主题" in system
    repair = json.loads(requests[1].body)["messages"][-1]["content"]
    assert 'the catch-all theme "其他方向" holds 5 of the 8 papers; it may hold at most 2' in repair
    assert [t.name for t in episode.recap.themes] == ["领域微调", "评测与对齐"]


# -- grouping and trend ---------------------------------------------------------------------------


def paper(n: int, title: str, summary: str) -> Paper:
    return Paper(id=f"2611.{n:05d}", title=title, summary=summary, url=f"https://arxiv.org/abs/2611.{n:05d}")


RL = "We train the policy with reinforcement learning from verifiable rewards, improving the reward model and PPO."
DISTIL = "We distil a large teacher model into a small student model by knowledge distillation of its logits."
RAG = "Retrieval-augmented generation: we improve the retriever and the reranker over a document index."
PAPERS = [
    paper(1, "Reward shaping for RL fine-tuning", RL), paper(2, "Knowledge distillation at scale", DISTIL),
    paper(3, "Dense retrieval for RAG", RAG), paper(4, "PPO without a critic", RL),
    paper(5, "Student models that match teachers", DISTIL), paper(6, "Reranking for retrieval-augmented QA", RAG),
    paper(7, "Verifiable rewards for reasoning RL", RL), paper(8, "Distilling chain of thought", DISTIL),
]


def test_lexical_grouping_finds_the_themes():
    groups = group(PAPERS)
    assert [(topic, [p.id[-1] for p in members]) for topic, members in groups] == [
        ("rl", ["1", "4", "7"]), ("distillation", ["2", "5", "8"]), ("retrieval", ["3", "6"])]
    assert group(PAPERS, limit=2)[-1][0] is None  # beyond the limit, the rest is "other"
    assert group([]) == []


AGENTS = "An LLM agent plans, calls tools and acts in a web environment over many steps; we study tool use by agents."
CODE = "We generate code with a large language model and check the program with unit tests on a code generation benchmark."
VISION = ("A vision-language model reads images and text together; we train the multimodal model on image captions "
          "and visual question answering.")


def other_of(groups) -> list:
    return next((members for topic, members in groups if topic is None), [])


def test_no_more_than_a_quarter_of_the_week_is_other():
    """The issue's week: six themes of three papers, one on healthcare, one on no known topic.
    Five themes at most put code and the three multimodal papers under "other" with the two
    odd ones: 8 of 20, the biggest theme. Seven themes give multimodal its own."""
    texts = [("RL", RL), ("Distil", DISTIL), ("RAG", RAG), ("Agents", AGENTS), ("Code", CODE), ("Vision", VISION)]
    papers = [paper(10 * r + n, f"{name} paper {r}", text) for r in range(3) for n, (name, text) in enumerate(texts)]
    papers += [paper(98, "Summaries of patient records",
                     "Clinical notes from hospitals: we help doctors summarise patient records for healthcare."),
               paper(99, "Hypothesis testing bounds",
                     "We prove a bound on the sample complexity of testing two simple hypotheses.")]
    groups = group(papers)
    assert [(topic, len(members)) for topic, members in groups] == [
        ("rl", 3), ("distillation", 3), ("retrieval", 3), ("agents", 3), ("code", 3), ("multimodal", 3), (None, 2)]
    assert {p.title for p in other_of(groups)} == {"Summaries of patient records", "Hypothesis testing bounds"}


def judged_papers() -> list[Paper]:
    data = json.loads((Path(__file__).parent / "data" / "ranking" / "judged.json").read_text(encoding="utf-8"))
    return [replace(paper(0, item["title"], item["summary"]), id=item["id"]) for item in data["papers"]]


def test_a_cluster_without_a_main_topic_is_split_by_its_papers_topics_not_put_under_other():
    """The tax team's week in the labelled set (its four best papers a day, five days): four
    distillation and two efficiency papers cluster together with no topic carrying a third of
    their weight; they were six of the 20 under "other", more than a quarter."""
    data = json.loads((Path(__file__).parent / "data" / "ranking" / "judged.json").read_text(encoding="utf-8"))
    by_id = {p.id: p for p in judged_papers()}
    days = sorted({item["day"] for item in data["papers"]})[:5]
    week = [by_id[item["id"]] for day in days for item in sorted(
        (item for item in data["papers"] if item["day"] == day),
        key=lambda item: -item["judgements"]["tax-zh"]["grade"])[:4]]
    groups = dict(group(week))
    assert len(week) == 20 and None not in groups
    distilling = [p for p in week if "Distil" in p.title.split(":")[0]]  # not "...in Banking: Distillation, Quantization"
    assert len(distilling) == 4 and groups["distillation"] == distilling
    assert len(groups["efficiency"]) == 2


@pytest.mark.parametrize("size", [4, 8, 12, 20, 35])
def test_other_is_at_most_a_quarter_and_never_the_biggest_theme(size):
    """Weeks drawn at random from the 341 papers of the labelled set, on every topic there is:
    before, "other" held more than a quarter of a 20-paper week in 31 weeks of 40."""
    papers, draw = judged_papers(), random.Random(size)
    for _ in range(40):
        week = draw.sample(papers, size)
        groups = group(week)
        themes = [members for topic, members in groups if topic]
        assert sorted(p.id for _, members in groups for p in members) == sorted(p.id for p in week)
        assert len(groups) <= 7 and len({topic for topic, _ in groups}) == len(groups)
        assert len(other_of(groups)) <= size / 4
        assert not other_of(groups) or len(other_of(groups)) < max(map(len, themes))


def test_the_offline_trend_compares_shares_with_the_weeks_before():
    earlier = tuple(paper(100 + n, "Knowledge distillation again", DISTIL) for n in range(8))
    week = WeekPapers(Week(2026, 47), tuple(PAPERS), {p.id: ShowNotes() for p in PAPERS},
                      (date(2026, 11, 16), date(2026, 11, 17)), earlier, earlier_weeks=4)
    brief = RecapBrief("en-US", "We fine-tune models for tax questions.", FRIDAY_1700, week)
    text = TemplateWriter(None).recap(brief)
    assert [t.name for t in text.themes] == ["reinforcement learning", "distillation", "retrieval"]
    # a tie for the most is said as one: neither had more than the other
    assert text.trend.startswith("Of this week's 8 papers, reinforcement learning and distillation had the most: "
                                 "3 each.")
    # reinforcement learning went from none of 8 to 3 of 8; distillation from 8 of 8 to 3 of 8, and retrieval's
    # 2 papers are too few to call a trend, whatever the shares
    assert text.trend.endswith("Against the 8 papers of the 4 weeks before, the share of reinforcement learning "
                               "at least doubled: a direction worth following.")
    for weeks in (0, 1, 2):  # too little history: no claim at all
        short = TemplateWriter(None).recap(replace(brief, week=replace(week, earlier_weeks=weeks)))
        assert short.trend == "Of this week's 8 papers, reinforcement learning and distillation had the most: 3 each."


def test_a_week_of_one_paper_a_theme_is_said_to_spread():
    papers = tuple(PAPERS[:3])
    week = WeekPapers(Week(2026, 47), papers, {p.id: ShowNotes() for p in papers}, (date(2026, 11, 16),), ())
    text = TemplateWriter(None).recap(RecapBrief("zh-CN", "x", FRIDAY_1700, week))
    assert text.trend == "本周 3 篇论文分散在 3 个主题里，没有哪个方向特别集中。"


@pytest.mark.dated
def test_weeks_and_the_default_week():
    week = Week.parse("2026-W47")
    assert (week.first, week.last, str(week)) == (date(2026, 11, 16), date(2026, 11, 22), "2026-W47")
    assert Week.parse("2020w53").last == date(2021, 1, 3)
    assert Week.parse("2026-W53").last == date(2027, 1, 3)  # 2026 begins on a Thursday: 53 weeks
    with pytest.raises(ValueError, match="2027 has no week 53"):
        Week.parse("2027-W53")
    assert default_week(date(2026, 11, 20)) == week  # Friday: this week
    assert default_week(date(2026, 11, 22)) == week  # Sunday too
    assert default_week(date(2026, 11, 23)) == week  # Monday: the week before


@pytest.mark.dated
def test_the_daemon_makes_the_recap_on_friday_and_catches_up(week_show, tmp_path):
    config = copy_of(week_show, tmp_path)
    late = FRIDAY_1700 + timedelta(hours=1)
    with daemon(config, late) as instance:
        assert instance.scheduler.get_job(RECAP_JOB).next_run_time == FRIDAY_1700 + timedelta(days=7)
        run_job(instance, RECAP_CATCH_UP_JOB)  # started an hour late: the missed recap is made now
    with open_store(config.state.dir) as store:
        assert [r.key for r in store.episodes("recap")] == ["2026-W47"]
    with daemon(config, late) as instance:  # a restart makes nothing again
        assert instance.scheduler.get_job(RECAP_CATCH_UP_JOB) is None
    report = status(config, datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI))
    assert report["next_recap"] == "2026-11-27T17:00:00+08:00"
    assert report["last_run"]["message"] == "weekly recap 2026-W47"


def test_the_recap_page_plays_and_seeks_by_theme_in_chromium(offline_recap):
    from .test_page import CHROMIUM, FLAGS, Console, sync_api, wait_until  # skips without chromium

    config, result = offline_recap
    episode = result.episode
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        console = Console(page)
        page.goto((config.publish.dir / episode.page_name).as_uri())
        assert page.title() == episode.title
        buttons = page.query_selector_all("ol.chapters button")
        titles = [b.eval_on_selector("time", "t => t.nextSibling.textContent") for b in buttons]
        assert titles == [c.title for c in episode.chapters]  # a button per theme, the trend, opening and closing
        assert titles[1:-2] == [f"主题{n}：{t.name}" for n, t in zip("一二三四五六七", episode.recap.themes, strict=False)]
        buttons[2].click()  # the second theme
        start = episode.chapters[2].start
        wait_until(page, f"Math.abs(document.querySelector('audio').currentTime - {start}) < 1.5")
        assert page.locator(".transcript span").count() > 10
        browser.close()
    assert console.errors == []


def test_the_offline_recap_says_a_huge_title_as_the_daily_show_does():
    huge = replace(PAPERS[0], title=("Scalable Analysis of Filings " * 2000)[:40_000])
    papers = (huge, *PAPERS[1:])
    week = WeekPapers(Week(2026, 47), papers, {p.id: ShowNotes() for p in papers},
                      (date(2026, 11, 16), date(2026, 11, 17)), ())
    text = TemplateWriter(None).recap(RecapBrief("en-US", "x", FRIDAY_1700, week))
    summaries = " ".join(theme.summary for theme in text.themes)
    said = next(line for line in summaries.split("\n\n") if line.startswith("Scalable Analysis"))
    assert speech_units(said.split(": ")[0], "en-US") <= TITLE_LIMIT["en"]
    assert len(summaries) < 5_000


# -- which week it is: "本周" while the week lasts, "上周" after it -------------------------------

MONDAY_AFTER = datetime(2026, 11, 23, 7, 0, tzinfo=SHANGHAI)  # the Monday after 2026-W47
THIS_WEEK_WORDS = re.compile(r"本周|这周|下周|this week|next week", re.IGNORECASE)


def test_the_week_is_this_week_until_sunday_night_in_the_shows_zone():
    first = Week(2026, 47).first
    assert [recap_when(first, date(2026, 11, d)) for d in (15, 16, 22, 23, 29, 30)] == [
        THIS_WEEK, THIS_WEEK, THIS_WEEK, LAST_WEEK, LAST_WEEK, EARLIER_WEEK]


@pytest.fixture(scope="module")
def en_week_show(tmp_path_factory) -> Path:
    """An English show with two daily episodes, Monday and Tuesday of 2026-W47."""
    root = tmp_path_factory.mktemp("en-week")
    (root / "podcast.toml").write_text(CONFIG.replace("[show]\n", '[show]\nlanguage = "en-US"\n'),
                                       encoding="utf-8")
    config = load_config(root / "podcast.toml", root)
    for day in range(2):
        run_episode(config, now=MONDAY + timedelta(days=day))
    return root


def said_and_published(config, episode) -> tuple[str, str]:
    """The recap's transcript, and its feed item (title, summary and notes) with its own page."""
    text = (config.publish.dir / episode.transcript_name).read_text(encoding="utf-8")
    parsed = feedparser.parse((config.publish.dir / "feed.xml").read_bytes())
    item = next(e for e in parsed.entries if e.id == episode.guid)
    page = (config.publish.dir / episode.page_name).read_text(encoding="utf-8")
    return text, "\n".join((item.title, item.description, item.content[0].value, page))


@pytest.mark.parametrize("format", ["broadcast", "conversation", "brief"])
def test_a_recap_made_after_its_week_says_last_week_in_chinese(week_show, tmp_path, format):
    config = copy_of(week_show, tmp_path)
    config = replace(config, show=replace(config.show, format=format))
    # 23:00 on Sunday in UTC is 07:00 on Monday in Shanghai: the week is over in the show's zone
    result = run_recap(config, now=MONDAY_AFTER.astimezone(UTC))
    episode = result.episode
    assert episode.recap.week == "2026-W47"  # on Monday, the default week is the one just gone
    assert episode.title == "AI 论文早报：上周回顾（11 月 16 日至 11 月 22 日）"
    text, published = said_and_published(config, episode)
    assert text.split("\n\n")[0].endswith("早上好！今天是 2026 年 11 月 23 日，上午 7 点整，星期一。")
    assert not THIS_WEEK_WORDS.search(text) and not THIS_WEEK_WORDS.search(published)
    assert "上周回顾" in published
    closing = text.strip().split("\n\n")[-1]
    assert closing.split("：")[-1].startswith("以上就是上周的论文回顾，我们下次再见。")
    if format == "broadcast":
        assert text.split("\n\n")[1].startswith("这是上周的论文回顾。11 月 16 日至 11 月 19 日")
        assert re.search(r"主题一：[^，]+，上周 \d 篇论文。", text) and "先说趋势。上周 8 篇论文里" in text
        assert "在接下来的项目例会上花十分钟" in text
    elif format == "brief":
        assert text.split("\n\n")[1].startswith("上周回顾简报：11 月 16 日至 11 月 19 日")
    else:  # the host brings in the first theme with the week's count
        assert re.search(r"主题一说起：[^，]+，上周有 \d 篇论文", text)


def test_a_recap_of_a_week_further_back_neither_says_this_week_nor_last(week_show, tmp_path):
    config = copy_of(week_show, tmp_path)
    result = run_recap(config, week=Week(2026, 47), now=datetime(2026, 12, 4, 19, 30, tzinfo=SHANGHAI))
    episode = result.episode
    assert episode.title == "AI 论文早报：一周回顾（11 月 16 日至 11 月 22 日）"
    text, published = said_and_published(config, episode)
    assert not THIS_WEEK_WORDS.search(text + published) and "上周" not in text + published
    assert "这是那一周的论文回顾" in text and "那一周 8 篇论文里" in text
    assert "以上就是那一周的论文回顾，我们下次再见。祝大家周末愉快！" in text


@pytest.mark.parametrize("format", ["broadcast", "conversation", "brief"])
def test_an_english_recap_made_after_its_week_says_last_week(en_week_show, tmp_path, format):
    config = copy_of(en_week_show, tmp_path)
    config = replace(config, show=replace(config.show, format=format))
    episode = run_recap(config, now=MONDAY_AFTER).episode
    assert episode.title == "AI Papers Daily: Last week in review, November 16 to 22"
    text, published = said_and_published(config, episode)
    assert not THIS_WEEK_WORDS.search(text) and not THIS_WEEK_WORDS.search(published)
    assert "That's last week in papers. See you next time!" in text
    if format == "broadcast":
        assert "This is last week in review. From November 16 to 17" in text
        assert re.search(r"Theme one: [^,]+, \d papers? last week\.", text)
        assert re.search(r"(Of l|L)ast week's 4 papers", text) and "At our next project meeting" in text
    elif format == "brief":
        assert "Last week in review, in brief: November 16 to 17" in text


def test_an_english_recap_of_this_week_says_this_week(en_week_show, tmp_path):
    config = copy_of(en_week_show, tmp_path)
    episode = run_recap(config, now=FRIDAY_1700).episode
    assert episode.title == "AI Papers Daily: Week in review, November 16 to 22"
    text, _ = said_and_published(config, episode)
    assert "This is the week in review." in text and re.search(r"(Of t|T)his week's 4 papers", text)
    assert "That's the week in papers. See you next week! Enjoy your weekend!" in text
    assert "last week" not in text.lower()


def test_the_model_is_told_the_week_is_over_and_held_to_it(week_show, tmp_path, web, model):
    requests, plan = model

    def last_week(request):
        answer = json.loads(model_answer(week_of(request)))
        answer["trend"] = answer["trend"].replace("本周", "上周")
        answer["themes"] = [{**t, "summary": t["summary"].replace("本周", "上周")} for t in answer["themes"]]
        answer["recommendations"][0] = "本周内把年报问答做成固定评测集。"  # this week: from now on
        return completion(json.dumps(answer, ensure_ascii=False))

    plan += ["valid", last_week]  # the first answer calls the week "本周"
    config = llm_config(week_show, tmp_path, web)
    episode = run_recap(config, now=MONDAY_AFTER, env={"TEST_LLM_KEY": "sk-local-test"}).episode
    assert len(requests) == 2
    system, user = (m["content"] for m in json.loads(requests[0].body)["messages"])
    assert "这一期回顾的是上周的论文，说到这一周时一律叫“上周”" in system
    assert "上周播报的论文" in user and "本周" not in system + user.split("<week>")[0]
    repair = json.loads(requests[1].body)["messages"][-1]["content"]
    assert '"trend" calls the week "本周", but it is over: say "上周"' in repair
    assert episode.recap.trend == "整体来看，领域化和对齐是上周的两条主线。"
    assert episode.recap.advice[0] == "本周内把年报问答做成固定评测集。"
    assert episode.title == "AI 论文早报：上周回顾（11 月 16 日至 11 月 22 日）"


@pytest.mark.dated
def test_the_command_decides_the_week_by_todays_date(week_show, tmp_path, monkeypatch, capsys):
    config = copy_of(week_show, tmp_path)
    monkeypatch.chdir(config.path.parent)
    assert main(["recap", "--week", "2026-W47", "-q"]) == 0
    with open_store(config.state.dir) as store:
        (episode,) = store.episodes("recap")
    when = recap_when(Week(2026, 47).first, episode.published_at.astimezone(SHANGHAI).date())
    review = {THIS_WEEK: "本周回顾", LAST_WEEK: "上周回顾", EARLIER_WEEK: "一周回顾"}[when]
    assert episode.title == f"AI 论文早报：{review}（11 月 16 日至 11 月 22 日）"


# -- the trend over stored weeks ------------------------------------------------------------------

TOPICS = {  # (English abstract, Chinese title and abstract, English title) of a paper on each
    "agents": (AGENTS, "智能体规划与工具调用", "我们研究大模型智能体如何规划并调用工具，在网页环境里完成多步任务。",
               "Tool-using agents"),
    "distil": (DISTIL, "大模型的知识蒸馏", "我们把大教师模型的知识蒸馏到小的学生模型里。", "Knowledge distillation"),
    "rl": (RL, "可验证奖励的强化学习", "我们用可验证奖励的强化学习训练策略模型。", "Reinforcement learning"),
    "rag": (RAG, "检索增强生成的检索器", "我们改进检索增强生成里的检索器和重排器。", "Retrieval-augmented generation"),
}
# what each paper tries its method on: papers on one topic with one abstract would be one paper
MATERIAL = ("weather reports", "chess games", "poems", "recipes", "train timetables", "crop records", "music scores",
            "museum archives", "sports commentary", "shipping manifests", "hiking trails", "bird songs", "city maps",
            "old newspapers", "film subtitles", "garden plans", "star catalogues", "knitting patterns", "postcards",
            "board games")
# a daily episode each Monday of 2026-W44 to W46, then Monday and Tuesday of W47
HISTORY = {date(2026, 10, 26): ("distil", "distil", "rag"), date(2026, 11, 2): ("distil", "distil", "rl", "rag"),
           date(2026, 11, 9): ("rl", "rl", "agents"),
           date(2026, 11, 16): ("agents", "agents", "distil"), date(2026, 11, 17): ("agents", "distil", "distil")}


@pytest.fixture(scope="module")
def weeks_show(tmp_path_factory) -> Path:
    """Five daily episodes over four weeks, each of the papers a papers file offers that day."""
    root = tmp_path_factory.mktemp("weeks")
    config_text = CONFIG.replace("max_papers = 2", "max_papers = 4").replace("target_minutes = 3", "target_minutes = 6").replace('type = "file"\n',
                                                                            'type = "file"\npath = "papers.json"\n')
    (root / "podcast.toml").write_text(config_text, encoding="utf-8")
    config = load_config(root / "podcast.toml", root)
    for number, (day, topics) in enumerate(HISTORY.items()):
        papers = [{"id": f"2611.{10 * number + n:05d}", "title": f"{TOPICS[topic][3]} for {MATERIAL[4 * number + n]}",
                   "title_zh": f"{TOPICS[topic][1]}（{number}.{n}）",
                   "summary": f"{TOPICS[topic][0]} We try it on {MATERIAL[4 * number + n]} and report what changes.",
                   "summary_zh": TOPICS[topic][2], "authors": ["A. Author"],
                   "url": f"https://arxiv.org/abs/2611.{10 * number + n:05d}"} for n, topic in enumerate(topics)]
        (root / "papers.json").write_text(json.dumps(papers, ensure_ascii=False), encoding="utf-8")
        episode = run_episode(config, now=datetime.combine(day, MONDAY.timetz())).episode
        assert len(episode.papers) == len(topics)
    return root


def test_a_trend_needs_three_earlier_weeks_and_compares_shares(weeks_show, tmp_path):
    config = copy_of(weeks_show, tmp_path)
    recap = run_recap(config, week=Week(2026, 47), now=FRIDAY_1700).episode.recap
    assert [(t.name, len(t.paper_ids)) for t in recap.themes] == [("知识蒸馏", 3), ("智能体", 3)]
    # agents: 3 of 6 papers against 1 of the 10 before; distillation: 3 of 6 against 4 of 10, so not
    # "more" however its 3 papers compare with the 1 a week it had before
    assert recap.trend == ("本周 6 篇论文里，知识蒸馏、智能体最集中，各有 3 篇。"
                           "和前 4 周播报的 10 篇相比，智能体的占比至少翻了一番，是值得跟进的方向。")


def test_no_trend_is_claimed_with_fewer_than_three_earlier_weeks(weeks_show, tmp_path):
    config = copy_of(weeks_show, tmp_path)
    # 2026-W46: two reinforcement learning papers, against one in the two weeks before
    result = run_recap(config, week=Week(2026, 46), now=datetime(2026, 11, 13, 17, 0, tzinfo=SHANGHAI))
    assert result.episode.recap.trend == "本周 3 篇论文里，强化学习最集中，有 2 篇。"
    text = (config.publish.dir / result.episode.transcript_name).read_text(encoding="utf-8")
    assert "先说趋势。本周 3 篇论文里，强化学习最集中，有 2 篇。\n\n对我们的项目" in text
    assert not re.search("变多|翻了一番|占比", text)


def test_the_model_sees_the_weeks_before_only_when_three_had_episodes(weeks_show, tmp_path, web, model):
    requests, _ = model
    config = llm_config(weeks_show, tmp_path, web)
    env = {"TEST_LLM_KEY": "sk-local-test"}
    run_recap(config, week=Week(2026, 47), now=FRIDAY_1700, env=env)
    run_recap(config, week=Week(2026, 46), now=datetime(2026, 11, 13, 17, 0, tzinfo=SHANGHAI), env=env)
    (system, user), (short_system, short_user) = (
        [m["content"] for m in json.loads(r.body)["messages"]] for r in requests)
    earlier = json.loads(user.split("<earlier>\n", 1)[1].split("\n</earlier>", 1)[0])
    assert len(earlier) == 10 and "Tool-using agents for hiking trails" in earlier
    assert "按占比而不是篇数说哪个方向变多了" in system
    assert "<earlier>\n[]\n</earlier>" in short_user
    assert "前几周的记录还不到三周：不要说哪个方向比以前多了或少了" in short_system
