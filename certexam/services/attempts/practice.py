"""Practice tests: scored at once, with the key and explanation for every question."""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from certexam.domain.items import Item
from certexam.domain.scoring import score_attempt
from certexam.domain.scoring_types import CUT_SCORE, Outcome, ScoringPolicy
from certexam.models import Attempt
from certexam.services.results import scoring_input

# Practice results are advice, never a result: a plain 60% line, the same for ethics.
PRACTICE_POLICY = ScoringPolicy(pass_rule=CUT_SCORE, ethics_min_rate=Fraction(3, 5), pass_mark=Fraction(3, 5))


@dataclass(frozen=True)
class ReviewedQuestion:
    slot: str
    item: Item
    given: Any
    correct: bool


@dataclass(frozen=True)
class PracticeReview:
    outcome: Outcome
    questions: list[ReviewedQuestion]


def review(sess: Session, attempt: Attempt) -> PracticeReview:
    if attempt.kind != "mock":
        raise ValueError("only practice attempts are reviewed at once")
    items = scoring_input.form_items(sess, attempt)
    given = scoring_input.responses(sess, attempt)
    outcome = score_attempt([s for _, _, s in items], given, PRACTICE_POLICY)
    questions = []
    for slot, item, _s in items:
        answer = given.get(slot)
        key = item.answer
        ok = (set(answer) == set(key)) if isinstance(answer, frozenset) and isinstance(key, tuple) else answer == key
        shown = sorted(answer) if isinstance(answer, frozenset) else answer
        questions.append(ReviewedQuestion(slot, item, json.loads(json.dumps(shown)), bool(ok and answer is not None)))
    return PracticeReview(outcome, questions)
