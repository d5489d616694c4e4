"""Practice tests: scored at once, with the key and explanation for every question.

Feedback shows each question as the candidate saw it: options in the candidate's order, lettered by
position, and answers and keys in those letters (issue 18.5: they were the bank's). Explanations stay
as the bank wrote them; where they may cite the bank's letters, a legend maps those to the letters
the candidate saw (domain.option_letters says why the text is not rewritten).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from certexam.domain import option_letters
from certexam.domain.items import CHOICE_TYPES, Item
from certexam.domain.scoring import score_attempt
from certexam.domain.scoring_types import CUT_SCORE, Outcome, ScoringPolicy
from certexam.models import Attempt
from certexam.services.bank import item_cache
from certexam.services.results import scoring_input

# Practice results are advice, never a result: a plain 60% line, the same for ethics.
PRACTICE_POLICY = ScoringPolicy(pass_rule=CUT_SCORE, ethics_min_rate=Fraction(3, 5), pass_mark=Fraction(3, 5))


@dataclass(frozen=True)
class ReviewedQuestion:
    slot: str
    number: int
    item: Item  # options (and each child's) in the candidate's order; key and explanation kept
    given: Any  # as stored (JSON values); for an item set {child id: answer}
    correct: bool  # every part right
    given_shown: str | bool | None  # in the letters the candidate saw ("C", "A, D"), or True/False
    key_shown: str | bool | None
    legends: dict[str, tuple[tuple[str, str], ...]]  # item id -> (bank letter, shown letter) pairs

    @property
    def written(self) -> bool:
        """A written answer (short answer, skill, proposal): not marked here; the candidate compares it
        with the marking guide shown beside it (issue 22)."""
        return self.item.type == "constructed"


@dataclass(frozen=True)
class PracticeReview:
    outcome: Outcome
    questions: list[ReviewedQuestion]


def _as_shown(item: Item, order: list[str]) -> Item:
    """The item with its options in the order shown (the form keeps it; empty: the bank's order)."""
    options = {o.key: o for o in item.options}
    return replace(item, options=tuple(options[k] for k in order if k in options)) if order else item


def _right(item: Item, answer: Any) -> bool:
    if answer is None:
        return False
    if item.type == "multiple_response":
        return isinstance(answer, list) and isinstance(item.answer, tuple) and set(answer) == set(item.answer)
    return bool(answer == item.answer)


def _shown(item: Item, value: Any) -> str | bool | None:
    if item.type not in CHOICE_TYPES or isinstance(value, bool) or value is None:
        return value if isinstance(value, bool) else None
    return option_letters.in_letters(value, option_letters.shown_letters(item.option_keys()))


def _legend(item: Item) -> tuple[tuple[str, str], ...]:
    return option_letters.legend(item.option_keys(), item.explanation.values())


def review(sess: Session, attempt: Attempt) -> PracticeReview:
    if attempt.kind != "mock":
        raise ValueError("only practice attempts are reviewed at once")
    scored = scoring_input.form_items(sess, attempt)
    stored = scoring_input.responses(sess, attempt)
    # A written answer's response is its text, not a mark: practice leaves it unmarked (None, awaiting marks).
    unmarked = {slot: None for slot, item, _ in scored if item.type == "constructed"}
    outcome = score_attempt([s for _, _, s in scored], {**stored, **unmarked}, PRACTICE_POLICY)
    given = {slot: json.loads(json.dumps(sorted(v) if isinstance(v, frozenset) else v)) for slot, v in stored.items()}
    form: list[dict[str, Any]] = json.loads(attempt.form)
    versions = item_cache.items_by_version(sess, [e["v"] for e in form])
    questions = []
    for n, entry in enumerate(form, 1):
        bank_item = versions[entry["v"]]
        children = tuple(_as_shown(c, entry["c"][i] if entry["c"] else []) for i, c in enumerate(bank_item.children))
        item = replace(_as_shown(bank_item, entry["o"]), children=children)
        legends = {part.id: legend for part in (item, *children) if (legend := _legend(part))}
        if children:
            answers = {c.id: given.get(f"{n}.{i}") for i, c in enumerate(children, 1)}
            questions.append(ReviewedQuestion(str(n), n, item, answers, all(_right(c, answers[c.id]) for c in children),
                                              None, None, legends))
        else:
            answer = given.get(str(n))
            questions.append(ReviewedQuestion(str(n), n, item, answer, _right(item, answer), _shown(item, answer),
                                              _shown(item, item.answer), legends))
    return PracticeReview(outcome, questions)
