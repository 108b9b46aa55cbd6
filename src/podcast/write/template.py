"""The ``template`` writer: the offline stand-in for the LLM writer.

The daily show: what each paper says (material.py: its digest when it was read in full, else its
abstract) told as the problem, the method and the results with the paper's own figures; the
kind of technique it is (plans.py) and the part of the listeners' project it helps, with a
plan of concrete steps for that technique; the framing varied from paper to paper
(phrasing.py), all within each paper's budget of speech. The weekly recap: themes by lexical
clustering, the trend from topic counts against the weeks before, advice from a plan per topic.
Honest and predictable, if plainer than a language model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial

from ..i18n import THIS_WEEK, how_many, is_chinese, phrases, recap_week
from ..models import BRIEF, CONVERSATION, HISTORY_WEEKS, Paper, Pick, ShowNotes, Theme, WeekPapers
from ..select.cluster import group, topic_counts
from ..select.glossary import glossary
from ..select.topics import TOPICS_BY_KEY, topics_of
from ..speak.timing import BRIEF_TITLE_UNITS, SHARES, speech_units
from .base import WRITERS, Brief, PaperText, RecapBrief, RecapText, Writer, brief_title
from .fit import SLACK, clip, spoken_title
from .material import Material, read
from .phrasing import (
    ASK_DOUBT,
    ASK_DOUBT_FIGURE,
    ASK_METHOD,
    ASK_PROBLEM,
    ASK_PROJECT,
    ASK_RESULTS,
    BRIEF_FAR,
    BRIEF_MATTERS,
    CALLED,
    CAUTIONS,
    FAR_LINKS,
    FIELD_TOPICS,
    FIGURE_ECHOES,
    GENERAL,
    LAST_STEP,
    LEAD_INS,
    LIMITATION_LEADS,
    LINKS,
    NEXT_STEP,
    ON_TOPIC,
    PROJECT_LINE,
    PROPOSE_STEP,
    SUBJECTS,
    SUMMARY_LEADS,
    THEN_STEP,
    WHO,
    Part,
    Project,
    Rotation,
    concept_label,
    read_project,
)
from .phrasing import pick as in_language
from .plans import GENERIC, Technique, find_technique

ONE_LINE_UNITS = 70  # speech units of each paper's line in an offline theme summary
MIN_STEPS, MAX_STEPS = 3, 5
NOTE_CHARACTERS = 300  # of a line of the show notes, when its one sentence is longer
# What the paper says, in the order it is worth the time: the problem, the method and the
# results first, then more of each; said in reading order.
_DANGLING = re.compile(r"\s(?:and|or|but|then|so)$|[而并且或但]$")
_SUMMARY_ORDER = (("problem", 0), ("method", 0), ("results", 0), ("results", 1), ("method", 1),
                  ("conclusion", 0), ("problem", 1), ("results", 2), ("method", 2),
                  ("limitations", 0), ("results", 3), ("method", 3), ("problem", 2),
                  ("conclusion", 1))
_KINDS = ("problem", "method", "results", "conclusion", "limitations")
# concepts nearly every paper names somewhere (an "evaluator" is evaluation): no link by themselves
_EVERYWHERE = frozenset({"evaluation", "benchmark", "dataset", "metric"})
# the title as the host says it, shorter than the broadcast's
_TALK_TITLE = {"zh": 30, "en": 14}  # longer: its part before the colon, when it has one
_PERCENT = re.compile(r"\d+(?:\.\d+)?\s?%|百分之[零一二三四五六七八九十百点]+")

# The weekly recap's advice: two concrete steps per topic, (Chinese, English).
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
# The meeting the recap's last step names, (Chinese, English): this week's recap is made at
# the end of the week, so the next meeting is next week's; a past week's, at any time.
MEETING = {True: ("下周的项目例会上", "next week's project meeting"),
           False: ("在接下来的项目例会上", "our next project meeting")}
RECAP_GENERIC = (
    ("想一想论文的核心思路能不能迁移到我们的数据和任务上，写下一个可以验证的假设。",
     "Ask whether the paper's core idea carries over to our data and tasks, "
     "and write down one testable hypothesis."),
    ("用一个小实验验证这个假设，控制在一两天的工作量以内。",
     "Test that hypothesis with a small experiment of no more than a day or two of work."),
)


@WRITERS.register("template")
class TemplateWriter(Writer):
    offline = True
    stands_in = True

    def texts(self, picks: Sequence[Pick], brief: Brief) -> list[PaperText]:
        rotation = Rotation.for_papers([pick.paper.id for pick in picks])
        return [_PaperWriter(pick, brief, rotation, position).write()
                for position, pick in enumerate(picks)]

    def text(self, pick: Pick, brief: Brief) -> PaperText:
        return _PaperWriter(pick, brief, Rotation.for_papers([pick.paper.id]), 0).write()

    def recap(self, brief: RecapBrief) -> RecapText:
        """Themes by lexical clustering, each summed up from its papers' own one-line notes; the
        trend from topic counts against the weeks before; advice from the plans."""
        language, week = brief.language, brief.week
        groups = group(week.papers)
        themes = tuple(Theme(_theme_name(topic, language), _theme_summary(papers, brief),
                             tuple(p.id for p in papers))
                       for topic, papers in groups)
        return RecapText(themes, _trend(groups, week, language, brief.when),
                         _advice([topic for topic, _ in groups], language, brief.when))

    def standin(self) -> str | None:
        return f"template {self.wrote} writer"


class _PaperWriter:
    """One paper's words: what it says, within its share of the budget; the take, naming its
    technique and the part of the project it helps; the steps of that technique's plan."""

    def __init__(self, pick: Pick, brief: Brief, rotation: Rotation, position: int) -> None:
        self.paper, self.brief, self.language = pick.paper, brief, brief.language
        self.chinese = is_chinese(brief.language)
        self.rotation, self.position = rotation, position
        self.material = read(self.paper, self.language)
        self.technique = _technique(self.paper, self.material)
        self.project = _project(brief.project, brief.language)
        self.name, self.tech = _technique_name(self.paper, self.material, self.language)
        self.part = _part(self.project, self.paper, self.technique)

    def write(self) -> PaperText:
        """The paper's words in the show's format."""
        if self.brief.format == CONVERSATION:
            return self.conversation()
        if self.brief.format == BRIEF:
            return self.brief_text()
        return self.text()

    def text(self) -> PaperText:
        """What the paper says takes its share of the budget; three steps and the take the
        rest, then more steps, then more of the paper while there is time left. A budget too
        small for all that (many papers in a short show) gets the steps' short forms and the
        method before the problem."""
        budget = float(self.brief.paper_units)
        steps = self._steps()
        lead_in, link = self._lead_in(MIN_STEPS), self._link()
        core = self._told({("problem", 0), ("method", 0), ("results", 0)})
        tight = self._units(core, link, lead_in, *steps[:MIN_STEPS]) > budget
        if tight:
            steps = [_short_form(step, self.chinese) for step in steps]
        fixed = self._units(link, lead_in, *steps[:MIN_STEPS])
        summary = self._summary(budget - fixed if tight else budget * SHARES["summary"],
                                method_first=tight)
        take = self._take(link, budget - fixed - self._units(summary), summary)
        left = budget - self._units(summary, lead_in, *take, *steps[:MIN_STEPS])
        count = min(MIN_STEPS, len(steps))
        while count < min(len(steps), MAX_STEPS) and self._units(steps[count]) <= left:
            left -= self._units(steps[count])
            count += 1
        if left > 0:
            summary = self._summary(self._units(summary) + left, method_first=tight)
        lead_in = self._lead_in(count)
        for sentence in (*take, lead_in, *steps[:count]):
            self.rotation.claim(sentence)
        thoughts = ("" if self.chinese else " ").join((*take, lead_in))
        return PaperText(title=self.paper.title_for(self.language), summary=summary,
                         thoughts=thoughts, steps=tuple(steps[:count]), notes=self._notes())

    # -- a conversation -------------------------------------------------------------------------

    def conversation(self) -> PaperText:
        """The paper talked through from the broadcast's material: the host (0) introduces it by
        its title and asks what problem it tackles, how, and how well; the analyst (1) answers
        with the paper's own figures; the host asks what to watch out for, and the analyst says
        it (the paper's limitation, else a caution for its kind of technique, else one for the
        paper); the host asks what it means for us and the analyst gives the take; the host
        proposes the first step and the analyst the next ones. The problem, the method, the
        results and three steps first (the steps' short forms when the budget is tight, two
        when it is tighter still), then the take's why, more steps and more of the paper while
        the budget allows."""
        budget = float(self.brief.paper_units)
        full = tuple(self._steps())
        core = frozenset((kind, 0) for kind in ("problem", "method", "results")
                         if getattr(self.material, kind))
        talk = _Talk(core or frozenset({self._first_part()}), full, min(MIN_STEPS, len(full)))
        if self._talk_units(talk) > budget:
            talk = replace(talk, steps=tuple(_short_form(step, self.chinese) for step in full))
        if self._talk_units(talk) > budget and talk.count == MIN_STEPS:
            talk = replace(talk, count=MIN_STEPS - 1)
        if self._talk_units(talk) > budget * (1 + SLACK):  # long sentences: each answer clipped
            talk = replace(talk, scale=budget / self._talk_units(talk))
        for grow in self._growth(len(full)):  # more while it fits, the most worth it first
            grown = grow(talk)
            if grown is not None and self._talk_units(grown) <= budget:
                talk = grown
        turns = self._turns(talk)
        for said in (*(turn for _, turn in turns), *talk.steps[:talk.count], self._link(),
                     self._fresh(self.technique.why), self._fresh(self.technique.caveat)):
            self.rotation.claim(said)
        return PaperText(title=self.paper.title_for(self.language), summary="", thoughts="",
                         steps=(), notes=self._notes(), turns=tuple(turns))

    # -- a brief --------------------------------------------------------------------------------

    def brief_text(self) -> PaperText:
        """A sentence or two: what the paper found, with its headline figure when it reports
        one, and the part of our project it matters to; within the paper's budget."""
        budget = float(self.brief.paper_units)
        part = self.part.phrase(self.language) if self.part else ""
        matters = self._say("matters", BRIEF_MATTERS if part else BRIEF_FAR, part=part,
                            domain=self.project.domain)
        self.rotation.claim(matters)
        title = brief_title(self.paper.title_for(self.language), self.language)
        longer = self._units(title) - BRIEF_TITLE_UNITS["zh" if self.chinese else "en"]
        found = self._finding(max(budget - self._units(matters) - max(0.0, longer),
                                  0.5 * budget))
        summary = (f"{found}；{matters}" if self.chinese else f"{found}; {matters}")
        return PaperText(title=self.paper.title_for(self.language), summary=summary,
                         thoughts="", steps=(), notes=self._notes())

    def _finding(self, limit: float) -> str:
        """The paper's headline result in about ``limit`` units: its first sentence stating a
        percentage, else its conclusion, a figure, its first result, what it does; each said
        whole when it fits, else down to the clause that states its figure (with the one before
        or after when they fit). The first within twice the limit (a percentage: 2.5 times) is
        said (a brief's other papers say less), else the shortest, cut to the limit only past
        three times it."""
        material = self.material
        headline = [s for s in material.figures if _PERCENT.search(s)][:1]
        candidates = [*headline, *material.conclusion[:1], *material.figures[:1],
                      *material.results[:1], *material.method[:1], *material.problem[:1]]
        kept = [self._clauses(sentence.strip().rstrip("。.!！"), limit)
                for sentence in candidates] or [self.paper.title_for(self.language)]
        allowed = [2.5 if headline and number == 0 else 2.0 for number in range(len(kept))]
        said = next((text for text, times in zip(kept, allowed, strict=True)
                     if self._units(text) <= times * limit), min(kept, key=self._units))
        if self._units(said) > 3 * limit:
            said = clip(said, limit, self.language)
        return said if self.chinese else _upper_first(said)

    def _clauses(self, sentence: str, limit: float) -> str:
        """``sentence`` when it fits ``limit``, else its clause stating a figure, with the one
        before or after it when they fit (clauses end at "，；", or at "; " and before ", and",
        ", which", ", while", ", with" in English: a list's commas end none)."""
        if self._units(sentence) <= limit:
            return sentence
        ends = (r"(?<=[，；])" if self.chinese else
                r"(?<=;)\s+|(?<=,)\s+(?=(?:and|which|while|with|but|so)\b)")
        clauses = [c.strip().rstrip("，；,; ") for c in re.split(ends, sentence)]
        first = next((i for i, clause in enumerate(clauses) if re.search(r"\d|百分之", clause)), 0)
        comma = "，" if self.chinese else ", "
        kept = clauses[first]
        for neighbour in (first - 1, first + 1):
            if 0 <= neighbour < len(clauses):
                both = [kept, clauses[neighbour]][:: -1 if neighbour < first else 1]
                if self._units(comma.join(both)) <= limit:
                    kept = comma.join(both)
        return kept

    def _growth(self, steps: int) -> list[Callable[[_Talk], _Talk | None]]:
        """What a conversation may say beyond its core, in order: the take's why, more steps,
        more of the paper (the broadcast's order), the project in the listeners' words."""
        grow: list[Callable[[_Talk], _Talk | None]] = [lambda talk: replace(talk, why=True)]
        grow += [partial(_with_steps, count=count)
                 for count in range(MIN_STEPS + 1, min(steps, MAX_STEPS) + 1)]
        grow += [partial(_with_part, part=part, material=self.material)
                 for part in _SUMMARY_ORDER if part[0] != "limitations"]
        grow.append(lambda talk: replace(talk, project=True))
        return grow

    def _first_part(self) -> tuple[str, int]:
        """What the paper says first when it has no problem, method or results."""
        return next(((kind, 0) for kind in _KINDS if getattr(self.material, kind)),
                    ("problem", 0))

    def _talk_units(self, talk: _Talk) -> float:
        return self._units(*(turn for _, turn in self._turns(talk)))

    def _turns(self, talk: _Talk) -> list[tuple[int, str]]:
        """The turns ``talk`` keeps, host and analyst by turns."""
        language, join = self.language, "" if self.chinese else " "
        parts = {kind: self._told_plain(talk.chosen, kind) for kind in _KINDS}
        title = spoken_title(self.paper.title_for(language).rstrip("。."), language)
        head = re.split(r"\s*[:：]\s*", title, maxsplit=1)[0].strip()
        if speech_units(title, language) > _TALK_TITLE[language[:2]] and head != title \
                and len(head) >= 2:
            title = head  # "Role-RL", a long title's part before its colon
        answers = [(kind, parts[kind]) for kind in ("problem", "method", "results") if parts[kind]]
        if not answers:
            answers = [("problem", parts["conclusion"] or title)]
        if parts["conclusion"] and answers[-1][0] == "results":
            answers[-1] = ("results", join.join((parts["results"], parts["conclusion"])))
        who = self._who()
        turns: list[tuple[int, str]] = []
        for number, (kind, answer) in enumerate(answers):
            if number == 0:
                question = self._say("ask-problem", ASK_PROBLEM, title=title)
            elif kind == "method":
                question = self._say("ask-method", ASK_METHOD, who=who, Who=_upper_first(who))
            else:
                question = self._say("ask-results", ASK_RESULTS)
            turns += [(0, question), (1, answer)]
        headline = next((sentence for sentence in self.material.results
                         if _PERCENT.search(sentence) and sentence in parts["results"]), "")
        figure = _PERCENT.findall(headline)  # its last: "from 98.7% to 99.9%" says 99.9%
        doubt = (self._say("doubt", ASK_DOUBT_FIGURE, figure=figure[-1]) if figure
                 else self._say("doubt", ASK_DOUBT))
        turns += [(0, _upper_first(doubt)), (1, self._caution())]
        take = [self._project_line() if talk.project else "", self._link(),
                self._fresh(self.technique.why) if talk.why else ""]
        turns += [(0, self._say("ask-project", ASK_PROJECT)),
                  (1, join.join(sentence for sentence in take if sentence))]
        steps = [self._step_body(step) for step in talk.steps[:talk.count]]
        if steps:
            turns.append((0, self._say("propose", PROPOSE_STEP, step=_strip_first(steps[0]))))
        if len(steps) > 1:
            turns.append((1, self._next_steps(steps[1:])))
        if talk.scale < 1:
            end = "。" if self.chinese else "."
            turns = [(who, clip(turn, self._units(turn) * talk.scale, language).rstrip(
                "，。,.;；") + end if who else turn) for who, turn in turns]
        return turns

    def _told_plain(self, chosen: frozenset[tuple[str, int]], kind: str) -> str:
        """The chosen sentences of one part, with no lead: the host has just asked for them."""
        join = "" if is_chinese(self.material.language) else " "
        found = getattr(self.material, kind)
        return join.join(found[i] for i in sorted(i for k, i in chosen if k == kind)
                         if i < len(found))

    def _who(self) -> str:
        """The paper in the host's question: its own name, else its authors."""
        name = paper_name(self.paper.title)
        return name or (self._choose("who", in_language(WHO, self.language)) or
                        in_language(WHO, self.language)[0])

    def _caution(self) -> str:
        """What to watch out for: the paper's own limitation, else its kind's caveat when no
        other paper of the show has said it, else a caution for this paper."""
        if self.material.limitations and self.material.language == self.language:
            lead = self._choose("limitation", in_language(LIMITATION_LEADS, self.language)) or ""
            return lead + self.material.limitations[0]
        caveat = self._fresh(self.technique.caveat)
        if caveat:
            return caveat
        subject = self.name or in_language(SUBJECTS, self.language)[0]
        return self._say("caution", CAUTIONS, subject=subject, Subject=_upper_first(subject))

    def _step_body(self, step: str) -> str:
        """A step as the middle of a sentence: no full stop, English in lower case."""
        body = step.rstrip("。.")
        return body if self.chinese else _lower_first(body)

    def _next_steps(self, steps: list[str]) -> str:
        """The analyst's steps after the host's first: "then …", "finally …"."""
        join = "" if self.chinese else " "
        end = "。" if self.chinese else "."
        first = self._say("next", NEXT_STEP)
        said = [first + steps[0] + end]
        for number, step in enumerate(steps[1:], start=1):
            options = in_language(LAST_STEP if number == len(steps) - 1 else THEN_STEP,
                                  self.language)
            leads = [lead for lead in options  # not "then …; then …"
                     if lead.strip(" ,，").lower() not in first.lower()] or list(options)
            said.append(leads[(self.position + number) % len(leads)] + step + end)
        return join.join(said)

    def _say(self, slot: str, variants: tuple[tuple[str, ...], tuple[str, ...]],
             **fields: str) -> str:
        """A slot's phrasing for this paper, with ``fields`` filled in; one the episode has not
        said when there is one."""
        options = in_language(variants, self.language)

        def render(text: str) -> str:
            return text.format(**fields)

        return self._choose(slot, options, render) or render(options[self.position %
                                                                     len(options)])

    # -- what the paper says ------------------------------------------------------------------

    def _summary(self, limit: float, method_first: bool = False) -> str:
        """The problem, the method and the results first, then more of each while ``limit``
        allows (the method first when little is, or whichever of the method and the results is
        shorter when neither fits); said in reading order, each part after a lead that varies
        from paper to paper. One sentence at least."""
        chosen: set[tuple[str, int]] = set()
        rest = tuple((kind, index) for kind in _KINDS
                     for index in range(len(getattr(self.material, kind))))
        order: tuple[tuple[str, int], ...] = (*_SUMMARY_ORDER, *rest)  # then all there is
        if method_first:
            order = (("method", 0), ("results", 0), *order)
            core = [(kind, 0) for kind in ("results", "method") if getattr(self.material, kind)]
            if core and all(self._units(self._told({part})) > limit for part in core):
                chosen.add(min(core, key=lambda part: self._units(self._told({part}))))
        for kind, index in order:
            have = len(getattr(self.material, kind))
            if (kind, index) in chosen or index >= have or (index and (kind, index - 1)
                                                                not in chosen):
                continue  # each part's sentences in their order, none skipped
            if not chosen or self._units(self._told(chosen | {(kind, index)})) <= limit:
                chosen.add((kind, index))
        return self._told(chosen)

    def _told(self, chosen: set[tuple[str, int]]) -> str:
        """The chosen sentences: from a digest by part, each part after its lead; from an
        abstract in the abstract's own order (its sentences lean on one another), no leads."""
        material = self.material
        join = "" if is_chinese(material.language) else " "
        said = {kind: [getattr(material, kind)[i] for i in sorted(i for k, i in chosen if k == kind)
                       if i < len(getattr(material, kind))] for kind in _KINDS}
        if not material.full:
            picked = {sentence for found in said.values() for sentence in found}
            return join.join(sentence for sentence in material.order if sentence in picked)
        return join.join(self._lead(kind) + join.join(said[kind]) for kind in _KINDS if said[kind])

    def _lead(self, kind: str) -> str:
        """What comes before the method, the results ...: nothing before the problem, nor when
        the paper's text is not in the show language (no Chinese lead before English); one lead
        per place in the show, so no two papers are led in alike."""
        if kind not in SUMMARY_LEADS or self.material.language != self.language:
            return ""
        leads = in_language(SUMMARY_LEADS[kind], self.language)
        if self.position >= len(leads):
            return ""
        return leads[(self.position + self.rotation.offset(kind)) % len(leads)]

    # -- the take and the steps -----------------------------------------------------------------

    def _take(self, link: str, limit: float, summary: str) -> list[str]:
        """``link`` (the technique and the part of the project it helps); then, as ``limit``
        allows, the project itself in the first paper's take, why it matters, the paper's
        figure to check, what to watch out for."""
        optional = {"project": self._project_line(), "why": self._fresh(self.technique.why),
                    "figure": self._figure_echo(summary),
                    "caveat": self._fresh(self.technique.caveat)}
        priority = ["project", "why", "figure", "caveat"]
        used, kept = 0.0, {}
        for name in priority:
            sentence = optional[name]
            if sentence and used + self._units(sentence) <= limit:
                kept[name] = sentence
                used += self._units(sentence)
        parts = [kept.get("project"), link, kept.get("why"), kept.get("figure"),
                 kept.get("caveat")]
        return [part for part in parts if part]

    def _link(self) -> str:
        subjects = in_language(SUBJECTS, self.language)
        subject = self.name or self._choose("subject", subjects) or subjects[0]
        does = self.technique.does[0 if self.chinese else 1]
        links = in_language(LINKS if self.part else FAR_LINKS, self.language)
        part = self.part.phrase(self.language) if self.part else ""

        def render(template: str) -> str:
            return template.format(subject=subject, Subject=subject[:1].upper() + subject[1:],
                                   does=does, part=part, domain=self.project.domain)

        return self._choose("link", links, render) or render(links[0])

    def _project_line(self) -> str:
        if self.position != 0 or not self.project.clause:
            return ""
        return in_language(PROJECT_LINE, self.language)[0].format(clause=self.project.clause)

    def _figure_echo(self, summary: str) -> str:
        """The paper's headline percentage, as the number to check ourselves; only one the
        summary has just said (a bare number out of its context says nothing)."""
        found = _PERCENT.search(summary)
        if not found:
            return ""
        echoes = in_language(FIGURE_ECHOES, self.language)
        return self._choose("figure", echoes, lambda text: text.format(figure=found.group(0))) or ""

    def _lead_in(self, steps: int) -> str:
        count = phrases(self.language).ordinals[steps - 1]
        leads = in_language(LEAD_INS, self.language)
        return self._choose("lead-in", leads, lambda text: text.format(n=count)) or \
            leads[0].format(n=count)

    def _steps(self) -> list[str]:
        """The technique's plan, naming the paper's technique and our field; a step another
        paper of the show already has is said with this paper's place instead, and the generic
        plan makes up what is left out."""
        plan = [step[0 if self.chinese else 1] for step in self.technique.steps]
        names = [self.tech or self.technique.short[0 if self.chinese else 1], self._ordinal_name()]
        found: list[str] = []
        generic = [step[0 if self.chinese else 1] for step in GENERIC.steps]
        for step in plan + generic:
            if len(found) >= MIN_STEPS and step in generic:
                break  # the generic plan only makes up a plan another paper has said
            for name in names:
                text = step.format(tech=name, domain=self.project.domain)
                if text not in self.rotation.said and text not in found:
                    found.append(text)
                    break
        return found

    def _ordinal_name(self) -> str:
        ordinal = phrases(self.language).ordinals[min(self.position, 9)]
        return f"第{ordinal}篇论文的做法" if self.chinese else f"the method of paper {ordinal}"

    def _fresh(self, words: tuple[str, str]) -> str:
        """One of the technique's sentences, unless another paper of the show said it."""
        sentence = words[0 if self.chinese else 1].format(domain=self.project.domain)
        return "" if sentence in self.rotation.said else sentence

    def _choose(self, slot: str, options: Sequence[str],
                render: Callable[[str], str] = str) -> str | None:
        return self.rotation.choose(slot, options, self.position, render)

    def _units(self, *texts: str) -> float:
        return sum(speech_units(text, self.language) for text in texts)

    def _notes(self) -> ShowNotes:
        """The show notes: what the paper does in a line, and its headline result."""
        material = self.material

        def note(found: tuple[str, ...]) -> str:
            text = shorten(found[0], ONE_LINE_UNITS, material.language) if found else ""
            return text if len(text) <= NOTE_CHARACTERS else text[:NOTE_CHARACTERS] + "…"

        return ShowNotes(one_line=note(material.method or material.problem or material.results),
                         results=note(material.results))


@dataclass(frozen=True)
class _Talk:
    """What a paper's conversation keeps: the material's sentences by (part, index), the steps
    and how many are said, whether the take says why it matters and the project itself."""

    chosen: frozenset[tuple[str, int]]
    steps: tuple[str, ...]
    count: int
    why: bool = False
    project: bool = False
    scale: float = 1.0  # below 1: the analyst's answers clipped to that share of their length


def _with_steps(talk: _Talk, count: int) -> _Talk | None:
    return replace(talk, count=count) if count <= len(talk.steps) else None


def _with_part(talk: _Talk, part: tuple[str, int], material: Material) -> _Talk | None:
    """``talk`` with one more sentence of the paper: each part's sentences in their order."""
    kind, index = part
    if (part in talk.chosen or index >= len(getattr(material, kind))
            or (index and (kind, index - 1) not in talk.chosen)):
        return None
    return replace(talk, chosen=talk.chosen | {part})


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """"Break our …" as the middle of a sentence; "DPO …" as it is."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _strip_first(step: str) -> str:
    """A Chinese step after "先": without its own "先"."""
    return step.removeprefix("先")


def _short_form(step: str, chinese: bool) -> str:
    """A step up to its first clause that says something on its own (12 characters, 6 words,
    not ending on a conjunction), ended as a sentence."""
    for found in re.finditer(r"[，；,;]", step):  # a colon leads into what the step is
        head = step[: found.start()]
        if (len(head) if chinese else len(head.split())) >= (12 if chinese else 6) and \
                not _DANGLING.search(head):
            return head + ("。" if chinese else ".")
    return step


def _technique_name(paper: Paper, material: Material, language: str) -> tuple[str, str]:
    """How the take names the paper (its subject) and the steps its technique: by the name the
    paper gives itself (Role-RL), else by what its method says it calls its technique ("which
    they call knowledge expansion"), else by the technique its title names (思维链); else
    neither, ("", "")."""
    name = paper_name(paper.title)
    if name:
        return name, name
    called = _called(material.method[0]) if material.method else ""
    if called:
        form = in_language(CALLED, language)[0].format(name=called)
        return form, form
    for key in glossary().find(f"{paper.title} {paper.title_zh}"):
        concept = glossary().concepts[key]
        if (key not in GENERAL and key not in _EVERYWHERE and concept.topic
                and concept.topic not in FIELD_TOPICS):
            subject, tech = in_language(ON_TOPIC, language)
            label = concept_label(key, language)
            return subject.format(name=label), tech.format(name=label)
    return "", ""


_CALLED = re.compile(r"(?:称之为|称为|叫做|名为)([^，。；：、,]{2,12})[，。；]|"
                     r"\b(?:which they call|they call it|called|dubbed|named|known as) "
                     r"((?:[\w-]+ ){0,3}[\w-]+)[,.;]")


def _called(sentence: str) -> str:
    found = _CALLED.search(sentence)
    return (found.group(1) or found.group(2)).strip() if found else ""


def paper_name(title: str) -> str:
    """The name a paper gives its technique in front of its title ("Role-RL: ...", "REAL: ..."),
    else ""."""
    head, colon, _ = title.partition(":")
    words = head.split()
    if not colon or not 1 <= len(words) <= 3 or len(head) > 24:
        return ""
    named = any(re.fullmatch(r"(?=\S*(?:[A-Z]\S*[A-Z]|\d|-))[\w.+-]+", word) for word in words)
    return head.strip() if named else ""


@lru_cache(maxsize=32)
def _project(text: str, language: str) -> Project:
    return read_project(text, language)


def _technique(paper: Paper, material: Material) -> Technique:
    digests = [d for d in (paper.digest, paper.digest_zh) if d is not None]
    method = " ".join([*material.method, *(d.section("method") for d in digests)])
    rest = " ".join([paper.summary, paper.summary_zh, *(d.text() for d in digests)])
    return find_technique(f"{paper.title} {paper.title_zh}", method, rest)


def _part(project: Project, paper: Paper, technique: Technique) -> Part | None:
    """The part of the project the paper helps: one its technique serves (a technique for
    domains serves the project's field) before one named in its title or method too, before one
    in a field it touches; None when nothing links them."""
    digests = [d for d in (paper.digest, paper.digest_zh) if d is not None]
    core = glossary().find(" ".join([paper.title, paper.title_zh,
                                     *(d.section("method") for d in digests)]))
    everything = glossary().find(" ".join([paper.title, paper.title_zh, paper.summary,
                                           paper.summary_zh, *(d.text() for d in digests)]))
    topics = topics_of(everything)
    best, best_score = None, 1  # a field in common alone is no link
    for part in project.parts:
        helped = part.topic in technique.helps or (part.is_field and "domain" in technique.helps)
        shared = part.key in core and part.key not in _EVERYWHERE
        score = 3 * helped + 2 * shared + (part.topic in topics)
        if score > best_score:
            best, best_score = part, score
    return best

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
        title = spoken_title((notes.title if notes else "") or paper.title_for(brief.language),
                             brief.language)  # a recap says a title as the daily show does
        line = (notes.one_line if notes else "") or paper.summary_for(brief.language)
        line = shorten(line, ONE_LINE_UNITS, brief.language).rstrip("。.")
        lines.append(f"《{title}》：{line}。" if chinese else f"{title}: {line}.")
    return "\n\n".join(lines)


def _theme_name(topic: str | None, language: str) -> str:
    if topic is None:
        return "其他方向" if is_chinese(language) else "Other directions"
    return TOPICS_BY_KEY[topic].label(language)


# A topic took a clearly bigger share when its share of the week's papers is at least RISE_FACTOR
# times its share of the papers of the HISTORY_WEEKS before (a topic new to them counts too), with
# RISE_MIN_PAPERS papers at least this week. Shares, not counts: a week of 20 papers has more of
# everything than one of 8. At least three papers: one against three is chance, however the
# shares compare. And only with MIN_HISTORY_WEEKS of earlier episodes (WeekPapers.has_history):
# one earlier episode is no baseline.
RISE_FACTOR = 2.0
RISE_MIN_PAPERS = 3


def _trend(groups: Sequence[tuple[str | None, Sequence[Paper]]], week: WeekPapers,
           language: str, when: str) -> str:
    """Where the week's papers concentrate; then, with enough weeks before it to compare, which
    topics took a clearly bigger share of the papers than in those weeks. With fewer, no claim."""
    text = _concentration(groups, len(week.papers), language, when)
    if not week.has_history:
        return text
    labels = [TOPICS_BY_KEY[key].label(language) for key in _rising(week)[:3]]
    earlier = len(week.earlier)
    if is_chinese(language):
        if labels:
            return text + (f"和前 {HISTORY_WEEKS} 周播报的 {earlier} 篇相比，"
                           f"{'、'.join(labels)}的占比至少翻了一番，是值得跟进的方向。")
        return text + f"和前 {HISTORY_WEEKS} 周播报的 {earlier} 篇相比，没有哪个方向的占比翻番。"
    before = f" Against the {counted_papers(earlier)} of the {HISTORY_WEEKS} weeks before,"
    if labels:
        worth = "directions worth following" if len(labels) > 1 else "a direction worth following"
        return text + f"{before} the share of {and_list(labels)} at least doubled: {worth}."
    return text + f"{before} no topic's share doubled."


def _concentration(groups: Sequence[tuple[str | None, Sequence[Paper]]], total: int,
                   language: str, when: str) -> str:
    """Which theme (largest first in ``groups``) had the most papers, or the few that tie for it;
    that the papers spread out when every theme has one, or more than three tie."""
    said = recap_week(language, when).week
    sizes = [len(papers) for topic, papers in groups if topic]
    most = max(sizes, default=0)
    leaders = [_theme_name(topic, language) for topic, papers in groups
               if topic and len(papers) == most]
    if most < 2 or len(leaders) > 3:
        if is_chinese(language):
            return (f"{said} {total} 篇论文分散在 {how_many(len(groups), 'theme', language)}里，"
                    "没有哪个方向特别集中。")
        return (f"{said[:1].upper()}{said[1:]}'s {counted_papers(total)} spread over "
                f"{len(groups)} themes, none ahead of the others.")
    if is_chinese(language):
        each = "有" if len(leaders) == 1 else "各有"
        return f"{said} {total} 篇论文里，{'、'.join(leaders)}最集中，{each} {most} 篇。"
    each = "" if len(leaders) == 1 else " each"
    return f"Of {said}'s {counted_papers(total)}, {and_list(leaders)} had the most: {most}{each}."


def _rising(week: WeekPapers) -> list[str]:
    """The topics whose share of the week's papers at least doubled against the weeks before
    (RISE_FACTOR), with RISE_MIN_PAPERS papers this week, most papers first."""
    now, before = topic_counts(week.papers), topic_counts(week.earlier)
    total, earlier = len(week.papers), max(1, len(week.earlier))
    return [key for key, count in now.most_common()
            if count >= RISE_MIN_PAPERS and count / total >= RISE_FACTOR * before[key] / earlier]


def counted_papers(number: int) -> str:
    return how_many(number, "paper", "en-US")


def _advice(topics: Sequence[str | None], language: str, when: str) -> tuple[str, ...]:
    """One concrete step per leading theme (three at most), then the meeting to decide: next
    week's after this week's recap, the next one after a past week's."""
    pick = 0 if is_chinese(language) else 1
    steps = []
    for topic in topics[:3]:
        step = PLANS.get(topic, RECAP_GENERIC)[0][pick] if topic else RECAP_GENERIC[0][pick]
        if step not in steps:
            steps.append(step)
    if len(steps) < 2:  # one theme: its whole plan
        plans = PLANS.get(topics[0], RECAP_GENERIC) if topics and topics[0] else RECAP_GENERIC
        steps = [step[pick] for step in plans]
    meeting = MEETING[when == THIS_WEEK][pick]
    steps.append(f"{meeting}花十分钟过一遍这几个主题，定下先试哪一个、由谁负责。"
                 if pick == 0 else
                 f"At {meeting}, spend ten minutes on these themes "
                 "and decide which to try first, and who.")
    return tuple(steps)


