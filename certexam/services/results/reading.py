"""What candidates and officers read of a sitting's results (split from release.py, issue 19.6)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain.scoring_types import FAIL
from certexam.errors import Forbidden, NotFound
from certexam.models import MisconductRuling, Registration, Result, Sitting, User


@dataclass(frozen=True)
class CandidateResult:
    """What a candidate may see of a released result."""

    result: Result
    sitting: Sitting
    reasons: tuple[str, ...]
    module_rates: dict[str, Fraction]
    ethics_rate: Fraction | None
    ruling: MisconductRuling | None

    @property
    def vetoed(self) -> bool:
        return "ETHICS_VETO" in self.reasons

    @property
    def show_rates(self) -> bool:
        """rules s.2: failed candidates get their correct rate per module, not a score."""
        return self.result.status == FAIL


def _view(sess: Session, row: Result) -> CandidateResult:
    sitting = sess.get(Sitting, row.sitting_id)
    assert sitting is not None
    rates = {m: Fraction(v) for m, v in json.loads(row.module_rates).items()}
    ruling = sess.scalar(select(MisconductRuling).where(MisconductRuling.registration_id == row.registration_id))
    return CandidateResult(row, sitting, tuple(json.loads(row.reasons)), rates,
                           Fraction(row.ethics_rate) if row.ethics_rate else None, ruling)


def my_results(user: User) -> list[CandidateResult]:
    """A candidate's released results, newest sitting first."""
    sess = db.session()
    rows = sess.scalars(select(Result).where(Result.user_id == user.id, Result.released)
                        .order_by(Result.sitting_id.desc()))
    return [_view(sess, r) for r in rows]


def my_result(user: User, result_id: int) -> CandidateResult:
    sess = db.session()
    row = sess.get(Result, result_id)
    if row is None or row.user_id != user.id or not row.released:
        raise NotFound(_("This result does not exist or has not been released."))
    return _view(sess, row)


def sitting_results(sess: Session, sitting_id: int) -> list[tuple[Result, Registration, User]]:
    """Every result of a sitting for administrators (released or not)."""
    rows = sess.execute(select(Result, Registration, User)
                        .join(Registration, Registration.id == Result.registration_id)
                        .join(User, User.id == Result.user_id)
                        .where(Result.sitting_id == sitting_id).order_by(Registration.admission_no))
    return [(res, reg, user) for res, reg, user in rows]


def require_released(result: Result) -> None:
    if not result.released:
        raise Forbidden(_("This result has not been released."))
