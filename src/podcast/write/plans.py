"""What the offline template writer knows about kinds of technique: how to tell what a paper
does (routing models, choosing preference data, grading with a model ...), what that does in a
sentence, why it matters to a project like ours, what to watch out for, and concrete steps to try
it. Every text is given in Chinese and in English, and may name the paper's technique ({tech})
and the project's field ({domain}).

A paper gets the kind its title, method and abstract name most, the specific kinds before the
broad ones (a routing paper that uses reinforcement learning is a routing paper), so its plan is
about what it actually does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

Words = tuple[str, str]  # (Chinese, English)


@dataclass(frozen=True)
class Technique:
    key: str
    does: Words  # what a paper of this kind does, said after its name: "Role-RL 按实测……"
    short: Words  # the technique, when the paper has no name of its own
    helps: tuple[str, ...]  # the topics (select.topics) of the project parts it helps most
    why: Words  # why it matters to a project like ours
    caveat: Words  # what to watch out for
    steps: tuple[Words, ...]  # the plan, most important first; three at least
    english: tuple[str, ...] = ()  # regular expressions over lower-case English text
    chinese: tuple[str, ...] = ()  # substrings of Chinese text
    weight: float = 1.0  # broad kinds count less than specific ones

    def score(self, weighted_texts: Iterable[tuple[str, float]]) -> float:
        """How strongly texts, each with its weight (a title counts more), name this kind."""
        total = 0.0
        for text, weight in weighted_texts:
            lower = text.lower()
            hits = sum(len(re.findall(pattern, lower)) for pattern in self.english)
            hits += sum(lower.count(term) for term in self.chinese)
            total += weight * hits
        return total * self.weight


BROAD = 0.5

TECHNIQUES: tuple[Technique, ...] = (
    Technique(
        "routing",
        does=("研究的是让不同模型各干自己最擅长的事",
              "is about giving each model the job it does best"),
        short=("论文的分工办法", "the paper's routing"),
        helps=("efficiency", "agents"),
        why=("我们的{domain}助手也不是每一步都需要最贵的模型，按效果、费用和延迟分工，"
             "能在质量不降的情况下省钱。",
             "Not every step of our {domain} assistant needs the most expensive model; dividing "
             "the work by quality, cost and latency can save money without losing accuracy."),
        caveat=("要注意，最合适的分工取决于请求本身，效果、费用和延迟各占多少分量，得按我们自己的请求来定。",
                "One caution: the best split depends on the traffic, so the weights of quality, "
                "cost and latency must be set for our own requests."),
        steps=(
            ("把我们{domain}助手的处理流程拆成几个角色，比如检索、起草和核对。",
             "Break our {domain} assistant's pipeline into roles, such as retrieval, drafting "
             "and checking."),
            ("让手头的几个模型在每个角色上各跑一批真实问题，记下正确率、费用和延迟。",
             "Run every model we have on a batch of real questions in each role, logging "
             "accuracy, cost and latency."),
            ("仿照{tech}，把这三项合成一个分数，给每个角色选出得分最高的模型。",
             "As {tech} does, fold the three into one score and give each role its top-scoring "
             "model."),
            ("和一个大模型包办全程比一比，看召回率和每千次调用的成本各变多少。",
             "Compare that with one large model doing everything, on recall and on cost per "
             "thousand calls."),
            ("每月用新的调用日志重算一次分数，模型换代时分工也跟着调整。",
             "Recompute the scores monthly from fresh call logs, so the roles follow as models "
             "change."),
        ),
        english=(r"\brout(?:e|es|ed|ing|er|ers)\b", r"\broles?\b", r"\bmodel (?:selection|pool)",
                 r"\bpool of (?:llms|models)\b", r"\bcascad",
                 r"\b(?:best|right|most suitable|optimal) (?:llm|model)s?\b"),
        chinese=("路由", "角色", "模型池", "各就其位", "挑对模型", "合适的模型"),
    ),
    Technique(
        "preference_data",
        does=("研究怎样挑选和标注偏好数据来对齐模型",
              "is about choosing and labelling preference data to align a model"),
        short=("论文的做法", "the paper's approach"),
        helps=("alignment", "data", "rl"),
        why=("偏好数据的标注是对齐里最贵的一环，先挑对样本再标注，钱才花在刀刃上。",
             "Labelling preference data is the costliest part of alignment; choosing the right "
             "pairs first puts the money where it counts."),
        caveat=("不过，样本怎么挑都好，标注本身的质量还得靠业务专家把关。",
                "Still, however the pairs are chosen, the labels themselves need our domain "
                "experts."),
        steps=(
            ("从线上日志里为同一个问题收集两个以上的回答，先别急着标注。",
             "Collect two or more answers per question from our logs, before labelling "
             "anything."),
            ("照{tech}决定先标哪些回答对，而不是随手挑。",
             "Decide which pairs to label first the way {tech} does, rather than at random."),
            ("请{domain}同事标注这批回答对，每对写一句理由，记下花了多少时间。",
             "Have our {domain} experts label those pairs with a one-line reason each, and log "
             "the time it takes."),
            ("用这批数据做一轮直接偏好优化，和随机挑选的同样数量对比效果。",
             "Run one round of DPO on them and compare with the same number of randomly chosen "
             "pairs."),
        ),
        english=(r"\bpreference (?:data|pairs?|optimi[sz]ation)", r"\bdpo\b", r"\brlhf\b",
                 r"\bannotat", r"\blabel(?:l)?ing\b", r"\bresponse pairs?\b"),
        chinese=("偏好", "标注", "回答对"),
    ),
    Technique(
        "grading",
        does=("让大模型来批改和打分", "has a language model do the grading"),
        short=("论文的批改办法", "the paper's grading method"),
        helps=("evaluation", "education"),
        why=("评测里最耗人力的就是人工判分，模型能可靠地批改，每次迭代都能快不少。",
             "Grading by hand is what slows evaluation most; a model that grades reliably makes "
             "every iteration faster."),
        caveat=("不过，大模型批改也会出错，关键结论要留人工复核的口子。",
                "Model grading makes mistakes too, so keep a human check on the results that "
                "matter."),
        steps=(
            ("先用规则给我们的{domain}答案自动判对错，找出判不准的那一小部分。",
             "Grade our {domain} answers with rules first, and set aside the small share they "
             "cannot judge."),
            ("只把这部分交给大模型处理，照{tech}让它先说理由再下结论。",
             "Send only those to a language model, and have it give its reasons before it "
             "decides, as {tech} does."),
            ("请业务专家抽查一百条，算出大模型批改和人工判断的一致率。",
             "Have a domain expert check a hundred of them, and measure how often the model "
             "agrees."),
            ("一致率够高就接进评测流水线，让疑难答案不再拖慢每次迭代。",
             "If agreement is high, wire it into our evaluation pipeline so hard cases stop "
             "slowing each iteration."),
        ),
        english=(r"\bgrad(?:e|es|ed|ing|er|ers)\b", r"\bassessment\b", r"\bedge cases?\b",
                 r"\bjudg(?:e|es|ing)\b", r"\bscor(?:e|es|ing) (?:answers|responses)\b"),
        chinese=("批改", "判分", "疑难", "判不准"),
    ),
    Technique(
        "expansion",
        does=("对付的是模型学新领域时把旧本事忘掉的问题",
              "tackles models forgetting what they knew while they learn a new domain"),
        short=("论文的办法", "the paper's method"),
        helps=("finetuning", "domain"),
        why=("我们往模型里加{domain}知识时，最怕把通用能力练丢了，这个问题躲不开。",
             "When we teach the model {domain} material, the worry is losing its general "
             "skills, and there is no avoiding it."),
        caveat=("不忘旧知识的办法大多有代价，多出来的参数、数据或算力都要算进去。",
                "Most ways of not forgetting cost something, extra parameters, data or compute, "
                "so count it in."),
        steps=(
            ("准备一份通用能力的回归测试，每次{domain}训练前后各跑一遍，专门盯有没有遗忘。",
             "Keep a regression test of general skills and run it before and after every "
             "{domain} training run, watching for forgetting."),
            ("照{tech}训一版{domain}模型，和我们现在的微调方式对比。",
             "Train a {domain} model with {tech} and compare it with how we fine-tune now."),
            ("比较{domain}效果的涨幅和通用能力的跌幅，两头都要看。",
             "Compare how much {domain} quality rises with how much general skill falls; both "
             "count."),
            ("下一个领域来了再做一遍，看几个领域能不能在一个模型里共存。",
             "When the next domain comes, repeat it and check that several domains can live in "
             "one model."),
        ),
        english=(r"\bcatastrophic forgetting\b", r"\bforget", r"\bknowledge expansion\b",
                 r"\bnew layers?\b", r"\bextra parameters\b", r"\bcontinual\b", r"\bfreez"),
        chinese=("遗忘", "知识扩展", "新层", "新增的参数", "持续学习", "冻结"),
    ),
    Technique(
        "documents",
        does=("让大模型从长篇文件里抽取和评估信息",
              "has a model pull out and assess what long documents say"),
        short=("论文的流程", "the paper's pipeline"),
        helps=("finance", "data", "domain"),
        why=("我们手里也有大量长篇的{domain}文件，先切章节、再逐项处理，比整篇硬塞给模型更稳，"
             "也更好核对。",
             "We also hold long {domain} documents; taking them section by section is steadier "
             "than feeding whole files to a model, and easier to check."),
        caveat=("模型给的结果只能当初筛，最终判断还要回到原文和人工。",
                "What the model finds is a first pass; final judgements go back to the text and "
                "to people."),
        steps=(
            ("挑十份真实的{domain}文件，按固定章节切开，先把清洗和切分做稳。",
             "Take ten real {domain} documents, cut them into their standard sections, and make "
             "cleaning and splitting reliable."),
            ("像{tech}那样只把关键章节交给模型，让它按我们定的几项抽取或打分。",
             "As {tech} does, give the model only the key sections and have it extract or score "
             "what we define."),
            ("请业务同事对同一批文件做一遍，看模型和人在哪几项差得最多。",
             "Have colleagues do the same on the same documents, and see where model and people "
             "differ most."),
            ("把结果按文件排成对比表，看它能不能当日常分析的第一眼。",
             "Lay the results side by side per document and judge whether they work as a first "
             "look in daily analysis."),
        ),
        english=(r"\bfilings?\b", r"\bannual reports?\b", r"\b10-k\b", r"\bextract",
                 r"\bsections\b", r"\bdocuments?\b", r"\bratings?\b"),
        chinese=("年报", "财报", "抽取", "章节", "文档", "打分"),
    ),
    Technique(
        "privacy",
        does=("让助手在保护隐私和必要的披露之间拿捏分寸",
              "has an assistant balance privacy against what it needs to share"),
        short=("论文的披露策略", "the paper's disclosure strategy"),
        helps=("safety", "agents"),
        why=("我们的助手迟早要代表用户说话，什么能说、什么不能说，不能只靠一刀切。",
             "Our assistant will speak for users sooner or later, and what it may share cannot "
             "be one blanket rule."),
        caveat=("规则定得太严，助手会什么都不敢说，分寸要在真实对话里慢慢调。",
                "Rules that are too strict leave the assistant saying nothing useful; the balance "
                "has to be tuned on real conversations."),
        steps=(
            ("列出我们{domain}助手会碰到的敏感信息，按能说、看情况说、绝不能说分三档。",
             "List the sensitive information our {domain} assistant handles, in three tiers: "
             "fine to share, depends, never."),
            ("借鉴{tech}，在回复之前加一步情境判断：对方是谁，这次要透露多少。",
             "Borrowing from {tech}, add a step before each reply that judges who is asking and "
             "how much must be shared."),
            ("准备二十段需要权衡的对话，检查助手有没有多说，或者该说的没说。",
             "Write twenty conversations that need judgement, and check for over-sharing and "
             "for withholding what should be said."),
            ("把这些对话加进上线前的安全检查，每次换模型都重跑一遍。",
             "Add them to our pre-release safety checks and rerun them whenever the model "
             "changes."),
        ),
        english=(r"\bprivacy\b", r"\bprivate\b", r"\bdisclos", r"\bsensitive\b"),
        chinese=("隐私", "披露", "敏感"),
    ),
    Technique(
        "knowledge_base",
        does=("把专业知识和规范整理成知识库，让每条建议都有据可查",
              "organises expert knowledge and guidelines so every recommendation can be traced "
              "to a source"),
        short=("论文的知识库", "the paper's knowledge base"),
        helps=("retrieval", "domain", "health"),
        why=("{domain}规则多、变得快，让模型的每条建议都落到有出处的规则上，回答才经得起追问。",
             "Our {domain} rules are many and change often; tying each recommendation to a "
             "sourced rule makes answers hold up under questioning."),
        caveat=("知识库一旦过期，建议就会出错，维护比搭建更花功夫。",
                "A stale knowledge base gives wrong advice, and keeping it current takes more "
                "work than building it."),
        steps=(
            ("把我们{domain}的规章和指南整理成知识库，每条标好出处和生效日期。",
             "Turn our {domain} rules and guidelines into a knowledge base, each entry with its "
             "source and effective date."),
            ("像{tech}那样，让每条建议都对照知识库，说明依据的是哪一条。",
             "As with {tech}, make every recommendation cite the entry it rests on."),
            ("为知识库定一个固定的更新流程，规则一变，相关条目当天就改。",
             "Set up an update routine, so entries change the day a rule changes."),
            ("从历史案例里抽五十个，看知识库给出的建议和专家结论有多一致。",
             "Take fifty past cases and measure how often the knowledge base agrees with the "
             "experts."),
        ),
        english=(r"\bknowledge (?:base|graph)s?\b", r"\bguidelines?\b", r"\bdigital twins?\b",
                 r"\bpathways?\b", r"\bdecision support\b"),
        chinese=("知识库", "知识图谱", "指南", "孪生", "护理路径", "决策支持"),
    ),
    Technique(
        "decomposition",
        does=("把复杂任务拆开，分成几段分别完成", "splits complex tasks into pieces solved apart"),
        short=("论文的任务拆分", "the paper's task splitting"),
        helps=("agents", "reasoning", "code"),
        why=("我们的长任务如果全压在一个上下文里，出错的概率会随长度急剧上升，拆开做反而更省。",
             "If our long tasks all run in one context, the chance of error climbs steeply with "
             "length; splitting them is cheaper."),
        caveat=("拆分也有代价，子任务之间的交接要设计好，否则信息会在中间丢掉。",
                "Splitting has a cost too: the hand-offs between subtasks need care, or "
                "information gets lost on the way."),
        steps=(
            ("找出我们{domain}任务里最长、最容易出错的一类，把它拆成几个子任务。",
             "Pick the longest, most error-prone kind of {domain} task we have and split it "
             "into subtasks."),
            ("照{tech}，让每个子任务在独立的上下文里完成，再汇总结果。",
             "Following {tech}, solve each subtask in its own context and then combine the "
             "results."),
            ("和一次生成做对比，统计要采样几次才能拿到一个正确答案。",
             "Compare with one-shot generation by counting how many samples it takes to get one "
             "correct answer."),
            ("差距明显的话，就把拆分方式固定成模板，接进我们的工作流。",
             "If the gap is clear, make the split a template in our workflow."),
        ),
        english=(r"\bdecompos", r"\bsub-?tasks?\b", r"\bcompositional\b", r"\bcomposition\b",
                 r"\bmulti-agent\b", r"\bseveral agents\b"),
        chinese=("子任务", "组合难度", "组合问题", "多智能体", "拆开", "拆成"),
    ),
    Technique(
        "survey",
        does=("系统梳理了一个方向的研究", "maps the research of a whole field"),
        short=("这篇综述", "the survey"),
        helps=(),
        why=("综述能帮我们很快看清这个方向的全貌，少走弯路。",
             "A survey shows a whole field quickly and saves us detours."),
        caveat=("综述反映的是写作时的状态，之后的新进展要我们自己补上。",
                "A survey reflects its time of writing; newer work we must add ourselves."),
        steps=(
            ("先读{tech}的分类框架，标出我们项目已经覆盖和还没覆盖的方向。",
             "Read the taxonomy in {tech} and mark which directions our project covers and "
             "which it does not."),
            ("从没覆盖的方向里挑一个和{domain}最相关的，找两篇代表论文细读。",
             "From the gaps, pick the one closest to our {domain} work and read two key papers "
             "on it."),
            ("把综述里列的评测指标和我们现在用的对一遍。",
             "Compare the metrics the survey lists with the ones we use."),
            ("在例会上花十分钟讲讲发现，定下要不要跟进。",
             "Take ten minutes at the team meeting to share what we found and decide whether to "
             "follow up."),
        ),
        english=(r"\b(?:this|a|our) survey\b", r"\bsurvey (?:of|on) (?:the |recent )?"
                 r"(?:literature|research|methods|approaches|advances)",
                 r"\bliterature review\b", r"\bsystematic review\b", r"\btaxonomy\b"),
        chinese=("综述", "文献"),
    ),
    Technique(
        "distillation",
        does=("把大模型的能力蒸馏到小模型里", "distils a large model's skill into a smaller one"),
        short=("论文的蒸馏方法", "the paper's distillation"),
        helps=("distillation", "efficiency"),
        why=("把大模型的本事蒸馏到小模型上，{domain}助手上线时的成本和延迟都能降下来。",
             "Distilling a large model into a small one can cut the cost and latency of our "
             "{domain} assistant in production."),
        caveat=("小模型的上限取决于教师，教师答错的{domain}问题，学生也学不会。",
                "The student can only be as good as the teacher on our {domain} questions."),
        steps=(
            ("用我们最好的大模型当教师，在{domain}问题上生成一批带推理过程的回答。",
             "Use our best large model as the teacher and have it answer a batch of {domain} "
             "questions, reasoning included."),
            ("照{tech}，把这些回答蒸馏给一个小模型。",
             "Distil those answers into a small model the way {tech} does."),
            ("对比蒸馏前后的准确率和推理延迟，看小模型能不能接一部分线上流量。",
             "Compare accuracy and latency before and after, and decide whether the small model "
             "can take some live traffic."),
            ("挑出学生答错、教师答对的题，补进下一轮蒸馏的数据。",
             "Collect the questions the student misses and the teacher gets right, for the next "
             "round."),
        ),
        english=(r"\bdistil",), chinese=("蒸馏",), weight=BROAD,
    ),
    Technique(
        "rl",
        does=("用强化学习和奖励信号来训练模型",
              "trains models with reinforcement learning and reward signals"),
        short=("论文的强化学习做法", "the paper's training recipe"),
        helps=("rl", "reasoning"),
        why=("强化学习能让模型在可以自动判对错的{domain}任务上继续进步，不用再标大量数据。",
             "Reinforcement learning lets the model keep improving on {domain} tasks that can be "
             "checked automatically, without more labelled data."),
        caveat=("奖励设计得不好，模型会学会钻空子，所以评测要和奖励分开看。",
                "A poorly designed reward teaches the model to game it, so keep evaluation "
                "separate from the reward."),
        steps=(
            ("梳理我们{domain}任务里能自动判对错的环节，写成奖励函数。",
             "Find the parts of our {domain} tasks that can be checked automatically and write "
             "them as reward functions."),
            ("在监督微调后的模型上，照{tech}跑一轮小规模强化学习。",
             "On our fine-tuned model, run a small round of reinforcement learning following "
             "{tech}."),
            ("同时盯住奖励曲线和评测集分数，警惕模型钻奖励的空子。",
             "Watch the reward curve and the evaluation scores together, looking out for reward "
             "hacking."),
            ("效果稳定提升了，再把训练规模扩大一倍。",
             "Only when the gain holds, double the scale of the run."),
        ),
        english=(r"\breinforcement learning\b", r"\breward", r"\bgrpo\b", r"\bppo\b",
                 r"\bpolicy (?:gradient|optimi[sz]ation)\b"),
        chinese=("强化学习", "奖励"), weight=BROAD,
    ),
    Technique(
        "finetuning",
        does=("在微调的做法上下功夫", "works on how models are fine-tuned"),
        short=("论文的微调配方", "the paper's fine-tuning recipe"),
        helps=("finetuning", "domain"),
        why=("微调配方上的一点改进，放到我们的{domain}数据上，可能就是几个点的差别。",
             "A better fine-tuning recipe can be worth several points on our {domain} data."),
        caveat=("论文的设置和我们的数据规模不同，结论要在我们自己的数据上复核。",
                "The paper's setting differs from our data and scale, so its conclusions need "
                "checking on our own data."),
        steps=(
            ("从我们的{domain}数据里抽一个小而干净的子集，当作对照实验的训练集。",
             "Take a small, clean subset of our {domain} data as the training set for a "
             "controlled run."),
            ("用{tech}和我们现在的微调配方各训一版，其余条件保持一致。",
             "Train one model with {tech} and one with our current recipe, everything else "
             "equal."),
            ("在同一个评测集上比较效果、训练时长和显存占用。",
             "Compare quality, training time and memory on the same evaluation set."),
            ("赢了再换到全量数据上验证一次。", "If it wins, confirm it once on the full data."),
        ),
        english=(r"\bfine-?tun", r"\bsft\b", r"\blora\b", r"\binstruction tuning\b", r"\bpeft\b",
                 r"\badapters?\b"),
        chinese=("微调", "指令"), weight=BROAD,
    ),
    Technique(
        "retrieval",
        does=("研究的是检索怎么更好地为生成服务",
              "is about making retrieval serve generation better"),
        short=("论文的检索方案", "the paper's retrieval design"),
        helps=("retrieval",),
        why=("{domain}资料更新得快，检索做好了，模型不用重训也能回答新问题。",
             "Our {domain} material changes often; with good retrieval, the model answers new "
             "questions without retraining."),
        caveat=("检索进来的资料也可能有错，来源必须可追溯。",
                "Retrieved material can be wrong too, so sources must be traceable."),
        steps=(
            ("把我们的{domain}资料切块建索引，每块标好来源和日期。",
             "Chunk and index our {domain} documents, each chunk with its source and date."),
            ("参照{tech}，改进检索和生成的衔接。",
             "Rework how retrieval feeds generation along the lines of {tech}."),
            ("用一百个真实问题，比较改动前后的答对率和引用准确率。",
             "Compare answer accuracy and citation accuracy on a hundred real questions, before "
             "and after."),
            ("把检索失败的问题单独记下来，作为下一轮改进的清单。",
             "Log the questions where retrieval fails, as the list for the next round."),
        ),
        english=(r"\bretriev", r"\brag\b", r"\bsearch engines?\b"), chinese=("检索",),
        weight=BROAD,
    ),
    Technique(
        "benchmark",
        does=("为模型搭了一套评测", "builds a way to evaluate models"),
        short=("论文的评测设计", "the paper's evaluation design"),
        helps=("evaluation",),
        why=("评测集决定了我们能看见什么，补上缺的能力，训练才有方向。",
             "Our evaluation set decides what we can see; filling its gaps gives training a "
             "direction."),
        caveat=("评测不能只看总分，错题本身的信息量更大。",
                "Scores alone are not enough; the failed items say more."),
        steps=(
            ("对照{tech}，检查我们的{domain}评测集漏了哪些能力。",
             "Hold our {domain} evaluation set against {tech} and note which skills it misses."),
            ("为缺的能力各补二十道题，附上标准答案和评分规则。",
             "Add twenty questions for each missing skill, with reference answers and scoring "
             "rules."),
            ("把新题接进每次训练后的自动评测，持续跟踪分数变化。",
             "Run the new questions automatically after every training run and track the "
             "scores."),
            ("每个季度换掉一部分题，防止模型对评测集过拟合。",
             "Replace part of the questions each quarter, so the model does not overfit the "
             "set."),
        ),
        english=(r"\bbenchmarks?\b", r"\bevaluation (?:suite|set|framework)s?\b",
                 r"\bleaderboards?\b", r"\bevaluating\b"),
        chinese=("基准", "评测集", "测评"), weight=0.75,
    ),
    Technique(
        "data",
        does=("研究训练数据怎么构建和筛选", "is about how training data is built and chosen"),
        short=("论文的数据流程", "the paper's data pipeline"),
        helps=("data",),
        why=("对{domain}效果来说，数据质量往往比模型大小更要紧。",
             "For {domain} quality, data quality often matters more than model size."),
        caveat=("数据的每次改动都要留版本，不然效果变了也说不清原因。",
                "Version every data change, or no one can tell why results moved."),
        steps=(
            ("对照{tech}，检查我们{domain}数据的收集、清洗和标注环节。",
             "Hold our {domain} data collection, cleaning and labelling against {tech}."),
            ("挑出最薄弱的一环，照论文的办法改进。",
             "Pick the weakest step and improve it the way the paper does."),
            ("用同一个模型在新旧数据上各训一次，量出数据带来的差别。",
             "Train the same model on the old and the new data and measure what the data alone "
             "changes."),
            ("把改进后的流程写成脚本，新数据进来自动跑一遍。",
             "Script the improved pipeline so new data goes through it automatically."),
        ),
        english=(r"\bsynthetic data\b", r"\bdata (?:curation|quality|filtering|selection|cleaning)",
                 r"\bcorpus\b", r"\bcorpora\b"),
        chinese=("合成数据", "数据清洗", "数据质量", "语料"), weight=BROAD,
    ),
    Technique(
        "reasoning",
        does=("着眼于模型的多步推理", "focuses on multi-step reasoning"),
        short=("论文的推理方法", "the paper's reasoning method"),
        helps=("reasoning",),
        why=("{domain}问题常要好几步推理，推理能力直接决定答案靠不靠得住。",
             "Many of our {domain} questions need several steps of reasoning, which decides "
             "whether answers can be trusted."),
        caveat=("推理变长意味着延迟和成本上升，要算清值不值。",
                "Longer reasoning means more latency and cost, so weigh whether it pays."),
        steps=(
            ("从我们的{domain}问题里挑出需要多步推理的，整理成专门的测试集。",
             "Gather the {domain} questions that need several steps of reasoning into a "
             "dedicated test set."),
            ("在这批题上试用{tech}，记下正确率和每题的推理长度。",
             "Try {tech} on them, logging accuracy and the length of each reasoning chain."),
            ("看推理变长是不是真换来了正确率，找出性价比最好的设置。",
             "Check whether longer reasoning really buys accuracy, and find the setting with the "
             "best trade-off."),
            ("把错题按错误类型归类，决定下一步补数据还是改提示。",
             "Sort the failures by type, to choose between more data and better prompts."),
        ),
        english=(r"\breasoning\b", r"\bchain[- ]of[- ]thought\b", r"\btest-time\b"),
        chinese=("推理", "思维链"), weight=BROAD,
    ),
    Technique(
        "efficiency",
        does=("在速度和成本上做文章", "works on speed and cost"),
        short=("论文的加速方法", "the paper's speed-up"),
        helps=("efficiency",),
        why=("上线以后，速度和成本天天都在花钱，省下的每一分都能用在别处。",
             "In production, speed and cost are paid every day, and every saving frees budget "
             "elsewhere."),
        caveat=("省钱不能拿准确率换，{domain}里少见的问题尤其要测到。",
                "Savings must not cost accuracy; test the rare {domain} questions in "
                "particular."),
        steps=(
            ("先测出我们模型现在的延迟、吞吐和每千次调用的成本，作为基线。",
             "Measure our model's current latency, throughput and cost per thousand calls as a "
             "baseline."),
            ("按{tech}优化一版，前提是准确率不许下降。",
             "Apply {tech} to one copy, on the rule that accuracy may not drop."),
            ("在同样的{domain}请求上压测，比较延迟和成本。",
             "Load-test both on the same {domain} requests and compare latency and cost."),
            ("省得够多，就先切一小部分线上流量试运行。",
             "If the savings are real, send a small share of live traffic to it first."),
        ),
        english=(r"\bquanti[sz]", r"\bprun", r"\blatency\b", r"\bthroughput\b", r"\bspeculative\b",
                 r"\bkv cache\b", r"\binference (?:cost|speed)\b"),
        chinese=("量化", "剪枝", "延迟", "吞吐", "推理加速"), weight=BROAD,
    ),
    Technique(
        "long_context",
        does=("关注长输入怎么处理", "looks at how long inputs are handled"),
        short=("论文的长文本方案", "the paper's long-input method"),
        helps=("long_context",),
        why=("我们的{domain}文件常常很长，长输入处理不好，关键段落就会漏掉。",
             "Our {domain} documents are often long, and handling long input badly means "
             "missing key passages."),
        caveat=("上下文长不等于都用得上，模型常常忽略中间的内容。",
                "A long context is not a well-used one; models often overlook the middle."),
        steps=(
            ("统计我们{domain}文件的长度分布，找出现在处理不好的那一段。",
             "Chart the lengths of our {domain} documents and find the range we handle badly "
             "today."),
            ("用{tech}处理这些长输入，和现在的切块方案对比。",
             "Process those inputs with {tech} and compare with our current chunking."),
            ("比较回答是否完整、有没有漏掉关键段落，以及成本的变化。",
             "Compare completeness, missed key passages and cost."),
            ("把漏答的案例收集起来，作为长文本评测的固定题目。",
             "Keep the missed cases as fixed items of a long-document test."),
        ),
        english=(r"\blong[- ]context\b", r"\blong documents?\b", r"\bcontext windows?\b"),
        chinese=("长上下文", "长文本"), weight=BROAD,
    ),
    Technique(
        "safety",
        does=("盯的是安全和可靠", "is about safety and reliability"),
        short=("论文的防护办法", "the paper's safeguards"),
        helps=("safety",),
        why=("{domain}助手出一次安全事故，代价远大于多做一轮检查。",
             "One safety incident in our {domain} assistant costs far more than an extra round "
             "of checks."),
        caveat=("防护也不能太紧，误拦正常请求同样伤用户。",
                "Safeguards can be too tight as well; blocking normal requests hurts users too."),
        steps=(
            ("列出我们{domain}助手最不能出的几类错，以及可能被滥用的方式。",
             "List the failures our {domain} assistant must never make and the ways it could be "
             "misused."),
            ("参考{tech}，为每一类准备一组攻击或诱导样例。",
             "Drawing on {tech}, write a set of attack or trap prompts for each."),
            ("拿现在的模型跑一遍，记下失守的比例，补上防护。",
             "Run them against our current model, log the failure rate, and add safeguards."),
            ("把这组样例放进上线前的检查清单。", "Put the set on our pre-release checklist."),
        ),
        english=(r"\bjailbreak", r"\bhallucinat", r"\bred[- ]team", r"\bharmful\b", r"\btoxic"),
        chinese=("越狱", "幻觉", "有害", "红队"), weight=BROAD,
    ),
    Technique(
        "agents",
        does=("让智能体一步步完成任务", "has agents carry out tasks step by step"),
        short=("论文的智能体设计", "the paper's agent design"),
        helps=("agents",),
        why=("我们的{domain}流程里有不少重复步骤，交给智能体能省下大量人工。",
             "Our {domain} workflow has many repetitive steps an agent could take off people's "
             "hands."),
        caveat=("智能体出错的代价比聊天高，权限要一点点放开。",
                "An agent's mistakes cost more than a chat's, so widen its permissions step by "
                "step."),
        steps=(
            ("画出我们{domain}工作流里能交给智能体的步骤，以及每一步要调用的工具。",
             "Map the steps of our {domain} workflow an agent could take over, and the tool each "
             "step needs."),
            ("照{tech}做一个只读不写的原型。", "Build a read-only prototype following {tech}."),
            ("请三五位同事试用一周，记下它在哪些步骤卡住。",
             "Let a few colleagues use it for a week and note where it gets stuck."),
            ("卡点解决了，再考虑放开写操作。", "Only once those are solved, consider letting it "
             "write."),
        ),
        english=(r"\bagents?\b", r"\btool use\b", r"\bfunction calling\b", r"\bworkflows?\b"),
        chinese=("智能体", "工具调用", "工作流"), weight=BROAD,
    ),
    Technique(
        "multimodal",
        does=("处理图像、视频或语音这类输入", "works with images, video or speech"),
        short=("论文的多模态方法", "the paper's multimodal method"),
        helps=("multimodal",),
        why=("我们的{domain}材料里有不少图表和扫描件，现在模型还看不到它们。",
             "Much of our {domain} material is charts and scans the model cannot see today."),
        caveat=("多模态输入会明显增加成本，先在收益最大的材料上试。",
                "Multimodal input adds cost, so start where the payoff is largest."),
        steps=(
            ("盘点我们{domain}业务里的图片、表格和扫描件，看哪些信息现在还用不上。",
             "Inventory the images, tables and scans in our {domain} work that the model cannot "
             "use yet."),
            ("用{tech}做一个小实验，把这些材料喂给模型。",
             "Run a small experiment feeding them to a model with {tech}."),
            ("比较加入这些输入前后的回答质量。", "Compare answer quality with and without those "
             "inputs."),
            ("效果明显的话，先接入出现最多的那类材料。",
             "If it helps, start with the kind of material we see most."),
        ),
        english=(r"\bimages?\b", r"\bvision\b", r"\bvideos?\b", r"\bspeech\b", r"\baudio\b",
                 r"\bmultimodal\b"),
        chinese=("图像", "视觉", "视频", "语音", "多模态"), weight=BROAD,
    ),
    Technique(
        "code",
        does=("研究代码生成", "studies code generation"),
        short=("论文的代码生成方法", "the paper's code generation"),
        helps=("code",),
        why=("我们的项目也有不少脚本和接口代码，生成得更准能省下不少工时。",
             "Our project has plenty of scripts and API code, and generating them more reliably "
             "saves hours."),
        caveat=("生成的代码一定要先过测试再合并。", "Generated code must pass tests before it is "
                "merged."),
        steps=(
            ("收集我们项目里常见的代码任务，比如数据处理脚本和接口调用。",
             "Collect the coding tasks our project has, such as data scripts and API calls."),
            ("用{tech}生成这些代码，和现在的做法比成功率。",
             "Generate them with {tech} and compare success rates with how we do it now."),
            ("把通过测试的代码和失败原因都记下来，作为内部评测集。",
             "Keep both the passing code and the failure reasons as an internal test set."),
        ),
        english=(r"\bcode generation\b", r"\bprogram synthesis\b", r"\bsoftware\b", r"\bcoding\b"),
        chinese=("代码",), weight=BROAD,
    ),
    Technique(
        "field",
        does=("把模型用到了一个专业领域", "puts models to work in a professional field"),
        short=("论文的落地流程", "the paper's field adaptation"),
        helps=("domain",),
        why=("别的行业把大模型落地的经验，很多能直接搬到{domain}上。",
             "How other fields put language models to work carries over to {domain} work more "
             "than one might think."),
        caveat=("不同行业的合规要求差别很大，不能照搬。",
                "Compliance differs a lot between fields, so nothing carries over unchecked."),
        steps=(
            ("对照{tech}，检查我们从通用模型到{domain}模型的每一步。",
             "Check each step from general model to {domain} model against {tech}."),
            ("学它处理专业规范的办法，整理我们{domain}的合规要求。",
             "Borrow how it handles professional rules to write down our own {domain} "
             "requirements."),
            ("选一个细分场景照着试做，请业务专家评估结果。",
             "Try it on one narrow scenario and have domain experts judge the result."),
        ),
        english=(r"\bclinical\b", r"\bmedical\b", r"\bfinancial\b", r"\blegal\b", r"\beducation",
                 r"\bdomain-specific\b"),
        chinese=("医疗", "临床", "金融", "法律", "教育"), weight=BROAD / 2,
    ),
)

GENERIC = Technique(
    "generic",
    does=("提出了一种新方法", "proposes a new method"),
    short=("论文的方法", "the paper's method"),
    helps=(),
    why=("它和我们的方向不完全一致，但方法上有可借鉴之处。",
         "It is not quite our direction, but there is method worth borrowing."),
    caveat=("", ""),
    steps=(
        ("想一想{tech}背后的思路能不能搬到我们的{domain}任务上，写下一个可以验证的假设。",
         "Ask whether the thinking behind {tech} carries over to our {domain} tasks, and write "
         "down one testable hypothesis."),
        ("用一个一两天能做完的小实验验证{tech}在我们这里成不成立。",
         "Test {tech} on our own data with an experiment of a day or two."),
        ("结果好就把{tech}排进下个迭代，不好就记下原因。",
         "If it works, plan {tech} into the next iteration; if not, write down why."),
    ),
)

TECHNIQUES_BY_KEY = {technique.key: technique for technique in (*TECHNIQUES, GENERIC)}
MIN_SCORE = 2.0  # below this, no kind is named clearly enough: the generic plan


def find_technique(title: str, method: str, rest: str) -> Technique:
    """The kind of technique the paper's title (counted three times), method (twice) and other
    text name most; :data:`GENERIC` when none stands out."""
    texts = ((title, 3.0), (method, 2.0), (rest, 1.0))
    best, score = GENERIC, MIN_SCORE
    for technique in TECHNIQUES:
        found = technique.score(texts)
        if found > score:
            best, score = technique, found
    return best
