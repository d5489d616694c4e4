"""Objections made online during a bonus public notice (issue 23).

Each is an ordinary `bonus_objection` (so the notice's close step waits for it and an upheld one
rejects the application, services/bonus/notice.py) plus this row: who objected, signed in, and the
evidence they uploaded. The objector is shown to the reviewer only, never on the public notice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certexam.db import Base
from certexam.models.bonus import Objection
from certexam.models.user import User


class OnlineObjection(Base):
    """The online part of an objection: its author's account and one evidence file."""

    __tablename__ = "bonus_objection_online"

    objection_id: Mapped[int] = mapped_column(ForeignKey("bonus_objection.id"), primary_key=True,
                                              autoincrement=False)
    objector_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    submitted_at: Mapped[datetime]
    evidence_name: Mapped[str] = mapped_column(String(200))  # cleaned, for the download
    evidence_path: Mapped[str] = mapped_column(String(200))  # relative to instance/uploads
    evidence_type: Mapped[str] = mapped_column(String(40))
    evidence_size: Mapped[int]
    evidence_sha256: Mapped[str] = mapped_column(String(64))

    objection: Mapped[Objection] = relationship()
    objector: Mapped[User] = relationship()
