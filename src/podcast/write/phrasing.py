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
