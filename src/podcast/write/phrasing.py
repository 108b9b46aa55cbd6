"""The words the template writer puts around what a paper says, several per slot, and the
listeners' project in the show's words.

A slot's phrasing is chosen by the paper's place in the episode (and the episode's papers), so
a rerun says the same, no two papers of an episode are framed alike, and no sentence is said
twice in one episode. The project is named in the show language only: its own words when the
listeners wrote it in that language, else the glossary's labels of its concepts (a Chinese-only
project is "tax" and "fine-tuning" in an English show, never 税务).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..i18n import is_chinese
from ..select.glossary import glossary
from .material import text_language

Variants = tuple[tuple[str, ...], tuple[str, ...]]  # (Chinese, English)

# What the paper's technique is, and the part of our project it helps: {subject} {does}, {part}.
LINKS: Variants = (
    ("{subject}{does}，这个做法最能帮到我们的{part}这一块。",
     "{subject}{does}；放到我们的项目里，它正好对上{part}这一块。",
     "我们做{part}这一块时，这篇可以直接借鉴：{subject}{does}。",
     "和我们关系最近的是{part}这一块：{subject}{does}，这一招我们可以照着试。",
     "{subject}{does}，这对我们的{part}这一块是个现成的参考。"),
    ("{Subject} {does}, and that is most useful for our {part}.",
     "{Subject} {does}; in our project, that maps straight onto our {part}.",
     "For our {part}, we can borrow the idea directly: {subject} {does}.",
     "The closest link is our {part}: {subject} {does}, and we can try the same.",
     "{Subject} {does}, which gives our {part} a ready-made reference."),
)
# The same when the paper and the project share nothing: what to borrow anyway.
FAR_LINKS: Variants = (
    ("{subject}{does}；它和我们的{domain}项目隔得有点远，但这个思路可以借过来。",
     "这篇和我们的{domain}项目没有直接交集，不过{subject}{does}，值得借鉴。",
     "{subject}{does}，离我们的{domain}项目稍远，权当拓宽思路。"),
    ("{Subject} {does}; it is some way from our {domain} project, but the idea travels.",
     "This one does not touch our {domain} project directly, but {subject} {does}, which is "
     "worth borrowing.",
     "{Subject} {does}, a little far from our {domain} project, so take it as a wider view."),
)
# The paper's subject when it has no name of its own.
SUBJECTS: Variants = (("论文", "作者", "这篇论文"), ("the paper", "this work", "this study"))
# The paper by what it calls its technique ("knowledge expansion"), and that technique in a step.
CALLED: Variants = (("论文的{name}",), ("the paper's {name}",))
# The paper by the technique its title names (a glossary concept), and that technique in a step.
ON_TOPIC: Variants = (("这篇讲{name}的论文", "论文的{name}做法"),
                      ("this paper on {name}", "the paper's {name} approach"))
# The project in the listeners' words, said once, in the first paper's take.
PROJECT_LINE: Variants = (("先想想我们自己的项目，{clause}。",),
                          ("Back to our own work, where {clause}.",))
# The paper's headline figure, as the number to check ourselves.
FIGURE_ECHOES: Variants = (
    ("论文报告的{figure}，是我们复现时要对照的数字。",
     "{figure}这个结果，值得在我们自己的数据上验证一遍。",
     "先记下{figure}这个数，回头用我们的数据对一对。",
     "论文里的{figure}能不能在我们这儿复现，是第一个要回答的问题。",
     "{figure}是论文的成绩，我们的目标是先摸到它的一半。"),
    ("The paper's {figure} is the number to check when we reproduce it.",
     "That {figure} is worth testing on our own data.",
     "Keep {figure} in mind, and see what our own data gives.",
     "Whether {figure} holds up on our data is the first question to answer.",
     "The paper got {figure}; our first target is to get close to it."),
)
# Into the steps: {n} is how many.
LEAD_INS: Variants = (
    ("具体可以分{n}步：", "我建议分{n}步来试：", "落到行动上，有{n}步：", "可以按这{n}步走：",
     "动手的话，分{n}步："),
    ("Here is how I would try it, in {n} steps:", "I suggest {n} steps:",
     "To put it to work, {n} steps:", "Concretely, {n} steps:",
     "We could go about it in {n} steps:"),
)
# Before the method, the results, the conclusion and the limitations of what the paper does.
SUMMARY_LEADS: dict[str, Variants] = {
    "method": (("来看方法：", "具体怎么做？", "方法上，", "核心思路是这样的：",
                "他们是怎么做的？"),
               ("How do they do it? ", "The approach: ", "So what did they build? ",
                "Here is the idea. ", "Their answer: ")),
    "results": (("效果怎么样？", "再看结果：", "实验里，", "成绩如何？", "结果呢？"),
                ("And the results? ", "What do the experiments show? ", "What comes out? ",
                 "What did they find? ", "The outcome: ")),
    "conclusion": (("总的来说，", "一句话概括：", "归结起来，", "说到底，", "作者的结论是："),
                   ("In short: ", "The takeaway: ", "Bottom line: ", "Their conclusion: ",
                    "All in all: ")),
    "limitations": (("不过，", "需要留意的是，", "当然也有局限：", "美中不足的是，",
                     "另外要注意，"),
                    ("One caveat: ", "A limit to keep in mind: ", "Still: ", "Note, though: ",
                     "The catch: ")),
}


def pick(variants: Variants, language: str) -> tuple[str, ...]:
    return variants[0] if is_chinese(language) else variants[1]


@dataclass
class Rotation:
    """Chooses a slot's phrasing for the paper at ``position``: each paper of an episode starts
    at another phrasing, and a sentence the episode has said is passed over."""

    seed: int
    said: set[str] = field(default_factory=set)

    @classmethod
    def for_papers(cls, ids: Sequence[str]) -> Rotation:
        return cls(zlib.crc32(" ".join(ids).encode()))

    def offset(self, slot: str) -> int:
        """Where the episode starts among a slot's phrasings."""
        return self.seed + zlib.crc32(slot.encode())

    def choose(self, slot: str, options: Sequence[str], position: int,
               render: Callable[[str], str] = str) -> str | None:
        """The first phrasing from this paper's place on that the episode has not said yet
        (:meth:`claim` says it); None when all have been said."""
        count = len(options)
        start = (position + self.offset(slot)) % count if count else 0
        for step in range(count):
            text = render(options[(start + step) % count])
            if text not in self.said:
                return text
        return None

    def claim(self, text: str) -> bool:
        """Whether ``text`` is new to the episode (and from now on said)."""
        if text in self.said:
            return False
        self.said.add(text)
        return True


# Concepts too general to be "the part of our project" a paper helps, or its technique.
GENERAL = frozenset({"large-language-model", "chatbot", "foundation-model", "transformer",
                      "natural-language-processing", "generative-model", "open-source-model",
                      "question-answering", "text-generation"})
FIELD_TOPICS = frozenset({"finance", "health", "education", "domain"})
# Glossary labels as an English sentence says them.
_SPOKEN_EN = {"fine tuning": "fine-tuning", "supervised fine tuning": "supervised fine-tuning",
              "domain specific": "domain", "domain specific data": "domain data",
              "financial report": "financial reporting", "dpo": "DPO", "rlhf": "RLHF",
              "lora": "LoRA", "benchmark": "benchmarks", "small language model": "small models",
              "multi agent": "multi-agent systems", "llm as a judge": "LLM-as-a-judge"}
_FIELD_ZH = {"vertical-domain": "业务"}  # "我们的垂直领域同事" says nothing; "业务同事" does


@dataclass(frozen=True)
class Part:
    """A concept of the listeners' project, named in the show language."""

    key: str
    topic: str | None
    label: str
    is_field: bool  # a field of work (tax), not a stage of the work (fine-tuning)

    def phrase(self, language: str) -> str:
        """As "our …" / "我们的…这一块" says it."""
        if is_chinese(language) or not self.is_field:
            return self.label
        return f"{self.label} work"


@dataclass(frozen=True)
class Project:
    clause: str  # the project in the listeners' words, when they wrote it in the show language
    domain: str  # its field in the show language: 税务, tax; 业务, domain when it names none
    parts: tuple[Part, ...]


def read_project(text: str, language: str) -> Project:
    chinese = is_chinese(language)
    own_words = bool(text.strip()) and is_chinese(text_language(text)) == chinese
    parts = []
    for key in glossary().find(text):
        if key in GENERAL:
            continue
        concept = glossary().concepts[key]
        label = concept_label(key, language, text if own_words else "")
        parts.append(Part(key, concept.topic, label, concept.topic in FIELD_TOPICS))
    fields = [part for part in parts if part.is_field]
    if fields:
        domain = _FIELD_ZH.get(fields[0].key, fields[0].label) if chinese else fields[0].label
    else:
        domain = "业务" if chinese else "domain"
    clause = _first_clause(text, language) if own_words else ""
    return Project(clause, domain, tuple(parts))


def concept_label(key: str, language: str, own_words: str = "") -> str:
    """A concept's name in the show language: the listeners' own term when they wrote one."""
    concept = glossary().concepts[key]
    if is_chinese(language):
        return (glossary().chinese_term(key, own_words) if own_words else None) or concept.zh
    return _SPOKEN_EN.get(concept.en, concept.en)


def _first_clause(text: str, language: str) -> str:
    """The project up to its first clause break, as a sentence's body ("we fine-tune ...")."""
    text = " ".join(text.split())
    clause = re.split(r"[：:；;。！？!?]|\.(?:\s|$)", text, maxsplit=1)[0].strip(" ，,")
    if not is_chinese(language) and clause[:2].istitle() and clause.split()[0] != "I":
        clause = clause[0].lower() + clause[1:]  # "We fine-tune" → "we fine-tune"
    return clause


# -- a conversation's turns (the host asks, the analyst has read the paper) ----------------------

# The host introduces the paper by its title and asks what problem it tackles (any of them may
# open the first paper: none says "next").
ASK_PROBLEM: Variants = (
    ("这篇叫《{title}》。它想解决什么问题？",
     "我们来看《{title}》。作者碰到的难处是什么？",
     "这篇的题目是《{title}》，它盯上的是什么问题？",
     "下面这篇是《{title}》。先说说，它为什么要做这件事？",
     "《{title}》，这篇的出发点是什么？",
     "说说《{title}》。它要对付的是什么麻烦？"),
    ("This one is called {title}. What problem is it going after?",
     "Let's look at {title}. What got the authors started?",
     "{title}: what's the problem here?",
     "The title is {title}. Why did they need to do this?",
     "Here's {title}. What's it trying to fix?",
     "Take {title}. What's the difficulty it takes on?"),
)
# The host asks how: {who} is the paper's name ("Role-RL") or its authors.
ASK_METHOD: Variants = (
    ("那{who}是怎么做的？", "{who}用的是什么办法？", "{who}具体怎么解决？", "{who}的思路是什么？",
     "这个难处，{who}是怎么绕过去的？", "{who}拿出了什么方案？"),
    ("How did {who} pull it off?", "And how did {who} tackle it?", "What did {who} come up with?",
     "How did {who} solve it?", "What did {who} build, then?", "So what approach did {who} take?"),
)
WHO: Variants = (("作者", "他们"), ("the authors", "the team"))
# The host asks about the results.
ASK_RESULTS: Variants = (
    ("效果怎么样？", "实验结果呢？", "做出来的效果如何？", "有数据说明它管用吗？",
     "最后成绩怎么样？", "那实际测下来呢？", "结果能说明问题吗？", "这么做，换来了什么？",
     "实验上站得住吗？", "数字上看呢？"),
    ("And does it work?", "What do the experiments show?", "How well does it do?",
     "Do the numbers back it up?", "What did they find?", "So what came out of it?",
     "Did it pay off?", "How did it do in the tests?", "What are the results like?",
     "And the numbers?"),
)
# The host reacts to the paper's figure and asks what to watch out for.
ASK_DOUBT_FIGURE: Variants = (
    ("{figure}，数字挺亮眼。那它有什么局限吗？",
     "能做到{figure}不容易。不过有没有要打折扣的地方？",
     "{figure}，听着很漂亮。我想追问一句：哪里可能不灵？",
     "好，{figure}。反过来说，这个方法的短板在哪？",
     "{figure}，比我想的还好。有没有需要留个心眼的地方？",
     "{figure}这个数我记下了。用之前得注意什么？"),
    ("{figure}, that's a strong number. Any catch?",
     "{figure} is hard to argue with. So where might it fall short?",
     "{figure} sounds great. Where would you be careful, though?",
     "All right, {figure}. What's the weak spot?",
     "{figure}, better than I expected. Anything to watch out for?",
     "I'll note {figure}. What should we keep in mind before using it?"),
)
ASK_DOUBT: Variants = (
    ("听起来有道理。那它有什么局限吗？", "这个结论挺有意思。有没有要打折扣的地方？",
     "我想追问一句：哪里可能不灵？", "反过来说，这个方法的短板在哪？",
     "有没有需要留个心眼的地方？", "用之前得注意什么？"),
    ("That makes sense. Any catch?", "Interesting. So where might it fall short?",
     "Where would you be careful, though?", "What's the weak spot?",
     "Anything to watch out for?", "What should we keep in mind before using it?"),
)
# The analyst's caution when the paper states no limitation and its kind's caveat is said:
# {subject} is the paper by its name.
CAUTIONS: Variants = (
    ("{subject}的实验是在作者选定的数据上做的，换成我们的数据，效果得重新量一遍。",
     "这些数字来自论文自己的评测，没有别人复现之前，我会先打个问号。",
     "{subject}没怎么谈成本和上线后的维护，真用起来这部分得我们自己补。",
     "对比的基线不算多，{subject}到底比现成的做法强多少，还要看更多的比较。",
     "论文里的场景比较干净，真实数据更杂，{subject}在那里能不能站住，还得试过才知道。"),
    ("{Subject} was tested on data the authors chose; on ours, the numbers have to be "
     "measured again.",
     "These figures come from the paper's own evaluation, so I'd keep a question mark on them "
     "until someone reproduces them.",
     "{Subject} says little about cost or upkeep in production; we'd have to work that out "
     "ourselves.",
     "The baselines are few, so how much better {subject} is than what exists needs more "
     "comparisons.",
     "The paper's setting is cleaner than real data, and whether {subject} holds up there "
     "only a trial will tell."),
)
LIMITATION_LEADS: Variants = (("论文自己也承认，", "作者也提到，"),
                              ("The authors admit it themselves: ", "The paper says so too: "))
# The host brings the paper home.
ASK_PROJECT: Variants = (
    ("那放到我们的项目里呢？", "这对我们的项目有什么用？", "跟我们正在做的事有什么关系？",
     "那我们能从中借点什么？", "说回我们自己，这篇能帮上哪一块？", "我们团队用得上吗？",
     "这跟我们手上的活儿怎么接上？", "对我们来说，它的价值在哪？", "我们该怎么看这篇？",
     "这篇能给我们的项目带来什么？"),
    ("So what does it mean for our project?", "How does this help us?",
     "Where does it touch what we're building?", "What can we borrow from it?",
     "Back to our own work: which part does this help?", "Could our team use it?",
     "How does it connect to what we're doing?", "What's in it for us?",
     "Why should our team care?", "What would it change for our project?"),
)
# The host proposes the first step ({step} ends without its full stop; a question for some).
PROPOSE_STEP: Variants = (
    ("要是我们来试，第一步是不是先{step}？", "我觉得可以从这里开始：{step}。",
     "动手的话，我想先{step}。", "那我们是不是可以先{step}？",
     "如果让我排，第一件事是{step}。", "我提个起点：{step}。"),
    ("If we tried it, I'd start here: {step}.", "So step one for us: {step}.",
     "Here's where I'd begin: {step}.", "Could we start small? Say, {step}.",
     "My first move would be this: {step}.", "A place to start: {step}."),
)
# The analyst adds what comes next: the first of the other steps, then "then", "finally".
NEXT_STEP: Variants = (
    ("可以，这一步之后，", "有了这个基础，再", "这一步做完，接着", "对，打好这个底，再",
     "没问题，下一步，", "同意，然后"),
    ("Good, and after that, ", "Yes, and with that in place, ", "Right, then ",
     "That works. Next, ", "Good. Building on that, ", "Agreed, and then "),
)
THEN_STEP: Variants = (("然后，", "再往下，", "接下来，"), ("Then ", "Next, ", "After that, "))
LAST_STEP: Variants = (("最后，", "收尾的时候，"), ("Finally, ", "To close the loop, "))

# -- a brief: what the paper found, then why it matters to us ({part}, {domain}) ----------------

BRIEF_MATTERS: Variants = (
    ("我们的{part}可以借鉴。", "对我们的{part}有参考价值。", "我们做{part}时用得上。",
     "和我们的{part}直接相关。", "值得我们的{part}试一试。", "我们的{part}可以照着试。"),
    ("our {part} could borrow it.", "a useful reference for our {part}.",
     "something our {part} can use.", "it bears directly on our {part}.",
     "worth a try in our {part}.", "our {part} could try the same."),
)
BRIEF_FAR: Variants = (
    ("离我们的{domain}项目稍远，思路可以借。", "和我们的{domain}项目没有直接交集，权当开阔思路。",
     "跟我们的{domain}项目隔得远，了解一下就好。"),
    ("a little far from our {domain} project, but the idea travels.",
     "not our {domain} project's business directly, but worth knowing.",
     "some way from our {domain} project; file it as a wider view."),
)


# -- a conversation's weekly recap: the host's turns ----------------------------------------------

# The host opens the first theme ({ordinal}, {name}, {papers}: how many, {analyst}: the name,
# {week}: the recap's week as seen from the day it is made, "本周" or "上周").
RECAP_FIRST_THEME: Variants = (
    ("{analyst}，我们从主题{ordinal}说起：{name}，{week}有 {papers}。这一块都做了什么？",),
    ("{analyst}, let's start with theme {ordinal}: {name}, with {papers} {week}. "
     "What did they do?",),
)
# The host brings in each later theme and asks about it; a theme takes the next one in turn:
# one for each of the themes after the first (select.cluster.MAX_THEMES), so none is said twice.
RECAP_THEME_ASKS: Variants = (
    ("接下来是主题{ordinal}，{name}，一共 {papers}。这一块有什么值得说的？",
     "主题{ordinal}是{name}，{week}收了 {papers}。作者们在解决什么问题？",
     "换到主题{ordinal}：{name}，{papers}。你给大家讲讲要点？",
     "主题{ordinal}，{name}，{week}有 {papers}。它们的思路是什么？",
     "再来看主题{ordinal}，{name}，有 {papers}。这里面有什么新东西？",
     "轮到主题{ordinal}，{name}，{week}有 {papers}。这部分的亮点在哪里？"),
    ("Theme {ordinal} is {name}, with {papers}. What is worth knowing there?",
     "On to theme {ordinal}: {name}, {papers} {week}. What problems were they solving?",
     "Theme {ordinal}, {name}, had {papers}. Can you give us the gist?",
     "Then theme {ordinal}: {name}, with {papers}. What was the idea behind them?",
     "Theme {ordinal} covers {name}, {papers} in all. What is new in there?",
     "Next comes theme {ordinal}, {name}, with {papers} {week}. Where are the highlights?"),
)
# The host asks what the week says, then what to do about it.
RECAP_TREND_ASK: Variants = (
    ("把这一周连起来看，{analyst}，你觉得它说明了什么趋势？",),
    ("Putting the week together, {analyst}, what trend do you see?",),
)
RECAP_ADVICE_ASK: Variants = (
    ("那落到我们的项目上，接下来具体该做什么？",),
    ("So what should our project actually do next?",),
)
# The analyst leads into the steps; the host adds the last one.
RECAP_ADVICE_LEAD: Variants = (("我建议这样安排。",), ("Here is what I would do.",))
RECAP_HOST_STEP: Variants = (("我再补一步。{step}",), ("Let me add one more. {step}",))
