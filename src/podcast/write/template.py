"""The ``template`` writer: the offline stand-in for the LLM writer.

The daily show: it reads each paper's own summary and relates it to the project through the
topics the two share, suggesting steps from a hand-written plan per topic. The weekly recap:
themes by lexical clustering, the trend from topic counts against the weeks before, advice from
the same plans. Honest and predictable, if plainer than a language model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..i18n import how_many, is_chinese
from ..models import HISTORY_WEEKS, Paper, Pick, ShowNotes, Theme, WeekPapers
from ..select.cluster import group, topic_counts
from ..select.topics import TOPICS_BY_KEY, find_topics
from ..speak.timing import SHARES, speech_units
from .base import WRITERS, Brief, PaperText, RecapBrief, RecapText, Writer
from .speakable import speakable

ONE_LINE_UNITS = 70  # speech units of each paper's line in an offline theme summary

# Two concrete steps per topic: (Chinese, English).
PLANS: dict[str, tuple[tuple[str, str], ...]] = {
    "finetuning": (
        ("用论文的微调方法，在我们自己的领域数据上训练一个小规模的对照版本。",
         "Apply the paper's fine-tuning recipe in a small run on our own domain data, "
         "next to our current recipe."),
        ("在同一个评测集上比较两个版本的效果和训练成本，决定要不要换掉现在的方案。",
         "Compare both runs on the same evaluation set, for quality and training cost, "
         "and decide whether to switch."),
    ),
    "rl": (
        ("梳理我们任务里能自动判分的环节，把它们做成奖励信号。",
         "List the parts of our task that can be scored automatically "
         "and turn them into reward signals."),
        ("在监督微调后的模型上按论文的方法做一轮强化学习，看效果是否稳定提升。",
         "Run one round of reinforcement learning on our fine-tuned model as the paper does, "
         "and check the gain is stable."),
    ),
    "alignment": (
        ("从线上日志里整理一批好回答和差回答，组成偏好数据。",
         "Collect pairs of good and bad answers from our logs as preference data."),
        ("按论文的对齐方法训练，重点检查回答是否更符合业务规范。",
         "Train with the paper's alignment method and check "
         "that answers follow our business rules better."),
    ),
    "distillation": (
        ("用我们现有的大模型当教师，挑一个小模型当学生，按论文的方法做一次蒸馏。",
         "Use our current large model as the teacher and a small one as the student, "
         "and distil as the paper does."),
        ("对比蒸馏前后的准确率和推理延迟，判断小模型能否承担一部分线上流量。",
         "Compare accuracy and latency before and after, "
         "and decide whether the small model can take some live traffic."),
    ),
    "data": (
        ("对照论文的数据处理流程，检查我们领域数据的收集、清洗和标注环节。",
         "Hold our collection, cleaning and labelling of domain data "
         "against the paper's data pipeline."),
        ("挑一个薄弱环节按论文的方法改进，用同一个模型重新训练，看数据质量带来多少提升。",
         "Fix the weakest step the paper's way, retrain the same model, "
         "and measure what better data buys us."),
    ),
    "evaluation": (
        ("参考论文的评测方法，为我们的项目补充一组贴近真实业务的测试题。",
         "Following the paper's evaluation, add a set of test questions drawn from our real work."),
        ("把这组测试接入每次训练后的自动评测，持续跟踪模型的变化。",
         "Run that set automatically after every training run, "
         "so we see every change in the model."),
    ),
    "reasoning": (
        ("从我们的业务里挑出需要多步推理的问题，整理成专门的测试集。",
         "Pick the questions in our work that need several steps of reasoning "
         "and make them a test set."),
        ("试用论文提出的方法，看模型在这类问题上的正确率能提高多少。",
         "Try the paper's method and measure how much it raises accuracy on those questions."),
    ),
    "retrieval": (
        ("把我们的领域资料整理成可检索的知识库，标好来源和更新时间。",
         "Turn our domain documents into a searchable knowledge base, "
         "with source and date on every entry."),
        ("按论文的思路改进检索和生成的衔接，用真实问题比较回答的准确率。",
         "Improve how retrieval feeds generation as the paper suggests, "
         "and compare accuracy on real questions."),
    ),
    "agents": (
        ("画出我们业务流程里可以交给智能体的步骤，以及每一步需要调用的工具。",
         "Map the steps of our workflow an agent could take over, and the tools each step needs."),
        ("按论文的设计先做一个只读不写的原型，在小范围内试用。",
         "Build a read-only prototype following the paper's design "
         "and try it with a few colleagues."),
    ),
    "efficiency": (
        ("测一下我们现在模型的推理延迟和每千次调用的成本，作为基线。",
         "Measure our model's current latency and cost per thousand calls as a baseline."),
        ("按论文的方法做优化，在准确率不下降的前提下比较延迟和成本。",
         "Optimise the paper's way and compare latency and cost at unchanged accuracy."),
    ),
    "long_context": (
        ("统计我们业务里长文档的长度分布，找出现在处理不好的长输入。",
         "Chart the lengths of our long documents and find the inputs we handle badly today."),
        ("用论文的方法处理这些长输入，比较回答的完整性和成本。",
         "Process those inputs with the paper's method and compare completeness and cost."),
    ),
    "safety": (
        ("列出我们项目里涉及的敏感信息和可能的风险场景。",
         "List the sensitive data our project touches and the ways it could leak or be misused."),
        ("参考论文的做法补上防护措施，并加进上线前的检查清单。",
         "Add the paper's safeguards where they fit, and put them on our pre-release checklist."),
    ),
    "code": (
        ("收集我们项目里常见的代码类任务，比如数据处理脚本和接口调用。",
         "Collect the coding tasks our project has, such as data scripts and API calls."),
        ("按论文的发现调整任务拆分方式，比较一次生成和分步生成的成功率。",
         "Split those tasks the way the paper recommends "
         "and compare success rates of one-shot and stepwise generation."),
    ),
    "multimodal": (
        ("盘点我们业务里的图片、表格和扫描件，看哪些信息现在还用不上。",
         "Inventory the images, tables and scans in our work that the model cannot use yet."),
        ("用论文的方法做一个小实验，验证多模态输入能否提高回答质量。",
         "Run a small experiment with the paper's method "
         "to see whether those inputs improve answers."),
    ),
    "finance": (
        ("看看论文处理财务文本的方法，哪些可以直接用在我们的领域资料上。",
         "See which of the paper's ways of handling financial text "
         "apply directly to our documents."),
        ("挑几份真实的财税文档试跑一遍，把结果交给业务同事评估。",
         "Try it on a few real finance and tax documents "
         "and have domain colleagues judge the results."),
    ),
    "health": (
        ("借鉴论文在医疗这种高要求场景下的做法，整理我们项目的合规要求。",
         "Borrow how the paper works in a demanding field like medicine "
         "to write down our own compliance needs."),
        ("把其中适用的流程设计加入我们系统方案的评审。",
         "Bring the parts of its process design that fit into our next design review."),
    ),
    "education": (
        ("参考论文处理边界案例的办法，收集我们业务里模型容易判错的案例。",
         "Following how the paper treats edge cases, collect the cases our model gets wrong most."),
        ("用这些案例改进提示词或训练数据，再复测判错率。",
         "Use them to improve prompts or training data, then measure the error rate again."),
    ),
    "domain": (
        ("对照论文的领域适配流程，检查我们从通用模型到领域模型的每一步。",
         "Check each step from general model to domain model "
         "against the paper's adaptation process."),
        ("选一个细分场景按论文的方法试做，比较通用模型和领域模型的差距。",
         "Try the method on one narrow scenario and compare the general and the domain model."),
    ),
}

_FIRST_STEP = (
    "先花半小时读论文的方法和实验部分，记下它解决的问题对应我们项目里的哪个环节。",
    "Spend half an hour on the paper's method and experiments, "
    "and note which part of our project it maps to.",
)
_LAST_STEP = (
    "把试验结果和下一步计划带到本周的项目例会上讨论。",
    "Bring the results and a proposed next step to this week's project meeting.",
)
GENERIC = (
    ("想一想论文的核心思路能不能迁移到我们的数据和任务上，写下一个可以验证的假设。",
     "Ask whether the paper's core idea carries over to our data and tasks, "
     "and write down one testable hypothesis."),
    ("用一个小实验验证这个假设，控制在一两天的工作量以内。",
     "Test that hypothesis with a small experiment of no more than a day or two of work."),
)
_ZH_COUNT = "零一两三四五六七八九十"


@WRITERS.register("template")
class TemplateWriter(Writer):
    offline = True
    stands_in = True

    def text(self, pick: Pick, brief: Brief) -> PaperText:
        paper, language = pick.paper, brief.language
        summary = paper.summary_for(language)
        shortened = shorten(summary, brief.paper_units * SHARES["summary"], language)
        topics = list(pick.topics)
        plan_topic = next(iter(topics or find_topics(f"{paper.title} {paper.summary}")), None)
        pick_language = 0 if is_chinese(language) else 1
        plans = PLANS.get(plan_topic, GENERIC) if plan_topic is not None else GENERIC
        plan = [step[pick_language] for step in plans]
        first, last = _FIRST_STEP[pick_language], _LAST_STEP[pick_language]
        steps = [*plan, last]  # three steps at least; the reading step when time allows
        if speech_units(" ".join([first, *steps]), language) <= brief.paper_units * SHARES["steps"]:
            steps.insert(0, first)
        return PaperText(
            title=paper.title_for(language),
            summary=shortened,
            thoughts=_thoughts(pick, brief, plan_topic, len(steps)),
            steps=tuple(steps),
            notes=ShowNotes(one_line=shorten(summary, 1, language)),
        )

    def recap(self, brief: RecapBrief) -> RecapText:
        """Themes by lexical clustering, each summed up from its papers' own one-line notes; the
        trend from topic counts against the weeks before; advice from the plans."""
        language, week = brief.language, brief.week
        groups = group(week.papers)
        themes = tuple(Theme(_theme_name(topic, language), _theme_summary(papers, brief),
                             tuple(p.id for p in papers))
                       for topic, papers in groups)
        return RecapText(themes, _trend(groups, week, language),
                         _advice([topic for topic, _ in groups], language))

    def standin(self) -> str | None:
        return f"template {self.wrote} writer"


def _thoughts(pick: Pick, brief: Brief, plan_topic: str | None, step_count: int) -> str:
    chinese = is_chinese(brief.language)
    project = _first_clause(speakable(brief.project, brief.language))
    labels = [TOPICS_BY_KEY[key].label(brief.language) for key in pick.topics[:3]]
    if chinese:
        lead = f"对于我们的项目，也就是{project}，"
        if labels:
            relation = f"这篇论文在{'、'.join(labels)}方面直接用得上。"
        elif plan_topic:
            label = TOPICS_BY_KEY[plan_topic].label(brief.language)
            relation = f"这篇论文没有直接的交集，不过它在{label}上的做法值得借鉴。"
        else:
            relation = "这篇论文关系不大，可以作为拓宽视野的阅读。"
        return f"{lead}{relation}建议分{_ZH_COUNT[step_count]}步来做："
    lead = f"Think of what we are working on. {project}."
    if labels:
        relation = f"This paper bears directly on it through {and_list(labels)}."
    elif plan_topic:
        label = TOPICS_BY_KEY[plan_topic].label(brief.language)
        relation = (f"This paper does not touch it directly, but its approach to {label} "
                    "is worth borrowing.")
    else:
        relation = "This paper is far from it; read it to widen the view."
    return f"{lead} {relation} I suggest {step_count} steps:"


def _first_clause(text: str) -> str:
    """The project description up to its first clause break, without the break."""
    text = " ".join(text.split())
    return re.split(r"[：:；;。！？!?]|\.(?:\s|$)", text, maxsplit=1)[0].strip(" ，,")


def and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def shorten(text: str, limit: float, language: str) -> str:
    """Whole sentences of ``text`` up to about ``limit`` units of speech (one at least)."""
    text = " ".join(text.split())
    if speech_units(text, language) <= limit:
        return text
    kept = ""
    for sentence in re.findall(r".+?(?:[。！？]|[.!?](?=\s)|$)\s*", text):
        if kept and speech_units(kept + sentence, language) > limit:
            break
        kept += sentence
    return kept.strip()


def _theme_summary(papers: Sequence[Paper], brief: RecapBrief) -> str:
    chinese = is_chinese(brief.language)
    lines = []
    for paper in papers:
        notes = brief.week.notes.get(paper.id)
        title = (notes.title if notes else "") or paper.title_for(brief.language)
        line = (notes.one_line if notes else "") or paper.summary_for(brief.language)
        line = shorten(line, ONE_LINE_UNITS, brief.language).rstrip("。.")
        lines.append(f"《{title}》：{line}。" if chinese else f"{title}: {line}.")
    return "\n\n".join(lines)


def _theme_name(topic: str | None, language: str) -> str:
    if topic is None:
        return "其他方向" if is_chinese(language) else "Other directions"
    return TOPICS_BY_KEY[topic].label(language)


def _trend(groups: Sequence[tuple[str | None, Sequence[Paper]]], week: WeekPapers,
           language: str) -> str:
    """Where the week's papers concentrate, and which topics grew against the weeks before."""
    chinese = is_chinese(language)
    total = len(week.papers)
    topic, papers = groups[0]
    name = _theme_name(topic, language)
    if chinese:
        text = f"本周 {total} 篇论文里，{name}最集中，有 {len(papers)} 篇。"
    else:
        text = f"Of this week's {counted_papers(total)}, {name} had the most: {len(papers)}."
    if not week.earlier:
        return text + ("这是我们积累的第一周，趋势要再看几周才清楚。" if chinese else
                       " This is our first week on record, "
                       "so the trend will take a few more weeks to show.")
    now, before = topic_counts(week.papers), topic_counts(week.earlier)
    per_week = {key: count / HISTORY_WEEKS for key, count in before.items()}
    rising = [key for key, count in now.most_common()
              if count >= 2 and count > 2 * per_week.get(key, 0.0)]
    labels = [TOPICS_BY_KEY[key].label(language) for key in rising[:3]]
    earlier = len(week.earlier)
    if chinese:
        if labels:
            return text + (f"和前 {HISTORY_WEEKS} 周的 {earlier} 篇相比，"
                           f"{'、'.join(labels)}明显变多了，是值得跟进的方向。")
        return text + f"和前 {HISTORY_WEEKS} 周的 {earlier} 篇相比，各个方向的比重变化不大。"
    if labels:
        worth = "directions worth following" if len(labels) > 1 else "a direction worth following"
        return text + (f" Against the {counted_papers(earlier)} of the {HISTORY_WEEKS} weeks "
                       f"before, {and_list(labels)} clearly grew: {worth}.")
    return text + (f" Against the {counted_papers(earlier)} of the {HISTORY_WEEKS} weeks before, "
                   "the mix barely changed.")


def counted_papers(number: int) -> str:
    return how_many(number, "paper", "en-US")


def _advice(topics: Sequence[str | None], language: str) -> tuple[str, ...]:
    """One concrete step per leading theme (three at most), then the meeting to decide."""
    pick = 0 if is_chinese(language) else 1
    steps = []
    for topic in topics[:3]:
        step = PLANS.get(topic, GENERIC)[0][pick] if topic else GENERIC[0][pick]
        if step not in steps:
            steps.append(step)
    if len(steps) < 2:  # one theme: its whole plan
        plans = PLANS.get(topics[0], GENERIC) if topics and topics[0] else GENERIC
        steps = [step[pick] for step in plans]
    steps.append("下周的项目例会上花十分钟过一遍这几个主题，定下先试哪一个、由谁负责。"
                 if pick == 0 else
                 "At next week's project meeting, spend ten minutes on these themes "
                 "and decide which to try first, and who.")
    return tuple(steps)


