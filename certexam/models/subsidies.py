"""Training subsidies (issue 23; rules s.4, items 24-25): projects, applications, grants, yearly budgets.

The path and the statuses are the holder bonus's (models.bonus ApplicationStatus
and GrantStatus), and payment lines are the bonus's payout lines
(bonus_payout.subsidy_grant_id), so one batch and one bank file carry both.
The database enforces what must hold even if code is wrong:

* one live application per project and per audit report, whichever measure
  (rules s.3, item 33: no double benefit; partial unique indexes);
* a training subsidy at most RMB 1,000,000 (item 24; item 36: inclusive);
* a measure's yearly commitments never above its cap (items 24, 25, 36).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certexam.db import Base
from certexam.domain.subsidies import Measure
from certexam.models.bonus import ApplicationStatus, GrantStatus
from certexam.models.user import Organisation, User


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


# An application that is neither rejected, withdrawn nor cancelled still claims its project and costs.
_LIVE = text("status NOT IN ('rejected', 'withdrawn', 'cancelled')")


class SubsidyProject(Base):
    """A project an institution registers for the programme, with its audited costs."""

    __tablename__ = "subsidy_project"
    __table_args__ = (
        UniqueConstraint("organisation_id", "code", name="uq_subsidy_project_code"),
        CheckConstraint("audited_costs_fen > 0", name="costs_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    measure: Mapped[Measure] = mapped_column(_enum(Measure, "subsidy_measure"))
    code: Mapped[str] = mapped_column(String(50))  # the institution's own project number
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    audit_firm: Mapped[str] = mapped_column(String(200))
    audit_report_no: Mapped[str] = mapped_column(String(100))
    audited_costs_fen: Mapped[int] = mapped_column(BigInteger)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]

    organisation: Mapped[Organisation] = relationship()


class SubsidyApplication(Base):
    """An institution's claim for a project, from submission to payment."""

    __tablename__ = "subsidy_application"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("measure <> 'training' OR amount_fen <= 100000000", name="training_project_cap"),
        Index("uq_subsidy_application_live_project", "project_id", unique=True, sqlite_where=_LIVE,
              postgresql_where=_LIVE),
        Index("uq_subsidy_application_live_audit", "audit_key", unique=True, sqlite_where=_LIVE,
              postgresql_where=_LIVE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("subsidy_project.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    measure: Mapped[Measure] = mapped_column(_enum(Measure, "subsidy_measure"))
    audit_key: Mapped[str] = mapped_column(String(100))  # the report number, normalised (domain.subsidies)
    status: Mapped[ApplicationStatus] = mapped_column(_enum(ApplicationStatus, "subsidy_application_status"),
                                                      index=True)
    submitted_at: Mapped[datetime]
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    share_fen: Mapped[int] = mapped_column(BigInteger)  # the rate applied to the audited costs
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # after the caps
    declared_no_same_kind_award: Mapped[bool]  # rules s.3, item 33
    declared_truthful: Mapped[bool]  # rules s.3, item 34
    bank_name: Mapped[str] = mapped_column(String(100))
    bank_account: Mapped[str] = mapped_column(String(40))
    bank_account_kind: Mapped[str] = mapped_column(String(8), server_default="account")
    bank_cnaps: Mapped[str | None] = mapped_column(String(12))
    check_note: Mapped[str | None] = mapped_column(Text)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    checked_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None]
    notice_starts_on: Mapped[date | None]
    notice_ends_on: Mapped[date | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    project: Mapped[SubsidyProject] = relationship()
    organisation: Mapped[Organisation] = relationship()
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    grant: Mapped[SubsidyGrant | None] = relationship(back_populates="application")

    @property
    def reference(self) -> str:
        """The number institutions, notices and bank files quote."""
        return f"SUBSIDY-{self.id:06d}"

    @property
    def payee_name(self) -> str:
        return self.organisation.name


class SubsidyBudgetYear(Base):
    """A measure's budget in a year; its row is the lock that serialises approvals."""

    __tablename__ = "subsidy_budget_year"
    __table_args__ = (
        CheckConstraint("committed_fen >= 0", name="committed_not_negative"),
        CheckConstraint("committed_fen <= cap_fen", name="within_cap"),  # rules s.4, items 24, 25 and 36
    )

    measure: Mapped[Measure] = mapped_column(_enum(Measure, "subsidy_measure"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cap_fen: Mapped[int] = mapped_column(BigInteger)
    committed_fen: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]


class SubsidyGrant(Base):
    """An approved subsidy: funded from its measure's year, or waiting in that measure's queue."""

    __tablename__ = "subsidy_grant"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)  # also the tie-break in the queue
    application_id: Mapped[int] = mapped_column(ForeignKey("subsidy_application.id"), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    measure: Mapped[Measure] = mapped_column(_enum(Measure, "subsidy_measure"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    approved_at: Mapped[datetime]
    status: Mapped[GrantStatus] = mapped_column(_enum(GrantStatus, "subsidy_grant_status"), index=True)
    budget_year: Mapped[int | None] = mapped_column(index=True)
    funded_at: Mapped[datetime | None]

    application: Mapped[SubsidyApplication] = relationship(back_populates="grant")
