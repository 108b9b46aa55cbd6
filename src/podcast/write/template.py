"""The ``template`` writer: an offline stand-in for the LLM writer.

It reads each paper's own summary and relates it to the project through the topics the two
share, suggesting steps from a hand-written plan per topic. Honest and predictable, if plainer
than a language model.
"""

from __future__ import annotations

import re

from ..i18n import is_chinese
from ..models import Pick, ShowNotes
from ..speakable import speakable
from ..timing import SHARES, speech_units
from ..topics import TOPICS_BY_KEY, find_topics
from . import WRITERS, Brief, PaperText, Writer

# Two concrete steps per topic: (Chinese, English).
PLANS: dict[str, tuple[tuple[str, str], ...]] = {
    "finetuning": (
        ("用论文的微调方法，在我们自己的领域数据上训练一个小规模的对照版本。",
         "Apply the paper's fine-tuning recipe in a small run on our own domain data, next to our current recipe."),
        ("在同一个评测集上比较两个版本的效果和训练成本，决定要不要换掉现在的方案。",
         "Compare both runs on the same evaluation set, for quality and training cost, and decide whether to switch."),
    ),
    "rl": (
        ("梳理我们任务里能自动判分的环节，把它们做成奖励信号。",
         "List the parts of our task that can be scored automatically and turn them into reward signals."),
        ("在监督微调后的模型上按论文的方法做一轮强化学习，看效果是否稳定提升。",
         "Run one round of reinforcement learning on our fine-tuned model as the paper does, and check the gain is stable."),
    ),
    "alignment": (
        ("从线上日志里整理一批好回答和差回答，组成偏好数据。",
         "Collect pairs of good and bad answers from our logs as preference data."),
        ("按论文的对齐方法训练，重点检查回答是否更符合业务规范。",
         "Train with the paper's alignment method and check that answers follow our business rules better."),
    ),
    "distillation": (
        ("用我们现有的大模型当教师，挑一个小模型当学生，按论文的方法做一次蒸馏。",
         "Use our current large model as the teacher and a small one as the student, and distil as the paper does."),
        ("对比蒸馏前后的准确率和推理延迟，判断小模型能否承担一部分线上流量。",
         "Compare accuracy and latency before and after, and decide whether the small model can take some live traffic."),
    ),
    "data": (
        ("对照论文的数据处理流程，检查我们领域数据的收集、清洗和标注环节。",
         "Hold our collection, cleaning and labelling of domain data against the paper's data pipeline."),
        ("挑一个薄弱环节按论文的方法改进，用同一个模型重新训练，看数据质量带来多少提升。",
         "Fix the weakest step the paper's way, retrain the same model, and measure what better data buys us."),
    ),
    "evaluation": (
        ("参考论文的评测方法，为我们的项目补充一组贴近真实业务的测试题。",
         "Following the paper's evaluation, add a set of test questions drawn from our real work."),
        ("把这组测试接入每次训练后的自动评测，持续跟踪模型的变化。",
         "Run that set automatically after every training run, so we see every change in the model."),
    ),
    "reasoning": (
        ("从我们的业务里挑出需要多步推理的问题，整理成专门的测试集。",
         "Pick the questions in our work that need several steps of reasoning and make them a test set."),
        ("试用论文提出的方法，看模型在这类问题上的正确率能提高多少。",
         "Try the paper's method and measure how much it raises accuracy on those questions."),
    ),
    "retrieval": (
        ("把我们的领域资料整理成可检索的知识库，标好来源和更新时间。",
         "Turn our domain documents into a searchable knowledge base, with source and date on every entry."),
        ("按论文的思路改进检索和生成的衔接，用真实问题比较回答的准确率。",
         "Improve how retrieval feeds generation as the paper suggests, and compare accuracy on real questions."),
    ),
    "agents": (
        ("画出我们业务流程里可以交给智能体的步骤，以及每一步需要调用的工具。",
         "Map the steps of our workflow an agent could take over, and the tools each step needs."),
        ("按论文的设计先做一个只读不写的原型，在小范围内试用。",
         "Build a read-only prototype following the paper's design and try it with a few colleagues."),
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
         "Split those tasks the way the paper recommends and compare success rates of one-shot and stepwise generation."),
    ),
    "multimodal": (
        ("盘点我们业务里的图片、表格和扫描件，看哪些信息现在还用不上。",
         "Inventory the images, tables and scans in our work that the model cannot use yet."),
        ("用论文的方法做一个小实验，验证多模态输入能否提高回答质量。",
         "Run a small experiment with the paper's method to see whether those inputs improve answers."),
    ),
    "finance": (
        ("看看论文处理财务文本的方法，哪些可以直接用在我们的领域资料上。",
         "See which of the paper's ways of handling financial text apply directly to our documents."),
        ("挑几份真实的财税文档试跑一遍，把结果交给业务同事评估。",
         "Try it on a few real finance and tax documents and have domain colleagues judge the results."),
    ),
    "health": (
        ("借鉴论文在医疗这种高要求场景下的做法，整理我们项目的合规要求。",
         "Borrow how the paper works in a demanding field like medicine to write down our own compliance needs."),
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
         "Check each step from general model to domain model against the paper's adaptation process."),
        ("选一个细分场景按论文的方法试做，比较通用模型和领域模型的差距。",
         "Try the method on one narrow scenario and compare the general and the domain model."),
    ),
}

_FIRST_STEP = (
    "先花半小时读论文的方法和实验部分，记下它解决的问题对应我们项目里的哪个环节。",
    "Spend half an hour on the paper's method and experiments, and note which part of our project it maps to.",
)
_LAST_STEP = (
    "把试验结果和下一步计划带到本周的项目例会上讨论。",
    "Bring the results and a proposed next step to this week's project meeting.",
)
GENERIC = (
    ("想一想论文的核心思路能不能迁移到我们的数据和任务上，写下一个可以验证的假设。",
     "Ask whether the paper's core idea carries over to our data and tasks, and write down one testable hypothesis."),
    ("用一个小实验验证这个假设，控制在一两天的工作量以内。",
     "Test that hypothesis with a small experiment of no more than a day or two of work."),
)
_ZH_COUNT = "零一两三四五六七八九十"


@WRITERS.register("template")
class TemplateWriter(Writer):
    offline = True

    def text(self, pick: Pick, brief: Brief) -> PaperText:
        paper, language = pick.paper, brief.language
        summary = paper.summary_for(language)
        shortened = shorten(summary, brief.paper_units * SHARES["summary"], language)
        topics = list(pick.topics)
        plan_topic = (topics or list(find_topics(f"{paper.title} {paper.summary}")) or [None])[0]
        pick_language = 0 if is_chinese(language) else 1
        plan = [step[pick_language] for step in PLANS.get(plan_topic, GENERIC)]
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

    def standin(self) -> str | None:
        return "template script writer"


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
        relation = f"This paper does not touch it directly, but its approach to {label} is worth borrowing."
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
