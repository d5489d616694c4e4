"""The holder bonus (issue 7): employment records, applications, budget, payouts, fraud cases.

Money is integer fen in BIGINT columns.  The database enforces what must hold
even if code is wrong: one grant and one payout per person (rules s.3, item
26: "一次性奖励", once per person), a year's commitments never above its cap
(item 26, "每年安排不超过300万元"; item 36: inclusive), positive amounts.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

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
from certexam.models.user import Organisation, User

if TYPE_CHECKING:
    from certexam.models.subsidies import SubsidyGrant


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class PeriodStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the employer
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # waiting for the completeness check
    INCOMPLETE = "incomplete"  # returned to the holder
    UNDER_REVIEW = "under_review"
    IN_NOTICE = "in_notice"  # on the public notice (公示)
    APPROVED = "approved"  # approved for payment: has a grant
    PAID = "paid"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"  # by a fraud finding before payment


class ObjectionStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class GrantStatus(enum.StrEnum):
    WAITING = "waiting"  # in the first-come queue for a later year's budget
    FUNDED = "funded"  # counted against budget_year
    PAID = "paid"
    RECOVERY = "recovery"  # fraud: the amount and statutory interest are to be recovered


class EmploymentRecord(Base):
    """A period of work a holder declares, and the employer's answer."""

    __tablename__ = "bonus_employment"
    __table_args__ = (CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]  # None: still working there
    full_time: Mapped[bool]
    status: Mapped[PeriodStatus] = mapped_column(_enum(PeriodStatus, "period_status"), index=True)
    employer_note: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    organisation: Mapped[Organisation] = relationship()
    holder: Mapped[User] = relationship(foreign_keys=[user_id])
    evidence: Mapped[list[EvidenceFile]] = relationship(back_populates="record", order_by="EvidenceFile.id")


class EvidenceFile(Base):
    """A PDF, JPEG or PNG backing a period, stored under instance/uploads/evidence/."""

    __tablename__ = "bonus_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("bonus_employment.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    stored_path: Mapped[str] = mapped_column(String(200))  # relative to instance/uploads
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]

    record: Mapped[EmploymentRecord] = relationship(back_populates="evidence")


class SocialInsuranceMonth(Base):
    """One month of social-insurance contributions paid by an organisation for a person."""

    __tablename__ = "bonus_si_month"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id", "month", name="uq_bonus_si_month_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    month: Mapped[date]  # the first day of the month
    source: Mapped[str] = mapped_column(String(200))  # the imported file's name
    imported_at: Mapped[datetime]


class BonusApplication(Base):
    """A holder's application, from submission to payment."""

    __tablename__ = "bonus_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(_enum(ApplicationStatus, "bonus_application_status"),
                                                      index=True)
    submitted_at: Mapped[datetime]
    declared_no_same_kind_award: Mapped[bool]  # rules s.3, item 33
    declared_truthful: Mapped[bool]  # rules s.3, item 34
    bank_name: Mapped[str] = mapped_column(String(100))
    bank_account: Mapped[str] = mapped_column(String(40))  # only the payout export shows it in full
    bank_account_kind: Mapped[str] = mapped_column(String(8), server_default="card")  # domain.accounts_check
    bank_cnaps: Mapped[str | None] = mapped_column(String(12))  # 联行号; empty: the paying bank itself
    eligibility_json: Mapped[str] = mapped_column(Text)  # the verdict when submitted
    check_note: Mapped[str | None] = mapped_column(Text)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    checked_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None]
    notice_starts_on: Mapped[date | None]
    notice_ends_on: Mapped[date | None]  # the last day of the notice
    closed_at: Mapped[datetime | None]  # approved for payment, rejected, withdrawn or cancelled
    updated_at: Mapped[datetime]

    holder: Mapped[User] = relationship(foreign_keys=[user_id])
    objections: Mapped[list[Objection]] = relationship(back_populates="application", order_by="Objection.id")
    grant: Mapped[Grant | None] = relationship(back_populates="application")

    @property
    def reference(self) -> str:
        """The number holders, notices and bank files quote."""
        return f"BONUS-{self.id:06d}"


class Objection(Base):
    """An objection raised during the public notice, and how it was resolved."""

    __tablename__ = "bonus_objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("bonus_application.id"), index=True)
    received_on: Mapped[date]
    objector: Mapped[str] = mapped_column(String(200))  # name or contact as given; never published
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[ObjectionStatus] = mapped_column(_enum(ObjectionStatus, "bonus_objection_status"))
    resolution: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None]

    application: Mapped[BonusApplication] = relationship(back_populates="objections")


class BudgetYear(Base):
    """A year's bonus budget; its row is the lock that serialises approvals."""

    __tablename__ = "bonus_budget_year"
    __table_args__ = (
        CheckConstraint("committed_fen >= 0", name="committed_not_negative"),
        CheckConstraint("committed_fen <= cap_fen", name="within_cap"),  # rules s.3, items 26 and 36
    )

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cap_fen: Mapped[int] = mapped_column(BigInteger)
    committed_fen: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]


class Grant(Base):
    """An approved bonus: funded from a year's budget, or waiting in the queue."""

    __tablename__ = "bonus_grant"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)  # also the tie-break in the queue
    application_id: Mapped[int] = mapped_column(ForeignKey("bonus_application.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)  # one bonus per person
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    approved_at: Mapped[datetime]  # the place in the first-come queue
    status: Mapped[GrantStatus] = mapped_column(_enum(GrantStatus, "bonus_grant_status"), index=True)
    budget_year: Mapped[int | None] = mapped_column(ForeignKey("bonus_budget_year.year"), index=True)
    funded_at: Mapped[datetime | None]

    application: Mapped[BonusApplication] = relationship(back_populates="grant")
    holder: Mapped[User] = relationship(foreign_keys=[user_id])
    payouts: Mapped[list[Payout]] = relationship(back_populates="grant", order_by="Payout.id")

    @property
    def payout(self) -> Payout | None:
        """The line that is not returned (sent or paid), if any."""
        return next((p for p in self.payouts if p.status != PayoutStatus.RETURNED), None)


class PayoutBatch(Base):
    """A file of payments sent to the bank, and the bank's reference once paid."""

    __tablename__ = "bonus_payout_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    total_fen: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int]
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    paid_on: Mapped[date | None]
    marked_paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    marked_paid_at: Mapped[datetime | None]

    payouts: Mapped[list[Payout]] = relationship(back_populates="batch", order_by="Payout.id")


class PayoutStatus(enum.StrEnum):
    SENT = "sent"  # in a file given to the bank
    PAID = "paid"
    RETURNED = "returned"  # the bank sent it back (closed account, wrong name...): re-sent in a later batch


_LIVE = text("status <> 'returned'")


class Payout(Base):
    """One line of a batch (issue 23): sent, then paid or returned with the bank's reason.

    One bonus per person (rules s.3, item 26): a grant and a person have at most
    one line that is not returned (partial unique indexes); a returned line stays
    as the record and the corrected payment is a new line in a later batch.
    A line pays either a bonus grant (grant_id, user_id) or a training subsidy
    (subsidy_grant_id; issue 23, rules s.4), never both: `funding` is whichever.
    """

    __tablename__ = "bonus_payout"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("(grant_id IS NULL) <> (subsidy_grant_id IS NULL)", name="one_funding"),
        Index("uq_bonus_payout_live_grant", "grant_id", unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE),
        Index("uq_bonus_payout_live_user", "user_id", unique=True, sqlite_where=_LIVE, postgresql_where=_LIVE),
        Index("uq_bonus_payout_live_subsidy", "subsidy_grant_id", unique=True, sqlite_where=_LIVE,
              postgresql_where=_LIVE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("bonus_payout_batch.id"), index=True)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("bonus_grant.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    subsidy_grant_id: Mapped[int | None] = mapped_column(ForeignKey("subsidy_grant.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    bank_name: Mapped[str] = mapped_column(String(100))
    bank_account: Mapped[str] = mapped_column(String(40))
    bank_account_kind: Mapped[str] = mapped_column(String(8), server_default="card")
    bank_cnaps: Mapped[str | None] = mapped_column(String(12))
    status: Mapped[PayoutStatus] = mapped_column(_enum(PayoutStatus, "bonus_payout_status"), server_default="sent",
                                                 index=True)
    settled_on: Mapped[date | None]  # the day the bank paid or returned it
    return_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None]
    cleared_at: Mapped[datetime | None]  # a returned line whose details were corrected: ready to send again

    batch: Mapped[PayoutBatch] = relationship(back_populates="payouts")
    grant: Mapped[Grant | None] = relationship(back_populates="payouts")
    holder: Mapped[User | None] = relationship(foreign_keys=[user_id])
    subsidy_grant: Mapped[SubsidyGrant | None] = relationship()

    @property
    def funding(self) -> Grant | SubsidyGrant:
        """The bonus grant or the subsidy grant the line pays (each has status, amount and application)."""
        funding = self.grant if self.grant is not None else self.subsidy_grant
        assert funding is not None  # CHECK one_funding
        return funding

    @property
    def payee_name(self) -> str:
        """Who the bank pays: the holder (Chinese name first) or the subsidised institution."""
        if self.holder is not None:
            return self.holder.name_zh or self.holder.name_en
        assert self.subsidy_grant is not None  # CHECK one_funding
        return self.subsidy_grant.application.payee_name

    @property
    def source_reference(self) -> str:
        """The application's number: BONUS-... or SUBSIDY-..."""
        return self.funding.application.reference

    @property
    def end_to_end_id(self) -> str:
        """The line's reference in the bank files and statements (ISO 20022 EndToEndId, at most 35)."""
        return f"CXBP{self.id:010d}"


class FraudCase(Base):
    """A fraud finding (rules s.3, item 34): recovery with interest, a three-year bar, publication."""

    __tablename__ = "bonus_fraud_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("bonus_application.id"))
    finding: Mapped[str] = mapped_column(Text)  # internal; the public list shows no details
    found_on: Mapped[date]  # the bar starts on this day
    barred_until: Mapped[date]  # the last barred day
    principal_fen: Mapped[int] = mapped_column(BigInteger)  # 0 when nothing was paid
    paid_on: Mapped[date | None]
    interest_rate_bp: Mapped[int]  # the statutory rate fixed by the decision, in basis points a year
    recovered_on: Mapped[date | None]
    interest_fen: Mapped[int | None] = mapped_column(BigInteger)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]

    holder: Mapped[User] = relationship(foreign_keys=[user_id])
