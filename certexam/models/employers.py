"""Employers' bulk verification runs and their lines (issue 23), kept for the employer's organisation.

A line stores what the run showed, as the public verification showed it then (a masked holder name
unless the whole name given matched), so the history and a report downloaded later say what was seen
at the time of the check, not what the register says today.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certexam.db import Base
from certexam.domain.staff_list import LineOutcome
from certexam.models.types import str_enum
from certexam.models.user import Organisation


class BulkVerification(Base):
    """One uploaded staff list, checked line by line at `checked_at`."""

    __tablename__ = "employer_verification"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)  # who uploaded
    report_id: Mapped[str] = mapped_column(String(16), unique=True)  # quoted on the signed report
    source_name: Mapped[str] = mapped_column(String(200))  # the file's name as uploaded
    line_count: Mapped[int]
    valid_count: Mapped[int]
    checked_at: Mapped[datetime]

    organisation: Mapped[Organisation] = relationship()
    lines: Mapped[list[BulkVerificationLine]] = relationship(
        back_populates="run", order_by="BulkVerificationLine.line_no", cascade="all, delete-orphan")


class BulkVerificationLine(Base):
    """One line of a run: what was given, and what public verification showed for it."""

    __tablename__ = "employer_verification_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("employer_verification.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int]  # in the file; the header is line 1
    name_given: Mapped[str] = mapped_column(String(200))
    number_given: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[LineOutcome] = mapped_column(str_enum(LineOutcome, "employer_line_outcome", 16))
    problem: Mapped[str | None] = mapped_column(String(16))  # a malformed line's reason (domain/staff_list)
    # Set only where the public lookup would show the certificate (the name or family name given matched):
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"), index=True)
    status: Mapped[str | None] = mapped_column(String(16))  # the public verdict (domain/verdict.VerdictCode)
    holder_shown: Mapped[str | None] = mapped_column(String(310))  # masked unless the whole name matched
    level: Mapped[int | None]
    direction: Mapped[str | None] = mapped_column(String(8))
    issued_on: Mapped[date | None]
    status_since: Mapped[date | None]
    replaced_by: Mapped[str | None] = mapped_column(String(40))  # the re-issued certificate's number

    run: Mapped[BulkVerification] = relationship(back_populates="lines")
