"""Results per registration, human marks, misconduct rulings, re-checks and key corrections."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from certexam.db import Base
from certexam.domain.scoring_types import ResultStatus
from certexam.models.types import str_enum


class RecheckStatus(enum.StrEnum):
    OPEN = "open"  # asked for, not answered yet
    UNCHANGED = "unchanged"  # answered: the result stands
    CHANGED = "changed"  # answered: the result was corrected


class CorrectionAction(enum.StrEnum):
    REKEY = "rekey"  # the key was wrong: answers are scored against the corrected key
    VOID = "void"  # the item leaves every numerator and denominator


class Result(Base):
    """A candidate's result in a sitting (all papers together); hidden until the sitting is released.

    Rates are exact fractions stored as "n/d" text; module_rates is a JSON
    object {module: "n/d"}; reasons a JSON list of reason codes.
    """

    __tablename__ = "result"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), unique=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[ResultStatus] = mapped_column(str_enum(ResultStatus, "result_status", 8))
    reasons: Mapped[str] = mapped_column(Text, default="[]")
    ethics_rate: Mapped[str | None] = mapped_column(String(40))
    module_rates: Mapped[str] = mapped_column(Text, default="{}")
    total_units: Mapped[int] = mapped_column(default=0)
    max_total_units: Mapped[int] = mapped_column(default=0)
    equal_weight_score: Mapped[str | None] = mapped_column(String(60))
    rank: Mapped[int | None]
    cohort_size: Mapped[int | None]
    computed_at: Mapped[datetime]
    released: Mapped[bool] = mapped_column(default=False)


class MarkingAssignment(Base):
    """One marker's task on one constructed response; markers see only the anonymous code."""

    __tablename__ = "marking_assignment"
    __table_args__ = (UniqueConstraint("attempt_id", "slot", "marker_id", name="uq_marking_assignment_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    slot: Mapped[str] = mapped_column(String(16))
    marker_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    round: Mapped[int]  # 1 and 2: independent markers; 3: adjudicator
    anon_code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class Mark(Base):
    """Points one marker gave one constructed response."""

    __tablename__ = "mark"
    __table_args__ = (UniqueConstraint("attempt_id", "slot", "marker_id", name="uq_mark_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    slot: Mapped[str] = mapped_column(String(16))
    marker_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    round: Mapped[int]
    points: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class MisconductRuling(Base):
    """The committee's ruling before release: the result is void, with a ban of 0, 1 or 2 years."""

    __tablename__ = "misconduct_ruling"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), unique=True)
    ban_years: Mapped[int]
    evidence: Mapped[str] = mapped_column(Text)
    exam_ban_id: Mapped[int | None] = mapped_column(ForeignKey("exam_ban.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]


class Recheck(Base):
    """A candidate's request to re-check a released result, and the administrator's answer."""

    __tablename__ = "recheck"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("result.id"), index=True)
    requested_at: Mapped[datetime]
    deadline: Mapped[date]  # the last day the request could be made
    answer_due: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[RecheckStatus] = mapped_column(str_enum(RecheckStatus, "recheck_status", 12))
    answer: Mapped[str | None] = mapped_column(Text)
    before: Mapped[str | None] = mapped_column(Text)  # JSON snapshot of the result
    after: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None]


class KeyCorrection(Base):
    """A key corrected or an item voided after the exam, with its before/after report (JSON)."""

    __tablename__ = "key_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("bank_item_version.id"), index=True)
    child: Mapped[int | None]  # item-set child number (1-based), None for the item itself
    action: Mapped[CorrectionAction] = mapped_column(str_enum(CorrectionAction, "correction_action", 8))
    new_key: Mapped[str | None] = mapped_column(Text)  # JSON
    note: Mapped[str] = mapped_column(Text)
    report: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
