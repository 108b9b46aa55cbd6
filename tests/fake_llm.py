"""A stand-in chat model behind a real OpenAI-compatible HTTP endpoint (POST
/v1/chat/completions), for driving the real openai client: it writes answers of the length the
prompt asks for, using only numbers from the abstract, and misbehaves on cue."""

from __future__ import annotations

import json
import re
from collections import defaultdict

from .webserver import Reply, Request

ZH_FILLER = "这篇论文把问题拆成几个清楚的步骤，并且用实验说明了方法的效果。"
EN_FILLER = "The paper splits the problem into clear steps and shows with experiments that the method works."


def paper_of(request: Request) -> dict:
    body = json.loads(request.body)
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return json.loads(user.split("<paper>\n", 1)[1].rsplit("\n</paper>", 1)[0])


def completion(content: str | None, finish: str = "stop", tokens: tuple[int, int] = (900, 300)) -> Reply:
    return Reply.json({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 1763700000, "model": "test-model",
        "choices": [{"index": 0, "finish_reason": finish,
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": tokens[0], "completion_tokens": tokens[1], "total_tokens": sum(tokens)},
    })


def _fill(filler: str, size: int, chinese: bool) -> str:
    if chinese:
        return (filler * (size // len(filler) + 1))[: max(size, 10)].rstrip("，") + "。"
    words = (filler.split() * (size // len(filler.split()) + 1))[: max(size, 5)]
    return " ".join(words).rstrip(".") + "."


ZH_STEP_LEADS = ("第一件事是读方法部分，", "接着在我们的数据上复现，", "然后和现有方案对比，", "最后在例会上汇报，")
EN_STEP_LEADS = ("Read the method section and", "Reproduce it on our own data and", "Compare it with our current recipe and",
                 "Report the outcome at the weekly meeting and")


def _rotated(filler: str, by: int, chinese: bool) -> str:
    """The filler begun elsewhere, so that steps made of it differ."""
    if chinese:
        by %= len(filler)
        return filler[by:] + filler[:by]
    words = filler.split()
    by %= len(words)
    return " ".join(words[by:] + words[:by])


def answer_for(request: Request, chinese: bool | None = None) -> dict:
    """A well-formed answer sized as the system prompt asks, grounded in the paper: its figures
    from the abstract, or from the full text's key figures when the paper was read in full; its
    notes name the paper. In the show's language unless ``chinese`` says otherwise."""
    body = json.loads(request.body)
    system = body["messages"][0]["content"]
    chinese = "简体中文" in system if chinese is None else chinese
    sizes = [int(zh or en) for zh, en in re.findall(r"约 (\d+) 字|about (\d+) words", system)]
    summary_size, thoughts_size, step_size = ([*sizes, 120, 50, 20])[:3]
    paper = paper_of(request)
    figures = re.findall(r"\d+(?:\.\d+)?%?", " ".join(paper.get("key_figures", [])) or paper["abstract"])
    filler = ZH_FILLER if chinese else EN_FILLER
    summary = _fill(filler, summary_size, chinese)
    if figures:
        summary += (f"主要结果是 {figures[0]}。" if chinese else f" The main result is {figures[0]}.")
    title = ("中文标题：" if chinese else "") + paper["title"]
    leads = ZH_STEP_LEADS if chinese else EN_STEP_LEADS
    sep = "" if chinese else " "
    about = f"论文《{paper['title']}》的方法。{filler}" if chinese else f"The method of {paper['title']}."
    return {
        "title": title,
        "summary": summary,
        "thoughts": _fill("它能直接帮到我们的微调流程，值得马上试一试。" if chinese else
                          "It helps our fine-tuning pipeline directly and is worth trying now.", thoughts_size, chinese),
        "steps": [_fill(lead + sep + _rotated(filler, 7 * i, chinese), step_size, chinese) for i, lead in enumerate(leads)],
        "notes": {"background": "背景。" if chinese else "Background.", "problem": "问题。" if chinese else "Problem.",
                  "method": about, "innovation": "创新。" if chinese else "What is new.",
                  "results": (figures[0] if figures else ("见摘要。" if chinese else "See the abstract.")),
                  "conclusion": "结论。" if chinese else "Conclusion.",
                  "one_line": "一句话概括。" if chinese else "One line.", "stars": 4,
                  "star_reason": "值得一读。" if chinese else "Worth reading."},
    }


class FakeModel:
    """Routes by paper title: ``script[title]`` is a list of behaviours used one per request
    about that paper (the last repeats); papers without a script get valid answers."""

    def __init__(self) -> None:
        self.script: dict[str, list] = {}
        self.requests: list[Request] = []
        self.per_paper: dict[str, int] = defaultdict(int)

    def __call__(self, request: Request) -> Reply:
        self.requests.append(request)
        title = paper_of(request)["title"]
        plan = self.script.get(title, ["valid"])
        step = plan[min(self.per_paper[title], len(plan) - 1)]
        self.per_paper[title] += 1
        if isinstance(step, Reply):
            return step
        if callable(step):
            return step(request)
        good = json.dumps(answer_for(request), ensure_ascii=False)
        return {
            "valid": lambda: completion(good),
            "malformed": lambda: completion(good.replace('"summary":', '"summary"', 1)),
            "truncated": lambda: completion(good[: len(good) // 2], finish="length"),
            "blank": lambda: completion(""),
            "fenced": lambda: completion(f"```json\n{good}\n```"),
            "two_steps": lambda: completion(json.dumps({**answer_for(request), "steps": ["a", "b"]}, ensure_ascii=False)),
        }[step]()
