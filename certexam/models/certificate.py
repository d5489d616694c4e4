"""Issued certificates: what was certified, its signed token, and its status."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from certexam.db import Base
from certexam.domain.verdict import CertStatus
from certexam.models.types import str_enum


class Certificate(Base):
    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("level", "year", "serial", name="uq_certificate_serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)  # e.g. SHMFTPP-L2-2026-000123-2
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    level: Mapped[int]
    year: Mapped[int]
    serial: Mapped[int]
    direction: Mapped[str | None] = mapped_column(String(8))  # level 2: AI | BD | CLD
    sitting_id: Mapped[int | None] = mapped_column(ForeignKey("sitting.id"), index=True)
    passed_on: Mapped[date]  # the exam pass the certificate rests on (bonus rule: on or after 2021-01-01)
    issued_on: Mapped[date]
    expires_on: Mapped[date | None]
    holder_name_zh: Mapped[str] = mapped_column(String(100))  # as printed, frozen at issue
    holder_name_en: Mapped[str] = mapped_column(String(200))
    holder_name_family: Mapped[str] = mapped_column(String(100))  # what the public lookup matches
    photo_path: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[CertStatus] = mapped_column(str_enum(CertStatus, "certificate_status", 16), index=True)
    status_changed_at: Mapped[datetime | None]
    status_reason: Mapped[str | None] = mapped_column(Text)  # internal: never shown on public pages
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))  # re-issue after a correction
    key_id: Mapped[str] = mapped_column(String(32))  # the token key that signed it
    token: Mapped[str] = mapped_column(Text)  # the signed QR token (COSE_Sign1, base32)
    pdf_path: Mapped[str | None] = mapped_column(String(200))  # stored signed PDF, relative to instance/
    # The certificate's bit in the status lists (issue 20.3, domain/status_bits.py), random and unique. Every
    # row has one (issue, migration 0022); the column is nullable only because SQLite cannot add a NOT NULL
    # column to a table others point at without copying it.
    status_index: Mapped[int | None] = mapped_column(unique=True, index=True)
    created_at: Mapped[datetime]
