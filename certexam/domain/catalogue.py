"""The programme's levels, modules and technical directions.

Source: shared/mission/programme-rules.md section 2 ("Level 1: general
knowledge ... about 13 courses, including financial ethics, standardisation,
economics/finance and computing"; "Level 2: ... a technical direction per
candidate (AI, big data, cloud/distributed)").  The catalogue is data, not a
rule engine: it names what exists so that banks, blueprints and scoring agree.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES: tuple[str, ...] = ("zh_Hans", "zh_Hant", "en", "pt")
"""Programme languages (rules section 2: "simplified Chinese, traditional
Chinese, English and Portuguese"); zh_Hans is the required one for items."""

REQUIRED_ITEM_LANGUAGE = "zh_Hans"


@dataclass(frozen=True)
class Module:
    """One course (level 1) or part (level 2) of the syllabus."""

    code: str
    level: int
    name_zh: str
    name_en: str
    is_ethics: bool = False
    direction: str | None = None  # level-2 technical direction, None for common parts


DIRECTIONS: dict[str, tuple[str, str]] = {
    # rules section 2: "a technical direction per candidate (AI, big data, cloud/distributed)"
    "AI": ("人工智能", "Artificial intelligence"),
    "BD": ("大数据", "Big data"),
    "CLD": ("云计算与分布式", "Cloud and distributed computing"),
}

MODULES: tuple[Module, ...] = (
    # Level 1: thirteen courses; ethics is scored apart (rules section 1).
    Module("L1-ETH", 1, "金融职业道德与操守", "Financial ethics and professional conduct", is_ethics=True),
    Module("L1-STD", 1, "金融科技标准与监管", "FinTech standards and regulation"),
    Module("L1-ECO", 1, "经济学基础", "Economics"),
    Module("L1-FIN", 1, "金融学基础", "Finance fundamentals"),
    Module("L1-ACC", 1, "会计与财务报表", "Accounting and financial statements"),
    Module("L1-QNT", 1, "数量方法与统计", "Quantitative methods and statistics"),
    Module("L1-PAY", 1, "支付与数字银行", "Payments and digital banking"),
    Module("L1-BC", 1, "区块链与分布式账本", "Blockchain and distributed ledgers"),
    Module("L1-CMP", 1, "计算机基础", "Computing fundamentals"),
    Module("L1-PRG", 1, "程序设计与算法", "Programming and algorithms"),
    Module("L1-DB", 1, "数据与数据库", "Data and databases"),
    Module("L1-NET", 1, "网络与信息安全", "Networks and information security"),
    Module("L1-AI", 1, "人工智能基础", "Foundations of artificial intelligence"),
    # Level 2: a common part (with ethics) and one module per technical direction.
    Module("L2-ETH", 2, "金融科技伦理", "FinTech ethics", is_ethics=True),
    Module("L2-GEN", 2, "金融科技综合实务", "FinTech practice (common part)"),
    Module("L2-AI", 2, "人工智能方向", "Artificial intelligence direction", direction="AI"),
    Module("L2-BD", 2, "大数据方向", "Big data direction", direction="BD"),
    Module("L2-CLD", 2, "云计算与分布式方向", "Cloud and distributed computing direction", direction="CLD"),
)

MODULES_BY_CODE: dict[str, Module] = {m.code: m for m in MODULES}


def module(code: str) -> Module:
    """Return the module with this code, or raise KeyError."""
    return MODULES_BY_CODE[code]


def modules_for_level(level: int) -> list[Module]:
    """Modules of one level, in catalogue order."""
    return [m for m in MODULES if m.level == level]
