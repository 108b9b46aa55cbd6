"""Turn written text into text a voice can read: no markdown, URLs, LaTeX, emoji, stage
directions or stray symbols, numbered lists as spoken ordinals, dashes typed as "--" set as
dashes, and no sentence broken across lines.

Every writer passes what it says through :func:`speakable`, so the script, the transcript and
the audio all carry the same clean words. How words and numbers are *pronounced* (acronyms,
percentages, arXiv ids) is the pronunciation lexicon's job (voices/lexicon.toml), applied to
the audio only.
"""

from __future__ import annotations

import re
import unicodedata

from ..sources.normalize import dashes, strip_unsafe

_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"'，。；！？、）)]+", re.IGNORECASE)
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_LATEX_CMD = re.compile(r"\\([a-zA-Z]+)\*?(?:\{([^{}]*)\})?")
_GREEK = frozenset(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau"
    " upsilon phi chi psi omega".split()
)
# at most 9 digits: a longer number is no list marker, and past 4300 int() refuses it
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•·]|\d{1,9}[.)、]|[（(]\d{1,9}[)）])\s+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_RULE = re.compile(r"\s*([-*_])(?:\s*\1){2,}\s*")  # a markdown rule: "---", "* * *"
# Where a line may end without the sentence going on: sentence ends, colons, closing brackets.
_LINE_END_OK = set("。！？!?.;；:：…”\"'’）)】」』")
_DROP = re.compile(r"[*_`~|^#<>\[\]{}\\$]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
# Stage directions a model may add: (laughs), [music], （笑）, *pause*; and speaker labels.
_STAGE_WORDS = (
    r"laughs?|laughter|chuckles?|pauses?|music|intro music|outro music|sighs?|applause"
    r"|sound effects?|笑|大笑|停顿|音乐|背景音乐|片头音乐|片尾音乐|掌声|叹气|音效"
)
_STAGE = re.compile(rf"[(（\[【*]\s*(?:{_STAGE_WORDS})[^)）\]】*\n]{{0,20}}[)）\]】*]",
                    re.IGNORECASE)
_SPEAKER = re.compile(r"^\s*(?:(?:主持人|主播|旁白|Host|Narrator|Speaker \d)\s*[:：]\s*)+",
                      re.IGNORECASE)
_EN_ORDINALS = ("First", "Second", "Third", "Fourth", "Fifth",
                "Sixth", "Seventh", "Eighth", "Ninth", "Tenth")
_ZH_ORDINALS = "一二三四五六七八九十"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")
_SPACE_BEFORE_PUNCT = re.compile(r" +(?=[，。；：！？、,.;:!?)）])")
_ROUNDS = 10  # markup inside markup, taken out layer by layer; more is not text but an attack


def speakable(text: str, language: str) -> str:
    """Clean ``text`` for speech; paragraphs stay separated by one blank line. Cleaning again
    changes nothing: markup that the removal of other markup completes ("htt<b></b>ps://",
    "(（笑）笑)", "Host: Host:", "\\1. ") is taken out too."""
    chinese = language.startswith("zh")
    text = re.sub("\r\n?|[\u2028\u2029]", "\n", strip_unsafe(text))
    for _ in range(_ROUNDS):
        cleaner = _speakable(text, chinese)
        if cleaner == text:
            break
        text = cleaner
    return text


def _speakable(text: str, chinese: bool) -> str:
    text = _strip_markup(unicodedata.normalize("NFC", text))
    lines = [_strip_line_markup(line, chinese) for line in text.split("\n")]
    paragraphs = _join_broken_lines(lines, chinese)
    return "\n\n".join(
        cleaned for cleaned in (_clean_symbols(p, chinese) for p in paragraphs) if cleaned
    )


def _strip_markup(text: str) -> str:
    text = _STAGE.sub("", text)
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _HTML_TAG.sub("", text)
    return _LATEX_CMD.sub(_latex_words, text)


def _ordinal(number: int, chinese: bool) -> str:
    if not 1 <= number <= 10:
        return f"{number}，" if chinese else f"{number}. "
    return f"第{_ZH_ORDINALS[number - 1]}，" if chinese else f"{_EN_ORDINALS[number - 1]}, "


def _latex_words(match: re.Match[str]) -> str:
    """``\\textbf{x}`` reads as x, ``\\alpha`` as alpha, other bare commands not at all."""
    name, argument = match.groups()
    if argument is not None:
        return argument
    return f" {name} " if name.lower() in _GREEK else ""


def _strip_line_markup(line: str, chinese: bool) -> str:
    if _RULE.fullmatch(line):
        return ""
    line = _SPEAKER.sub("", _QUOTE.sub("", line))
    if _HEADING.match(line):  # a heading is a sentence of its own
        line = _HEADING.sub("", line).strip()
        if line and line[-1] not in _LINE_END_OK:
            line += "。" if chinese else "."
    return line.strip()


def _join_broken_lines(lines: list[str], chinese: bool) -> list[str]:
    """Join lines that break a sentence, even across blank lines; list items stay apart, and
    what comes before an item ends as a sentence (read again, it must not be joined to the
    item, which has lost its marker by then)."""
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line:
            continue
        starts_item = bool(_LIST_MARKER.match(line))
        if current and not starts_item and current[-1] not in _LINE_END_OK:
            current = _glue(current, line)
        else:
            if current:
                paragraphs.append(_ended(current, chinese) if starts_item else current)
            current = line
    if current:
        paragraphs.append(current)
    return paragraphs


def _glue(left: str, right: str) -> str:
    if _is_cjk(left[-1]) or _is_cjk(right[0]):
        return left + right
    return f"{left} {right}"


def _is_cjk(char: str) -> bool:
    return bool(re.match(f"[{_CJK}]", char))


def _ended(text: str, chinese: bool) -> str:
    return text if text[-1] in _LINE_END_OK else text + ("。" if chinese else ".")


def _clean_symbols(text: str, chinese: bool) -> str:
    text = text.replace("&", "和" if chinese else " and ")
    text = text.replace("/", " ")
    text = dashes(_DROP.sub("", text))  # "-->" is a dash too, once its ">" is gone
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("So", "Cs", "Co"))
    text = _tidy(text, chinese)
    # The marker, once the symbols are gone ("\\1. " is one too): a numbered item is read with
    # its ordinal, bullets ("- - x", "- 1. x") not at all.
    while (marker := _LIST_MARKER.match(text)) and not re.search(r"\d", marker.group(0)):
        text = text[marker.end():]
    # The loop leaves only a numbered marker, so the search always finds its digits.
    if marker and (digits := re.search(r"\d+", marker.group(0))):
        text = _ordinal(int(digits.group(0)), chinese) + text[marker.end():]
    return unicodedata.normalize("NFC", _tidy(text, chinese))


def _tidy(text: str, chinese: bool) -> str:
    text = _SPACES.sub(" ", text).strip()
    if chinese:
        text = _CJK_GAP.sub("", text)
    return _SPACE_BEFORE_PUNCT.sub("", text)
