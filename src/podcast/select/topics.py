"""Coarse research topics, the level at which the template writer suggests concrete steps.

Glossary concepts name their topic, so a topic is found wherever one of its concepts is.
"""

from __future__ import annotations

from dataclasses import dataclass

from .glossary import glossary


@dataclass(frozen=True)
class Topic:
    key: str
    zh: str
    en: str

    def label(self, language: str) -> str:
        return self.zh if language.startswith("zh") else self.en


TOPICS: tuple[Topic, ...] = (
    Topic("finetuning", "微调", "fine-tuning"),
    Topic("rl", "强化学习", "reinforcement learning"),
    Topic("alignment", "对齐", "alignment"),
    Topic("distillation", "知识蒸馏", "distillation"),
    Topic("data", "数据构建", "data curation"),
    Topic("evaluation", "评测", "evaluation"),
    Topic("reasoning", "推理能力", "reasoning"),
    Topic("retrieval", "检索增强", "retrieval"),
    Topic("agents", "智能体", "agents"),
    Topic("efficiency", "效率与部署", "efficiency and deployment"),
    Topic("long_context", "长上下文", "long context"),
    Topic("safety", "安全与隐私", "safety and privacy"),
    Topic("code", "代码生成", "code generation"),
    Topic("multimodal", "多模态", "multimodal models"),
    Topic("finance", "金融与财税", "finance and tax"),
    Topic("health", "医疗健康", "healthcare"),
    Topic("education", "教育", "education"),
    Topic("domain", "垂直领域", "domain adaptation"),
)

TOPICS_BY_KEY = {topic.key: topic for topic in TOPICS}


def topics_of(concepts: dict[str, int]) -> dict[str, int]:
    """Topic key → mentions, from concept key → mentions."""
    found: dict[str, int] = {}
    for key, count in concepts.items():
        topic = glossary().concepts[key].topic
        if topic:
            found[topic] = found.get(topic, 0) + count
    return found


def find_topics(text: str) -> dict[str, int]:
    """Topic key → how many times the topic is mentioned in ``text``."""
    return topics_of(glossary().find(text))
