"""A small bilingual vocabulary of AI research topics.

Each topic matches both English and Chinese wording, so a Chinese project description and an
English abstract meet on the same topic. Selection uses it to score relevance and to explain
its choices; the template writer uses it to pick which concrete steps to suggest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    key: str
    zh: str
    en: str
    pattern: re.Pattern[str]

    def label(self, language: str) -> str:
        return self.zh if language.startswith("zh") else self.en


def _topic(key: str, zh: str, en: str, *patterns: str) -> Topic:
    # English patterns start at a word boundary; Chinese ones match anywhere.
    parts = [p if not p[0].isascii() else rf"\b{p}" for p in patterns]
    return Topic(key, zh, en, re.compile("|".join(parts), re.IGNORECASE))


TOPICS: tuple[Topic, ...] = (
    _topic("finetuning", "微调", "fine-tuning",
           r"fine-?tun", r"sft\b", r"instruction[- ]tun", r"lora\b", r"adapter", "微调", "指令"),
    _topic("rl", "强化学习", "reinforcement learning",
           r"reinforcement", r"rlhf", r"grpo", r"ppo\b", r"reward", r"policy", "强化学习", "奖励"),
    _topic("alignment", "对齐", "alignment",
           r"align", r"preference", r"dpo\b", "对齐", "偏好"),
    _topic("distillation", "知识蒸馏", "distillation",
           r"distill", r"teacher model", r"student model", "蒸馏", "教师模型", "学生模型"),
    _topic("data", "数据构建", "data curation",
           r"dataset", r"data curation", r"synthetic data", r"annotat", r"corpus", r"corpora",
           "数据集", "数据构建", "标注", "合成数据", "语料", "领域数据"),
    _topic("evaluation", "评测", "evaluation",
           r"benchmark", r"evaluat", r"metric", "评测", "基准", "评估", "指标"),
    _topic("reasoning", "推理能力", "reasoning",
           r"reasoning", r"chain[- ]of[- ]thought", r"planning", "推理能力", "逻辑推理", "思维链", "规划"),
    _topic("retrieval", "检索增强", "retrieval",
           r"retriev", r"rag\b", r"knowledge base", "检索", "知识库"),
    _topic("agents", "智能体", "agents",
           r"agent", r"tool[- ]use", r"delegate", "智能体", "多智能体", "代理", "工具调用"),
    _topic("efficiency", "效率与部署", "efficiency and deployment",
           r"efficien", r"latency", r"quantiz", r"compress", r"deploy", r"small language model",
           r"cost", "效率", "高效", "部署", "量化", "压缩", "延迟", "成本", "小模型"),
    _topic("long_context", "长上下文", "long context",
           r"long[- ]context", r"context window", "长上下文", "长文本"),
    _topic("safety", "安全与隐私", "safety and privacy",
           r"privacy", r"safety", r"secur", r"jailbreak", "隐私", "安全"),
    _topic("code", "代码生成", "code generation",
           r"code generation", r"coding", r"program synthesis", r"\bcode\b", "代码", "编程"),
    _topic("multimodal", "多模态", "multimodal models",
           r"multimodal", r"multi-modal", r"vision[- ]language", r"image", "多模态", "视觉", "图像"),
    _topic("finance", "金融与财税", "finance and tax",
           r"financ", r"tax", r"10-k", r"accounting", r"sec filing", r"stock",
           "金融", "财务", "税", "财报", "年报", "证券"),
    _topic("health", "医疗健康", "healthcare",
           r"clinical", r"medical", r"oncolog", r"health", r"patient", "医疗", "临床", "肿瘤", "医院"),
    _topic("education", "教育", "education",
           r"education", r"grading", r"formative assessment", r"tutor", "教育", "批改", "评分", "教学"),
    _topic("domain", "垂直领域", "domain adaptation",
           r"domain[- ]specific", r"vertical", r"domain adaptation", r"cross-domain",
           "垂直领域", "领域适配", "跨领域", "特定领域"),
)

TOPICS_BY_KEY = {topic.key: topic for topic in TOPICS}


def find_topics(text: str) -> dict[str, int]:
    """Topic key → how many times the topic is mentioned in ``text``."""
    counts = {topic.key: len(topic.pattern.findall(text)) for topic in TOPICS}
    return {key: count for key, count in counts.items() if count}
