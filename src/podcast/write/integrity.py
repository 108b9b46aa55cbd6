"""What a model's answer must never be, whatever the paper or the prompt said: carrying a web
address, following an injected instruction, in the other language, one text copied across its
fields, or about something other than its paper.

Each check returns what is wrong in plain words (it goes into the repair request and the log),
or None. They are cheap and offline: a handful of patterns, the bundled glossary, and word
stems, so they judge a Chinese answer on an English paper as well as an English one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Set
from difflib import SequenceMatcher

from ..i18n import is_chinese
from ..select.glossary import glossary, words
from ..select.rank import STOPWORDS

# A scheme, "www.", a mail address, or a bare domain under a common top-level domain.
_ADDRESS = re.compile(
    r"(?:https?|ftp)://\S*|\bwww\.\S+|[A-Za-z0-9.+_-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
    r"|(?<![A-Za-z0-9-])[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|org|net|io|ai|co|cn|dev|app|xyz|"
    r"example|info|me|ly|top|site|link|ru|tk|gg|biz|online|club|us|uk)(?![A-Za-z0-9-])"
    r"(?:/[^\s，。；！？、）)]*)?",
    re.IGNORECASE,
)
# Phrases of a model that obeys instructions in its material, or steps out of the script.
_INJECTION = re.compile(
    "|".join((
        r"\bpwned\b",
        r"\bas an ai\b(?:\s+(?:language\s+)?model|\s+assistant)?\s*,?\s*i\b",
        r"\bas a (?:large )?language model\s*,?\s*i\b",
        r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|my\s+|your\s+)?"
        r"(?:previous|prior|above|earlier|preceding)\s+(?:instructions?|prompts?|rules|messages?)",
        r"\b(?:visit|go to|check out|click)\b[^.!?。！？]{0,40}"
        r"(?:https?://|www\.|\.com\b|\.example\b|\blink\b|\bwebsite\b)",
        r"\bclick (?:here|the link|this link)\b",
        r"\bi(?:'m| am) sorry,? but\b",
        r"\bi (?:cannot|can't|won't) (?:help|comply|assist)\b",
        r"作为(?:一个|一名|一款)?\s*(?:AI|人工智能|语言模型|大语言模型|大模型)\s*(?:助手|模型)?\s*[，,]?\s*我",
        r"(?:忽略|无视|忽视|不要理会)(?:掉)?(?:你)?(?:之前|以上|上面|前面|先前|此前|所有)的?(?:所有)?"
        r"(?:指令|指示|规则|提示)",
        r"我(?:已经?)?被(?:黑|攻破|入侵|控制)",
        r"(?:请|欢迎)?(?:访问|点击|打开)\s*(?:这个|以下|下面的)?(?:链接|网址|网站)",
    )),
    re.IGNORECASE,
)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# kana and hangul: Japanese or Korean, in either show
_OTHER_SCRIPTS = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uac00-\ud7af\u1100-\u11ff]")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:['’.-][A-Za-z0-9]+)*")
# a word of Latin letters and digits, as a name is written inside any text
_TOKEN = re.compile(r"(?<![A-Za-z0-9_.+-])[A-Za-z0-9](?:[A-Za-z0-9_.+-]*[A-Za-z0-9_+])?")
# Concepts nearly every AI paper names: sharing one of them says nothing about the topic.
GENERIC_CONCEPTS = frozenset((
    "large-language-model", "benchmark", "evaluation", "dataset", "metric", "optimization",
    "natural-language-processing", "text-generation", "foundation-model", "cost", "corpus",
    "generalization", "transformer", "reasoning",
))
_GENERIC_NAMES = frozenset(("llm", "llms", "ai", "nlp", "gpt", "sota", "api"))
FEW_TERMS = 3  # fewer concepts and names than this, and a paper is known by its title's words too
SAME = 0.9  # two fields this alike (difflib's ratio) are one text said twice
_SAME_MIN = 8  # characters; shorter texts ("无。", "None.") may well repeat


def names(text: str) -> set[str]:
    """The names in ``text``, which an answer in either language keeps as they are: acronyms,
    models and data sets (SEC, 10-K, AMMORE, GPT-4o, Role-RL, LLaMA, Qwen2.5-7B), lower-cased."""
    return {token.lower() for token in _TOKEN.findall(text)
            if sum(ch.isupper() for ch in token) >= 2
            or (any(ch.isdigit() for ch in token) and any(ch.isalpha() for ch in token))}


def address(text: str) -> str | None:
    """The first web or mail address in ``text``."""
    match = _ADDRESS.search(text)
    return match.group(0).rstrip(".,;:)，。；：）") if match else None


def injection(text: str) -> str | None:
    """The first phrase of ``text`` that obeys an instruction instead of writing the show."""
    match = _INJECTION.search(text)
    return " ".join(match.group(0).split()) if match else None


def unsafe(fields: Mapping[str, str]) -> str | None:
    """What makes the answer's ``fields`` (name → text) unpublishable: an address or an
    instruction-following phrase, named with the field."""
    for name, text in fields.items():
        if found := address(text):
            return f'"{name}" contains a web address ({found}); leave every address out'
        if found := injection(text):
            return (f'"{name}" says "{found}", which obeys an instruction instead of describing '
                    "the paper; write about the paper only")
    return None


def has_cjk(text: str) -> bool:
    """Whether ``text`` has Chinese, Japanese or Korean in it."""
    return bool(_CJK_RUN.search(text))


def wrong_language(fields: Mapping[str, str], language: str,
                   mixed: Iterable[str] = ()) -> str | None:
    """Whether ``fields`` are in the other language: any Chinese, Japanese or Korean in an
    English show; in a Chinese show, a field with fewer Chinese characters than half its English
    words, or an answer with fewer than its English words: far beyond the technical terms a
    Chinese text keeps (a note naming three English methods still has more Chinese). ``mixed``
    names fields that may mix the two (a title keeping the paper's English name)."""
    for name, text in fields.items():
        if not is_chinese(language):
            if run := _CJK_RUN.search(text):
                return (f'"{name}" is not all in English: it says "{run.group(0)}"; '
                        "write every field in English, translating any Chinese")
        elif run := _OTHER_SCRIPTS.search(text):
            return f'"{name}" is not in Chinese: it says "{run.group(0)}"'
    if not is_chinese(language):
        return None
    total_han = total_latin = 0
    for name, text in fields.items():
        han, latin = len(_HAN.findall(text)), len(_LATIN_WORD.findall(text))
        total_han, total_latin = total_han + han, total_latin + latin
        if name not in mixed and latin >= 3 and 2 * han < latin:
            return (f'"{name}" is written in English; write it in simplified Chinese, '
                    "keeping only technical terms in English")
    if total_latin >= 6 and total_han < total_latin:
        return "the answer is mostly in English; write it in simplified Chinese"
    return None


def repeated(fields: Mapping[str, str]) -> str | None:
    """Two fields saying the same text (a model filling every field with one string)."""
    seen: list[tuple[str, str]] = []
    for name, text in fields.items():
        plain = _normal(text)
        if len(plain) < _SAME_MIN:
            continue
        for other, earlier in seen:
            matcher = SequenceMatcher(None, plain, earlier, autojunk=False)
            if matcher.real_quick_ratio() >= SAME and matcher.quick_ratio() >= SAME \
                    and matcher.ratio() >= SAME:
                return (f'"{name}" repeats "{other}"; every field must say something of its '
                        "own")
        seen.append((name, plain))
    return None


def _normal(text: str) -> str:
    """Letters and digits only, lower case: what two copies of one text share."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if ch.isalnum())


def terms(text: str) -> set[str]:
    """What marks a text's subject in either language: the glossary's concepts (知识蒸馏 and
    knowledge distillation are one), names such as SEC, 10-K or Role-RL, and English word stems
    other than stopwords."""
    found = {f"@{key}" for key in glossary().find(text)}
    found |= names(text)
    found |= {w for w in words(text) if len(w) >= 4 and not w.isdigit() and w not in STOPWORDS}
    return found


def paper_terms(material: str, title: str, project: str) -> set[str]:
    """The terms that mark a paper's own subject: its concepts and names (its title's words too
    when it has few of those), less what it shares with the listeners' project (which every
    answer speaks of anyway) and what nearly every paper names. Measured on the eight sample
    papers: each one's Chinese summary and English abstract share some with it; an answer
    written about another of them shares none in 48 of 56 pairs (the rest share a specific
    concept: long context, alignment, multi-agent)."""
    named = {f"@{key}" for key in glossary().find(material)} - {f"@{c}" for c in GENERIC_CONCEPTS}
    named |= names(material) - _GENERIC_NAMES
    project_terms = terms(project)
    if len(named - project_terms) < FEW_TERMS:  # little to go on: the title's words count too
        named |= {w for w in words(title) if len(w) >= 4 and not w.isdigit() and w not in STOPWORDS}
    own = named - project_terms
    return own if own else named


def off_topic(answer: str, own: Set[str]) -> str | None:
    """Whether ``answer`` shares none of the paper's own terms (``paper_terms``)."""
    if not own or own & terms(answer):
        return None
    return ("it is not about this paper: it names none of the paper's own terms; describe this "
            "paper, naming its methods and results")


# -- a conversation's turns ------------------------------------------------------------------------

# Who a script written for the stage names before a line: the hosts' names and roles are added.
_SPEAKER_LABELS = ("host", "analyst", "主持人", "分析师", "嘉宾", "主播", "speaker ?[12ab]",
                   "[AB]", "Q", "问", "答")
# What is acted rather than said: a direction in brackets or asterisks, or laughter written out.
_STAGE = re.compile(
    r"[(（\[【*]\s*[^()（）\[\]【】*]{0,12}?"
    r"(?:笑|停顿|叹气|沉默|鼓掌|掌声|音乐|音效|咳嗽|点头|摇头|清嗓子"
    r"|\b(?:laugh(?:s|ing|ter)?|chuckl(?:e|es|ing)|giggl(?:e|es|ing)|pauses?|sighs?|smiles?"
    r"|nods?|music|applause|inaudible|crosstalk)\b)"
    r"[^()（）\[\]【】*]{0,12}[)）\]】*]"
    r"|哈哈|呵呵|嘿嘿|\b(?:ha){2,}\b|\blol\b",
    re.IGNORECASE,
)
# A turn that only agrees ("对。", "没错，确实。", "Exactly!"): it says nothing.
_AGREEMENT = re.compile(
    r"(?:(?:对|对的|是的|是啊|没错|确实|确实如此|嗯|好的|当然|同意|说得对|有道理|exactly|right|yes|yeah"
    r"|indeed|sure|absolutely|true|agreed|i agree|good point|great point|totally|that's right)"
    r"[\s,，。.!！~、…]*)+",
    re.IGNORECASE,
)


def speaker_prefix(text: str, names: Iterable[str] = ()) -> str | None:
    """The speaker's label ``text`` begins with ("云扬：", "Host:", "[Analyst]:"), which the
    voices would read out."""
    labels = [re.escape(name) for name in names if name.strip()] + list(_SPEAKER_LABELS)
    match = re.match(r"\s*[\[【(（*]*\s*(?:" + "|".join(labels) + r")\s*[\]】)）*]*\s*[:：]",
                     text, re.IGNORECASE)
    return match.group(0).strip() if match else None


def stage_direction(text: str) -> str | None:
    """The first stage direction or written laughter in ``text``: "（笑）", "[pauses]", "哈哈";
    not a token in capitals, which a paper may name ("[PAUSE]")."""
    for match in _STAGE.finditer(text):
        if not match.group(0).isupper():
            return match.group(0)
    return None


def mere_agreement(text: str) -> bool:
    """Whether ``text`` only agrees, adding nothing."""
    return bool(_AGREEMENT.fullmatch(text.strip()))
