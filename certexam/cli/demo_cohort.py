"""How the demo's simulated candidates answer: a simple ability model with fixed seeds (pure).

Each candidate has an ability; each item a difficulty (from the bank's
`difficulty` 1-5, with a little spread) and a discrimination, both derived
from the item's id. The chance of a right answer is the three-parameter
logistic model, guessing at one over the number of options:

    P(right) = c + (1 - c) / (1 + exp(-1.7 a (ability - b)))

A wrong answer picks a distractor, some distractors more tempting than
others, so the option counts of the item analysis look like a real cohort's.
A few items discriminate weakly, and about one in eighty the wrong way (as a
miskeyed item would), so the analysis has something to flag. Ethics items
draw on a separate, correlated ability: some candidates fail the ethics gate
while doing well overall (rules s.1, the one-vote veto).

Every draw is seeded by (cohort, candidate, item), so a candidate answers an
item the same way on every load, whatever form the platform drew.

Written answers are built from points a good answer makes; their quality
follows the same model. Markers judge a text by the points it makes (never
by who wrote it: marking is anonymous), with their own leniency and noise.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from typing import Any

from certexam.domain.items import Item

SLOPE = 1.7  # the logistic's usual scaling to the normal ogive
WEAK_ITEMS = 25  # one item in 25 barely discriminates
REVERSED_ITEMS = 80  # one in 80 discriminates the wrong way
OMIT_RATE = 0.01
TIERS = 5  # a written answer makes 0 to 5 of the points a full answer makes

FRAGMENTS = {
    "short_answer": ["首先明确业务目标和适用的监管要求", "识别数据、模型和操作三类主要风险",
                     "对关键环节设置审批和留痕，做到可追溯", "建立监测指标，发现异常及时上报处置",
                     "定期复盘并向管理层报告整改情况", "保护客户个人信息，坚持最小必要原则收集"],
    "skill": ["先做数据清洗：去重、处理缺失值并检测异常值", "按时间切分训练集和测试集，避免信息泄漏",
              "用逻辑回归做基线，再与梯度提升树比较", "用 AUC 和 KS 评估效果，并分客群检验稳定性",
              "上线后监控特征漂移，设定回滚阈值", "代码与参数纳入版本管理，保证结果可复现"],
    "proposal": ["方案分三期实施：试点、推广、全面上线", "采用微服务和容器化部署，支持弹性扩容",
                 "数据分级分类管理，敏感字段加密和脱敏", "成立跨部门项目组，明确业务、技术与合规职责",
                 "测算投入与收益，预计两年内收回成本", "制定应急预案，定期演练灾备切换"],
}
NOTHING = "时间不够，略。"
OPENINGS = ["", "答：", "我认为，", "要点如下："]


def _unit(*parts: object) -> float:
    """A number in [0, 1) fixed by `parts` (stable across processes, unlike hash())."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True)
class Ability:
    general: float
    ethics: float
    tier_noise: float  # how much a candidate's writing varies around their ability


def cohort(tag: str, size: int, mean: float = 0.0) -> list[Ability]:
    """`size` abilities, the same for the same tag."""
    rng = random.Random(f"certexam-demo-cohort-{tag}")
    out = []
    for _ in range(size):
        general = rng.gauss(mean, 1.0)
        out.append(Ability(general, 0.6 * general + 0.8 * rng.gauss(0.0, 1.0), rng.uniform(0.3, 0.8)))
    return out


@dataclass(frozen=True)
class ItemParams:
    difficulty: float
    discrimination: float
    lure: tuple[float, ...]  # how tempting each option is when the answer is wrong


_params: dict[str, ItemParams] = {}


def params(item: Item) -> ItemParams:
    """An item's parameters, derived from its id (so the same on every load)."""
    found = _params.get(item.id)
    if found is not None:
        return found
    base = (item.difficulty - 3) * 0.55 if item.difficulty else 0.0
    difficulty = base + (_unit(item.id, "b") - 0.5) * 0.8
    if item.module.endswith("-ETH"):
        difficulty -= 1.2  # ethics items are meant to be answered: the gate is a floor, not a hurdle
    pick = _unit(item.id, "a")
    if pick < 1 / REVERSED_ITEMS:
        discrimination = -0.5
    elif pick < 1 / REVERSED_ITEMS + 1 / WEAK_ITEMS:
        discrimination = 0.12
    else:
        discrimination = 0.5 + 1.3 * _unit(item.id, "a2")
    lure = tuple(0.2 + _unit(item.id, "lure", o.key) ** 2 * 3 for o in item.options)
    _params[item.id] = found = ItemParams(difficulty, discrimination, lure)
    return found


def p_right(item: Item, who: Ability, p: ItemParams) -> float:
    ability = who.ethics if item.module.endswith("-ETH") else who.general
    guess = 1 / len(item.options) if item.options else 0.5 if item.type == "true_false" else 0.0
    return guess + (1 - guess) / (1 + math.exp(-SLOPE * p.discrimination * (ability - p.difficulty)))


def answer(item: Item, who: Ability, seed: str) -> Any:
    """The candidate's answer to a choice item (None: left blank), as the autosave stores it."""
    if _unit(seed, item.id, "omit") < OMIT_RATE * (3 if who.general < -1 else 1):
        return None
    p = params(item)
    right = _unit(seed, item.id, "right") < p_right(item, who, p)
    if item.type == "true_false":
        return bool(item.answer) if right else not item.answer
    keys = item.option_keys()
    if item.type == "multiple_response":
        key = sorted(item.answer) if isinstance(item.answer, tuple) else []
        wrong = [k for k in keys if k not in key]
        if right or not wrong:
            return key
        return sorted(set(key[:-1] + [wrong[int(_unit(seed, item.id, "pick") * len(wrong))]]))
    if right:
        return item.answer
    distractors = [(k, w) for k, w in zip(keys, p.lure, strict=True) if k != item.answer]
    target = _unit(seed, item.id, "pick") * sum(w for _, w in distractors)
    for k, w in distractors:
        target -= w
        if target < 0:
            return k
    return distractors[-1][0]


def answers_for(item: Item, who: Ability, seed: str) -> list[tuple[str, Any]]:
    """(child number or "", answer) for an item; an item set answers each child."""
    if item.type == "item_set":
        return [(f".{n}", answer(child, who, f"{seed}:{n}")) for n, child in enumerate(item.children, 1)]
    return [("", answer(item, who, seed))]


def tier(item: Item, who: Ability, seed: str) -> int:
    """How many of a full answer's points this candidate's written answer makes."""
    rng = random.Random(f"{seed}:{item.id}:tier")
    p = params(item)
    ability = who.ethics if item.module.endswith("-ETH") else who.general
    share = 1 / (1 + math.exp(-SLOPE * (ability - p.difficulty)))
    return max(0, min(TIERS, round(TIERS * share + rng.gauss(0.0, who.tier_noise))))


def written(item: Item, who: Ability, seed: str) -> str:
    """A written answer making `tier` points, in the candidate's words."""
    made = tier(item, who, seed)
    if made == 0:
        return NOTHING
    rng = random.Random(f"{seed}:{item.id}:text")
    points = rng.sample(FRAGMENTS.get(item.subtype or "", FRAGMENTS["short_answer"]), made)
    return rng.choice(OPENINGS) + "；".join(points) + "。"


def points_made(text: str) -> int:
    """What a marker reads off an answer: how many of the expected points it makes."""
    return 0 if text.strip() in ("", NOTHING) else text.count("；") + 1


@dataclass(frozen=True)
class Marker:
    leniency: float  # share of the maximum added to every mark
    noise: float  # spread of a mark, as a share of the maximum


def mark(text: str, max_points: int, marker: Marker, seed: str) -> int:
    """The points a marker gives a written answer."""
    rng = random.Random(f"{seed}:{text}")
    share = points_made(text) / TIERS + marker.leniency + rng.gauss(0.0, marker.noise)
    return max(0, min(max_points, round(share * max_points)))
