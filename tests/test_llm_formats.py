"""The llm writer's show formats, driven through the real openai client against a local server:
the broadcast's requests as they were, a conversation's turns and a brief's lines, each checked,
asked again once, and written by the template when still bad."""

from __future__ import annotations

import io
import json
import logging
import re
from dataclasses import replace
from pathlib import Path

import pytest

from podcast.config import load_config
from podcast.models import BRIEF, CONVERSATION, Digest, Pick
from podcast.pipeline import run_episode
from podcast.select import Profile, select_papers
from podcast.speak.voices import hosts
from podcast.write.integrity import mere_agreement, speaker_prefix, stage_direction
from podcast.write.template import TemplateWriter

from .conftest import SATURDAY_MORNING, TAX_PROJECT
from .fake_llm import FakeModel, answer_for, completion, paper_of
from .test_llm_integrity import carries, published_text
from .test_llm_writer import ENV, MARKUP, brief, picks, writer

RECORDED = Path(__file__).parent / "data" / "llm" / "broadcast_requests.json"
FIGURE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?%?(?![\w.])")  # a figure as grounding reads it


def conversation_for(request) -> dict:
    """A good conversation on the paper asked about, in the show's language: ten turns taking
    turns, the host first naming the paper; the results with the abstract's first figure."""
    system = json.loads(request.body)["messages"][0]["content"]
    chinese = "简体中文" in system
    paper = paper_of(request)
    figure = (FIGURE.findall(" ".join(paper.get("key_figures", [])) or paper["abstract"]) or ["—"])[0]
    title = paper["title"]
    lines = (ZH_TURNS if chinese else EN_TURNS)
    turns = [{"speaker": ("host", "analyst")[i % 2], "text": line.format(title=title, figure=figure)}
             for i, line in enumerate(lines)]
    return {"title": answer_for(request)["title"], "turns": turns, "notes": answer_for(request)["notes"]}


ZH_TURNS = (
    "今天聊的论文是《{title}》。它想解决什么问题？",
    "它要解决的是长文档里关键信息难找的问题，现有做法又慢又贵。",
    "那它的方法关键在哪里？",
    "关键是先把文档按章节切开，再让模型只读和问题相关的部分。",
    "效果怎么样，论文给了具体数字吗？",
    "给了，论文报告的主要结果是 {figure}，比对照的基线好。",
    "听起来不错，不过有没有让你存疑的地方？",
    "实验只用了公开数据，换到我们的年报上未必一样好，这要自己验证。",
    "那我们团队可以拿它做什么？",
    "先在税务问答数据上复现，再把它接进年报分析的检索环节，和现在的准确率对比。",
)
EN_TURNS = (
    "Today's paper is {title}. What problem does it take on?",
    "Finding the key facts in long documents, which current methods do slowly and at great cost.",
    "So what is the key idea of the method?",
    "It cuts each document into sections and lets the model read only the parts that bear on the question.",
    "Does the paper give figures for how well that works?",
    "It does: the main result it reports is {figure}, ahead of the baseline.",
    "Is there anything that makes you doubt it?",
    "The experiments use public data only, so our annual reports may behave differently.",
    "What could our team do with it?",
    "Reproduce it on our tax questions first, then plug it into the retrieval step of our report analysis.",
)


def brief_for(request) -> dict:
    """A good brief on the paper: one sentence with the abstract's first figure, one on our project."""
    system = json.loads(request.body)["messages"][0]["content"]
    chinese = "简体中文" in system
    paper = paper_of(request)
    figures = FIGURE.findall(paper["abstract"])
    found = f"，主要结果是 {figures[0]}" if chinese and figures else f", reaching {figures[0]}" if figures else ""
    summary = (f"论文《{paper['title']}》把长文档按章节切开再读{found}。它能直接用在我们的年报分析上。" if chinese
               else f"{paper['title']} reads long documents section by section{found}. "
                    "It fits our report analysis directly.")
    return {"title": answer_for(request)["title"], "summary": summary, "notes": answer_for(request)["notes"]}


class FormatModel(FakeModel):
    """The fake model answering as each format asks: a conversation's turns, a brief's line, the
    broadcast's segment; ``script`` as FakeModel's."""

    def __call__(self, request):
        title = paper_of(request)["title"]
        plan = self.script.get(title, ["valid"])
        system = json.loads(request.body)["messages"][0]["content"]
        good = conversation_for if "两人对谈" in system or "conversation of two" in system \
            else brief_for if "快讯" in system or "as a brief" in system else None
        if good is None or plan[min(self.per_paper[title], len(plan) - 1)] != "valid":
            return super().__call__(request)
        self.requests.append(request)
        self.per_paper[title] += 1
        return as_reply(good)(request)


def as_reply(make):
    return lambda request: completion(json.dumps(make(request), ensure_ascii=False))


@pytest.fixture
def model(web):
    fake = FormatModel()
    web.routes["/v1/chat/completions"] = fake
    return fake


def talk(language="zh-CN", units=300):
    return replace(brief(language, units), format=CONVERSATION, hosts=hosts(language))


def brief_show(language="zh-CN"):
    return replace(brief(language), format=BRIEF)


def sent(request) -> list[dict]:
    return json.loads(request.body)["messages"]


def broadcast_requests(web, model, tmp_path, sample_papers) -> list[dict]:
    """What the broadcast asks the model, in both languages: a paper read in full, one asked again
    after an answer with two steps, the English show in json_schema mode."""
    chosen = picks(sample_papers, 2)
    digest = Digest("html", sections=(("method", "We segment each filing into its sections."),
                                      ("results", "The extractor reaches 87.6% accuracy.")),
                    captions=("Table 2: accuracy per section.",),
                    figures=("The extractor reaches 87.6% accuracy on held-out filings.",))
    read = Pick(replace(chosen[0].paper, digest=digest), chosen[0].score)
    model.script[chosen[1].paper.title] = ["two_steps", "valid"]
    writer(web, tmp_path / "zh", concurrency=1).write([read, chosen[1]], brief())
    writer(web, tmp_path / "en", json_mode="json_schema").write(chosen[:1], brief("en-US", units=150))
    return [json.loads(request.body) for request in model.requests]


def test_the_broadcast_asks_exactly_what_it_asked_before_the_formats(web, model, tmp_path, sample_papers):
    """Recorded from the writer before the show had formats: every request the same."""
    assert broadcast_requests(web, model, tmp_path, sample_papers) == json.loads(RECORDED.read_text("utf-8"))




# -- a conversation --------------------------------------------------------------------------------------------


def test_a_good_conversation_becomes_alternating_turns_of_both_hosts(web, model, tmp_path, sample_papers):
    chosen = [replace(pick, paper=replace(pick.paper, digest=None, digest_zh=None))  # its figures: the abstract's
              for pick in picks(sample_papers, 2)]
    llm = writer(web, tmp_path)
    script = llm.write(chosen, talk())
    system = sent(model.requests[0])[0]["content"]
    assert "云扬是主持人" in system and "晓晓是分析师" in system and "约 8 轮" in system and "约 300 字" in system
    assert '"turns"' in system and '"summary"' not in system
    assert script.format == CONVERSATION and [host.name for host in script.hosts] == ["云扬", "晓晓"]
    for pick, segment in zip(chosen, script.segments, strict=True):
        assert segment.title == f"中文标题：{pick.paper.title}"
        assert segment.parts[0] == f"第 {segment.number} 篇论文。"
        assert segment.speakers == (0, *[i % 2 for i in range(10)])  # the heading, then the turns
        assert segment.parts[1].startswith(f"今天聊的论文是《{pick.paper.title}》")
        figure = FIGURE.findall(pick.paper.summary)[0]
        assert f"主要结果是 {figure}" in " ".join(segment.parts)
        assert segment.notes.stars == 4
    assert not MARKUP.search(script.text()) and llm.standin() is None

    again = writer(web, tmp_path)  # from the cache, the same
    assert again.write(chosen, talk()).text() == script.text() and again.usage["calls"] == 0


def test_an_english_conversation_in_json_schema_mode(web, model, tmp_path, sample_papers):
    script = writer(web, tmp_path, json_mode="json_schema").write(picks(sample_papers, 1), talk("en-US", 150))
    body = json.loads(model.requests[0].body)
    system = body["messages"][0]["content"]
    assert "Andrew is the host" in system and "Emma is the analyst" in system and "here about 8" in system
    assert "say it in English" in system  # the project is described in Chinese
    schema = body["response_format"]["json_schema"]
    assert schema["name"] == "paper_conversation"
    assert schema["schema"]["properties"]["turns"]["items"]["properties"]["speaker"]["enum"] == ["host", "analyst"]
    segment = script.segments[0]
    assert segment.parts[0] == "Paper 1." and segment.parts[1].startswith("Today's paper is")
    assert set(segment.speakers[1:]) == {0, 1}


def with_turn(number, text, speaker=None):
    """A good conversation with turn ``number`` (from 1) saying ``text`` (by ``speaker``)."""
    def make(request):
        answer = conversation_for(request)
        turn = answer["turns"][number - 1]
        turn["text"] = text.format(title=paper_of(request)["title"], old=turn["text"])
        if speaker:
            turn["speaker"] = speaker
        return answer
    return make


def test_a_figure_not_in_the_paper_is_dropped_and_a_turn_left_without_words_is_asked_again(
        web, model, tmp_path, sample_papers, caplog):
    pick = picks(sample_papers, 1)[0]
    invented = with_turn(6, "{old}而且速度快了 7.7 倍。")
    model.script[pick.paper.title] = [as_reply(invented)]
    segment = writer(web, tmp_path).write([pick], talk()).segments[0]
    assert len(model.requests) == 1 and "7.7" not in " ".join(segment.parts)
    assert segment.parts[6].startswith("给了，论文报告的主要结果是")  # the rest of the turn stays
    assert f"Paper {pick.paper.id}: dropped a sentence with 7.7, a figure not in the paper" in caplog.text

    only = with_turn(6, "速度快了 7.7 倍。")
    model.script[pick.paper.title] = [as_reply(only), "valid"]
    model.per_paper.clear()
    again = writer(web, tmp_path / "other").write([pick], talk()).segments[0]
    assert len(model.requests) == 3
    repair = sent(model.requests[-1])[-1]["content"]
    assert repair.startswith("上面的回答不能用：")
    assert "every sentence of turn 6 states a figure that is not in the paper; say it without the figure" in repair
    assert "7.7" not in " ".join(again.parts) and len(again.parts) == 11


def test_a_turn_still_without_words_leaves_the_conversation_to_the_template(web, model, tmp_path, sample_papers,
                                                                            caplog):
    pick = picks(sample_papers, 1)[0]
    model.script[pick.paper.title] = [as_reply(with_turn(6, "速度快了 7.7 倍。"))]
    llm = writer(web, tmp_path)
    text = llm.text(pick, talk())
    assert len(model.requests) == 2
    assert text.turns == TemplateWriter(None).text(pick, talk()).turns  # whatever the template says
    assert text.title == f"中文标题：{pick.paper.title}" and text.notes.stars == 4  # the model's stay
    assert (f"Paper {pick.paper.id}: the template writes its conversation: every sentence of turn 6 states a "
            "figure that is not in the paper.") in caplog.text
    assert llm.standin() == "template script writer for parts of 1 paper"


def english(request):
    answer = conversation_for(request)
    for turn, line in zip(answer["turns"], EN_TURNS, strict=True):
        turn["text"] = line.format(title=paper_of(request)["title"], figure="the figure")
    return answer


def repeats(request):
    answer = conversation_for(request)
    answer["turns"][8]["text"] = answer["turns"][6]["text"]
    return answer


def merely_agrees(request):
    answer = conversation_for(request)
    answer["turns"][7]["text"] = "对，没错。"
    return answer


BAD_TURNS = {  # what a model says, what the repair request says about it, what must not be published
    "not alternating": (with_turn(4, "{old}", speaker="host"),
                        "the speakers must alternate, but turns 3 and 4, turns 4 and 5 have the same speaker", None),
    "a name prefix": (with_turn(2, "晓晓：它要解决的是长文档里信息难找的问题，这很常见。"),
                      # the transcripts name each turn's speaker themselves ("晓晓：" is theirs):
                      # what must not be published is the labelled turn's own words
                      'turn 2 begins with the speaker\'s name "晓晓："', "信息难找的问题，这很常见"),
    "english": (english, "is written in English", "Finding the key facts"),
    "an address": (with_turn(8, "{old}代码在 https://evil.example/code 可以下载。"),
                   '"turns[8]" contains a web address (https://evil.example/code)', "evil.example"),
    "a repeated turn": (repeats, '"turns[9]" repeats "turns[7]"', None),
    "a stage direction": (with_turn(7, "（笑）听起来太好了，有没有让你存疑的地方？"),
                          'turn 7 has a stage direction or laughter, "（笑）"', "（笑）"),
    "mere agreement": (merely_agrees, 'turn 8 only agrees ("对，没错。")', "对，没错"),
    "the analyst first": (with_turn(1, "{old}", speaker="analyst"),
                          "the host must speak first", None),
}


@pytest.mark.parametrize("bad", BAD_TURNS)
def test_a_bad_conversation_is_asked_again_saying_why(web, model, tmp_path, sample_papers, bad):
    pick = picks(sample_papers, 1)[0]
    make, why, _ = BAD_TURNS[bad]
    model.script[pick.paper.title] = [as_reply(make), "valid"]
    segment = writer(web, tmp_path).write([pick], talk()).segments[0]
    repair = sent(model.requests[1])[-1]["content"]
    assert repair.startswith("上面的回答不能用：") and why in repair, repair
    assert segment.parts[1].startswith(f"今天聊的论文是《{pick.paper.title}》")  # the second answer
    assert segment.speakers[1:] == tuple(i % 2 for i in range(10))


def test_every_problem_is_listed_in_one_repair_request(web, model, tmp_path, sample_papers):
    pick = picks(sample_papers, 1)[0]

    def many(request):
        answer = with_turn(2, "晓晓：（笑）{old}")(request)
        answer["turns"][4]["speaker"] = "analyst"
        return answer

    model.script[pick.paper.title] = [as_reply(many), "valid"]
    writer(web, tmp_path).write([pick], talk())
    repair = sent(model.requests[1])[-1]["content"]
    assert "turns 4 and 5, turns 5 and 6 have the same speaker" in repair and 'begins with the speaker\'s name "晓晓："' in repair


@pytest.mark.parametrize("bad", BAD_TURNS)
def test_a_conversation_bad_twice_is_the_templates(web, model, tmp_path, sample_papers, bad, caplog):
    pick = picks(sample_papers, 1)[0]
    make, why, _ = BAD_TURNS[bad]
    model.script[pick.paper.title] = [as_reply(make)]
    llm = writer(web, tmp_path)
    text = llm.text(pick, talk())
    assert len(model.requests) == 2
    assert text == TemplateWriter(None).text(pick, talk())
    assert llm.standin() == "template script writer for 1 paper"
    line = next(record.getMessage() for record in caplog.records if record.levelno == logging.WARNING)
    assert line.startswith(f"Paper {pick.paper.id}: the answer was unusable twice (") and why in line
    assert line.endswith("; the template writes this paper's conversation instead.")


@pytest.mark.parametrize("text", ["晓晓：它做了三件事。", "主持人: 今天聊什么？", "[Analyst]: It does three things.",
                                  "Emma: right.", "**Host**: welcome back.", "A：先说问题。"])
def test_speaker_labels_are_found(text):
    assert speaker_prefix(text, ["晓晓", "Emma"])


@pytest.mark.parametrize("text", ["晓晓，你怎么看？", "Emma, what did they find?", "问题在于：数据太少。",
                                  "Analysts often miss this: the data is old.", "Qwen2.5: a model we use."])
def test_words_to_a_host_are_no_label(text):
    assert speaker_prefix(text, ["晓晓", "Emma"]) is None


@pytest.mark.parametrize("text", ["（笑）说得好。", "(laughs) Fair point.", "[pauses] Well.", "*sighs* Right.",
                                  "【停顿】接着说。", "哈哈，这个有意思。", "Haha, that is neat."])
def test_stage_directions_and_laughter_are_found(text):
    assert stage_direction(text)


@pytest.mark.parametrize("text", ["知识蒸馏（knowledge distillation）很常用。", "(node embeddings) help.",
                                  "They use a pause token [PAUSE] in training.", "图神经网络（GNN）的节点。",
                                  "The music generation task (MusicCaps) is harder."])
def test_terms_in_brackets_are_no_stage_direction(text):
    assert stage_direction(text) is None


def test_a_turn_that_only_agrees():
    assert mere_agreement("对，没错。") and mere_agreement("Exactly!") and mere_agreement("Yes, indeed.")
    assert not mere_agreement("对，而且它比基线快。") and not mere_agreement("Right, and it is cheaper too.")
    assert not mere_agreement("对比实验显示它更好。")


# -- a brief ---------------------------------------------------------------------------------------------------


def test_a_brief_is_a_line_a_paper(web, model, tmp_path, sample_papers):
    chosen = picks(sample_papers, 3)
    llm = writer(web, tmp_path)
    script = llm.write(chosen, brief_show())
    system = sent(model.requests[0])[0]["content"]
    assert "不超过 80 字" in system and '"thoughts"' not in system and '"turns"' not in system
    assert script.format == BRIEF and len(model.requests) == 3
    for number, (pick, segment) in enumerate(zip(chosen, script.segments, strict=True), start=1):
        assert segment.parts == (f"第 {number} 篇，中文标题。论文《{pick.paper.title}》把长文档按"
                                 f"章节切开再读，主要结果是 {FIGURE.findall(pick.paper.summary)[0]}。"
                                 "它能直接用在我们的年报分析上。",)
        assert segment.notes.one_line == "一句话概括。"
    assert llm.standin() is None

    english = writer(web, tmp_path / "en").write(chosen[:1], brief_show("en-US"))
    assert "at most 45 words" in sent(model.requests[-1])[0]["content"]
    # a brief says a long title shortened (write.base.brief_title)
    assert english.segments[0].parts[0].startswith(
        "Number 1: A Scalable Data-Driven Framework for Systematic Analysis of SEC 10-K. ")


def too_long(request):
    answer = brief_for(request)
    answer["summary"] += "它的方法分成三个阶段，每个阶段都有自己的模型和数据，作者还做了大量的消融实验来说明每个部分的作用。" * 2
    return answer


def test_a_brief_too_long_is_asked_again_then_the_templates(web, model, tmp_path, sample_papers, caplog):
    pick = picks(sample_papers, 1)[0]
    model.script[pick.paper.title] = [as_reply(too_long), "valid"]
    text = writer(web, tmp_path).text(pick, brief_show())
    repair = sent(model.requests[1])[-1]["content"]
    assert re.search(r'"summary" is \d+ characters long, beyond the brief\'s 80; say it in one or two shorter', repair)
    assert text.summary.endswith("它能直接用在我们的年报分析上。")

    model.script[pick.paper.title] = [as_reply(too_long)]
    llm = writer(web, tmp_path / "again")
    text = llm.text(pick, brief_show())
    assert text.summary == TemplateWriter(None).text(pick, brief_show()).summary  # whatever the template says
    assert text.title == f"中文标题：{pick.paper.title}"  # the model's
    assert re.search(rf"Paper {pick.paper.id}: the template writes its brief: the model's is \d+ characters long, "
                     r"beyond the brief's 80\.", caplog.text)
    assert llm.standin() == "template script writer for parts of 1 paper"


def test_a_brief_with_an_invented_figure_then_an_address_is_the_templates(web, model, tmp_path, sample_papers,
                                                                          caplog):
    pick = picks(sample_papers, 1)[0]

    def invents(request):
        return {**brief_for(request), "summary": "准确率高达 99.9%。"}

    def links(request):
        answer = brief_for(request)
        answer["summary"] += "详见 www.evil.example。"
        return answer

    model.script[pick.paper.title] = [as_reply(invents), as_reply(links)]
    text = writer(web, tmp_path).text(pick, brief_show())
    repair = sent(model.requests[1])[-1]["content"]
    assert 'every sentence of "summary" states a figure that is not in the paper' in repair
    assert text == TemplateWriter(None).text(pick, brief_show())
    assert f"Paper {pick.paper.id}: the answer was unusable twice" in caplog.text
    assert "the template writes this paper's brief instead." in caplog.text


# -- whole episodes --------------------------------------------------------------------------------------------


def show_config(web, tmp_path, papers: int, minutes: int, show: str = "") -> Path:
    path = tmp_path / "podcast.toml"
    path.write_text(f"""
[show]
max_papers = {papers}
target_minutes = {minutes}
{show}
[listener]
project = "{TAX_PROJECT}"
[selection]
min_score = 0
[[sources]]
type = "file"
[fulltext]
enabled = false
[writer]
type = "llm"
[tts]
engine = "espeak"
[publish]
base_url = "https://show.example.org/"
[llm]
base_url = "{web.url('/v1')}"
model = "test-model"
api_key_env = "TEST_LLM_KEY"
""", encoding="utf-8")
    return path


@pytest.mark.slow
def test_no_bad_turn_reaches_any_published_file(web, model, tmp_path, sample_papers, caplog):
    bad = {name: BAD_TURNS[name] for name in ("a name prefix", "english", "an address", "a stage direction",
                                              "mere agreement")}
    chosen = [pick.paper for pick in select_papers(sample_papers, Profile(TAX_PROJECT), len(bad) + 1).picks]
    for paper, (make, _, _) in zip(chosen, bad.values(), strict=False):
        model.script[paper.title] = [as_reply(make)]
    # a conversation takes at least 80 s a paper: six of them need 10 minutes
    config = load_config(show_config(web, tmp_path, len(chosen), 10, 'format = "conversation"'), tmp_path)
    with caplog.at_level(logging.INFO):
        result = run_episode(config, now=SATURDAY_MORNING, env=ENV)
    assert [paper.id for paper in result.episode.papers] == [paper.id for paper in chosen]
    assert f"template script writer for {len(bad)} papers" in result.standins
    for paper, (_, why, _) in zip(chosen, bad.values(), strict=False):  # asked again once, then the template's
        assert model.per_paper[paper.title] == 2
        assert any(record.levelno == logging.WARNING and record.getMessage().startswith(f"Paper {paper.id}: ")
                   and why in record.getMessage() and record.getMessage().endswith("conversation instead.")
                   for record in caplog.records), (paper.id, why)
    assert model.per_paper[chosen[-1].title] == 1

    files = published_text(config.publish.dir)
    assert "episodes/2026-11-21.txt" in files and "episodes/2026-11-21.mp3" in files
    for name, data in files.items():
        for (_, _, text) in bad.values():
            assert not carries(data, text), f"{text!r} reached {name}"
        assert not carries(data, "Finding the key facts") and not carries(data, "evil.example")
    transcript = files["episodes/2026-11-21.txt"].decode("utf-8")
    assert f"今天聊的论文是《{chosen[-1].title}》" in transcript  # the good answer, said


def check_feed(feed: Path) -> list:
    """The feed parses in feedparser and podcastparser; its entries."""
    import feedparser
    import podcastparser

    xml = (feed / "feed.xml").read_bytes()
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    show = podcastparser.parse("https://show.example.org/feed.xml", io.BytesIO(xml))
    assert len(show["episodes"]) == len(parsed.entries) == 1
    return parsed.entries


@pytest.mark.slow
@pytest.mark.parametrize("form", [CONVERSATION, BRIEF])
def test_podcast_run_in_a_format_with_the_model_publishes_an_episode(web, model, tmp_path, form):
    from .test_cli import podcast

    show_config(web, tmp_path, 2, 4)  # room for two papers in conversation (80 s each at least)
    run = podcast("run", "--date", "2026-11-21", "--format", form, cwd=tmp_path, env=ENV)
    assert run.returncode == 0, run.stderr
    assert "Script by test-model: 2 calls (0 answers from cache)" in run.stdout
    assert "template" not in run.stdout
    system = sent(model.requests[0])[0]["content"]
    assert ("两人对谈" if form == CONVERSATION else "快讯") in system
    feed = tmp_path / "feed"
    (entry,) = check_feed(feed)
    transcript = (feed / "episodes" / "2026-11-21.txt").read_text(encoding="utf-8")
    assert not MARKUP.search(transcript)
    if form == CONVERSATION:
        assert transcript.count("今天聊的论文是《") == 2 and "主要结果是" in transcript
        assert "中文标题：" in entry.content[0].value  # the chapters' titles, the model's
    else:
        # a brief says a title's part before its colon
        assert "第 1 篇，中文标题。" in transcript and "第 2 篇，中文标题。" in transcript
        assert "以下是我的思考" not in transcript
    assert (feed / "episodes" / "2026-11-21.mp3").stat().st_size > 10_000
    assert "★★★★☆ 值得一读。" in entry.content[0].value
