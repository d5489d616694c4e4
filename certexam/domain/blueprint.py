"""Exam blueprints: the papers of a level, what each draws, and the scoring settings.

Defaults follow programme-rules.md section 2 (level 1: 240 single-choice
questions as papers of 45, 92 and 103; level 2: 60 single choice, 3 short
answer, 2 skill and 2 of 5 proposals, morning and afternoon, per direction)
and question_bank/README.md (how many each module contributes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from certexam.domain import difficulty as difficulty_rules
from certexam.domain.catalogue import DIRECTIONS, MODULES_BY_CODE

DIRECTION_MODULE = "@direction"  # a section drawing from the candidate's own direction module


@dataclass(frozen=True)
class Section:
    module: str  # a module code, or DIRECTION_MODULE
    item_type: str  # single_choice | multiple_response | true_false | item_set | constructed
    count: int
    subtype: str | None = None  # for constructed: short_answer | skill | proposal
    answer_at_most: int | None = None  # "2 of 5 proposal scenarios": the candidate answers at most this many


@dataclass(frozen=True)
class Paper:
    code: str
    title_zh: str
    title_en: str
    minutes: int
    sections: tuple[Section, ...]
    # The on-screen calculator on the exam page (issue 21): level 1 has numeric items (Bayes, CPI, duration).
    calculator: bool = False

    @property
    def item_count(self) -> int:
        return sum(s.count for s in self.sections)


@dataclass(frozen=True)
class ScoringSettings:
    pass_rule: str = "cut_score"  # cut_score | ranked
    pass_mark: Fraction = Fraction(60, 100)  # share of available points, for cut_score
    # rules s.1: "设置最低正确率要求" — the threshold is not published (s.2), so it is a setting.
    ethics_min_rate: Fraction = Fraction(60, 100)
    top_share: Fraction = Fraction(40, 100)  # rules s.2: "the top 40% within each direction pass"


@dataclass(frozen=True)
class Blueprint:
    level: int
    papers: tuple[Paper, ...]
    scoring: ScoringSettings = field(default_factory=ScoringSettings)
    # Issue 21: every form's expected score within a tolerance of one target (domain/difficulty.py).
    difficulty: difficulty_rules.DifficultySettings = difficulty_rules.DEFAULT

    def resolve(self, section: Section, direction: str | None) -> str:
        """The module a section draws from for a candidate of `direction`."""
        if section.module != DIRECTION_MODULE:
            return section.module
        if direction not in DIRECTIONS:
            raise ValueError("this blueprint needs the candidate's technical direction")
        return f"L2-{direction}"


ITEM_TYPES = ("single_choice", "multiple_response", "true_false", "item_set", "constructed")
SUBTYPES = ("short_answer", "skill", "proposal")


def problems(bp: Blueprint) -> list[str]:
    """Structural problems of a blueprint (empty when usable)."""
    out: list[str] = []
    for p in bp.papers:
        for s in p.sections:
            if s.item_type not in ITEM_TYPES:
                out.append(f"paper {p.code}: unknown item type {s.item_type!r}")
            if s.subtype is not None and (not isinstance(s.subtype, str) or s.subtype not in SUBTYPES):
                out.append(f"paper {p.code}: unknown subtype {s.subtype!r}")
            if s.answer_at_most is not None and (isinstance(s.answer_at_most, bool)
                                                 or not isinstance(s.answer_at_most, int)):
                out.append(f"paper {p.code}: answer_at_most must be a whole number")
        if not isinstance(p.calculator, bool):
            out.append(f"paper {p.code}: calculator must be true or false")
    if out:
        return out
    if not bp.papers:
        out.append("a blueprint needs at least one paper")
    codes = [p.code for p in bp.papers]
    if len(set(codes)) != len(codes):
        out.append("paper codes must be unique")
    for p in bp.papers:
        if p.minutes <= 0 or p.minutes > 600:
            out.append(f"paper {p.code}: minutes must be between 1 and 600")
        if not p.sections:
            out.append(f"paper {p.code}: no sections")
        for s in p.sections:
            if s.count <= 0:
                out.append(f"paper {p.code}: a section must draw at least one item")
            if s.module != DIRECTION_MODULE and (s.module not in MODULES_BY_CODE
                                                 or MODULES_BY_CODE[s.module].level != bp.level):
                out.append(f"paper {p.code}: module {s.module} is not a level-{bp.level} module")
            if s.answer_at_most is not None and not 0 < s.answer_at_most <= s.count:
                out.append(f"paper {p.code}: answer_at_most must be between 1 and the section's count")
    sc = bp.scoring
    if sc.pass_rule not in ("cut_score", "ranked"):
        out.append("pass_rule must be cut_score or ranked")
    for name, value in (("pass_mark", sc.pass_mark), ("ethics_min_rate", sc.ethics_min_rate),
                        ("top_share", sc.top_share)):
        if not 0 <= value <= 1:
            out.append(f"{name} must be between 0 and 1")
    out += difficulty_rules.problems(bp.difficulty)
    return out


def _sc(module: str, count: int) -> Section:
    return Section(module, "single_choice", count)


LEVEL1_DEFAULT = Blueprint(
    level=1,
    papers=(
        # question_bank/README.md: the per-module counts; rules s.2: papers of 45, 92 and 103.
        Paper("P1", "第一卷", "Paper 1", 60, (_sc("L1-ETH", 20), _sc("L1-STD", 13), _sc("L1-ECO", 12)),
              calculator=True),
        Paper("P2", "第二卷", "Paper 2", 120, (_sc("L1-FIN", 20), _sc("L1-ACC", 16), _sc("L1-QNT", 18),
                                              _sc("L1-PAY", 18), _sc("L1-BC", 20)), calculator=True),
        Paper("P3", "第三卷", "Paper 3", 135, (_sc("L1-CMP", 20), _sc("L1-PRG", 20), _sc("L1-DB", 20),
                                              _sc("L1-NET", 20), _sc("L1-AI", 23)), calculator=True),
    ),
    scoring=ScoringSettings(pass_rule="cut_score"),
)

LEVEL2_DEFAULT = Blueprint(
    level=2,
    papers=(
        # rules s.2: "6 hours in a morning and an afternoon session".
        Paper("AM", "上午场", "Morning session", 180, (
            _sc("L2-ETH", 10), _sc("L2-GEN", 20), _sc(DIRECTION_MODULE, 30),
            Section("L2-ETH", "constructed", 1, subtype="short_answer"),
            Section(DIRECTION_MODULE, "constructed", 2, subtype="short_answer"),
        )),
        Paper("PM", "下午场", "Afternoon session", 180, (
            Section(DIRECTION_MODULE, "constructed", 2, subtype="skill"),
            # rules s.2: "the proposals chosen 2 of 5 scenarios"
            Section(DIRECTION_MODULE, "constructed", 5, subtype="proposal", answer_at_most=2),
        )),
    ),
    scoring=ScoringSettings(pass_rule="ranked"),
)

MOCK_MINUTES = 20
MOCK_ITEMS_PER_MODULE = 2
# Level 2's practice has written answers (a short answer, a skill question, two proposals): the exam gives
# them most of its afternoon's 180 minutes, so 20 minutes could not hold them.
MOCK_MINUTES_L2 = 90

# Issue 22: "Practice sets get multiple-response and true/false items": one of each kind from every
# level-1 module whose practice file (question_bank/level1/practice/) holds them. The exam's level 1
# stays all single choice (rules s.2), so only the practice paper draws these.
PRACTICE_KINDS_L1: tuple[tuple[str, str], ...] = (
    ("L1-FIN", "multiple_response"), ("L1-BC", "multiple_response"), ("L1-PAY", "multiple_response"),
    ("L1-ETH", "true_false"), ("L1-AI", "true_false"), ("L1-QNT", "true_false"),
)

# Issue 22: "The level-2 practice test includes a short answer, a skill question and the 2-of-5 proposal
# choice" (rules s.2: "the proposals chosen 2 of 5 scenarios"), beside a few single-choice items of the
# common modules and the candidate's direction, as the exam's morning and afternoon have them.
PRACTICE_L2: tuple[Section, ...] = (
    _sc("L2-ETH", MOCK_ITEMS_PER_MODULE), _sc("L2-GEN", MOCK_ITEMS_PER_MODULE),
    _sc(DIRECTION_MODULE, MOCK_ITEMS_PER_MODULE),
    Section("L2-ETH", "constructed", 1, subtype="short_answer"),
    Section(DIRECTION_MODULE, "constructed", 1, subtype="skill"),
    Section(DIRECTION_MODULE, "constructed", 5, subtype="proposal", answer_at_most=2),
)


def mock_blueprint(level: int) -> Blueprint:
    """A short practice paper: a couple of single-choice items from each module of the level, and the
    other kinds the level's candidates meet (level 1: multiple response and true/false; level 2: a
    short answer, a skill question and 2 of 5 proposals, drawn for the candidate's direction)."""
    if level == 2:
        return Blueprint(2, (Paper("MOCK", "模拟练习", "Practice test", MOCK_MINUTES_L2, PRACTICE_L2),))
    mods = [m for m in MODULES_BY_CODE.values() if m.level == level]
    sections = tuple(_sc(m.code, MOCK_ITEMS_PER_MODULE) for m in mods)
    if level == 1:
        sections += tuple(Section(code, kind, 1) for code, kind in PRACTICE_KINDS_L1)
    # Practice is like the exam: level 1's papers have the calculator, so its practice test has it too.
    return Blueprint(level, (Paper("MOCK", "模拟练习", "Practice test", MOCK_MINUTES, sections,
                                   calculator=level == 1),))


def to_dict(bp: Blueprint) -> dict[str, object]:
    """A JSON-ready form of a blueprint (fractions as "n/d" strings)."""
    return {
        "level": bp.level,
        "papers": [{"code": p.code, "title_zh": p.title_zh, "title_en": p.title_en, "minutes": p.minutes,
                    "sections": [{k: v for k, v in (("module", s.module), ("item_type", s.item_type),
                                                    ("count", s.count), ("subtype", s.subtype),
                                                    ("answer_at_most", s.answer_at_most)) if v is not None}
                                 for s in p.sections],
                    **({"calculator": True} if p.calculator is True else {})} for p in bp.papers],
        "scoring": {"pass_rule": bp.scoring.pass_rule, "pass_mark": str(bp.scoring.pass_mark),
                    "ethics_min_rate": str(bp.scoring.ethics_min_rate), "top_share": str(bp.scoring.top_share)},
        "difficulty": difficulty_rules.to_dict(bp.difficulty),
    }


def from_dict(doc: dict[str, object]) -> Blueprint:
    """Read what to_dict wrote; raises ValueError (with a reason) on a malformed document."""
    try:
        papers = tuple(
            Paper(str(p["code"]), str(p["title_zh"]), str(p["title_en"]), int(p["minutes"]),
                  tuple(Section(str(s["module"]), str(s["item_type"]), int(s["count"]), s.get("subtype"),
                                s.get("answer_at_most")) for s in p["sections"]),
                  p.get("calculator", False))
            for p in doc["papers"]  # type: ignore[attr-defined]
        )
        sc = doc.get("scoring") or {}
        scoring = ScoringSettings(
            pass_rule=str(sc.get("pass_rule", "cut_score")),  # type: ignore[attr-defined]
            pass_mark=Fraction(str(sc.get("pass_mark", "3/5"))),  # type: ignore[attr-defined]
            ethics_min_rate=Fraction(str(sc.get("ethics_min_rate", "3/5"))),  # type: ignore[attr-defined]
            top_share=Fraction(str(sc.get("top_share", "2/5"))),  # type: ignore[attr-defined]
        )
        return Blueprint(int(doc["level"]), papers, scoring,  # type: ignore[call-overload]
                         difficulty_rules.from_dict(doc.get("difficulty")))
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"malformed blueprint: {exc}") from exc
