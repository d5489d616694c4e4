"""Blueprints, sittings, their papers, registrations, level passes and exam bans."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certexam.db import Base


class BlueprintRecord(Base):
    """A named blueprint (JSON per certexam.domain.blueprint); sittings copy it when created."""

    __tablename__ = "blueprint"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[int] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    spec: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Sitting(Base):
    __tablename__ = "sitting"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(index=True)
    blueprint_spec: Mapped[str] = mapped_column(Text)  # frozen copy: later blueprint edits never change it
    assembly_mode: Mapped[str] = mapped_column(String(16))  # per_candidate | fixed
    registration_opens_at: Mapped[datetime]
    registration_closes_at: Mapped[datetime]
    capacity: Mapped[int]
    languages: Mapped[str] = mapped_column(String(40))  # e.g. "zh_Hans,zh_Hant,en,pt"
    fee_fen: Mapped[int]  # for the record only (rules s.2 fees); money is integer fen
    # How long after a paper's start a candidate may still begin it; a long window
    # suits remotely proctored sittings (and the demo), a short one a hall.
    late_entry_minutes: Mapped[int] = mapped_column(default=30)
    results_released_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    papers: Mapped[list[SittingPaper]] = relationship(back_populates="sitting", order_by="SittingPaper.position")


class SittingPaper(Base):
    __tablename__ = "sitting_paper"
    __table_args__ = (UniqueConstraint("sitting_id", "code", name="uq_sitting_paper_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    position: Mapped[int]  # papers run in this order
    starts_at: Mapped[datetime]
    minutes: Mapped[int]
    fixed_seed: Mapped[int]  # used when the sitting gives every candidate the same form

    sitting: Mapped[Sitting] = relationship(back_populates="papers")


class SittingForm(Base):
    """A form assembled ahead of the sitting (assembly mode "pre_assembled", issue 21): a start hands
    one out instead of assembling. `form` is the attempt's frozen form as a start stores it."""

    __tablename__ = "sitting_form"
    __table_args__ = (UniqueConstraint("sitting_paper_id", "direction", "number", name="uq_sitting_form_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_paper_id: Mapped[int] = mapped_column(ForeignKey("sitting_paper.id"))  # indexed by the unique key
    direction: Mapped[str] = mapped_column(String(8), default="")  # level 2: AI | BD | CLD; "" for every candidate
    number: Mapped[int]  # 1..n, the form `domain.form_pool.choose` names
    seed: Mapped[int]  # rebuilds the form from the pool it was assembled from
    form: Mapped[str] = mapped_column(Text)  # JSON, as attempt.form
    bank_items: Mapped[str] = mapped_column(Text)  # JSON list: each entry's bank item id, in form order
    expected_units: Mapped[int]  # expected score in 1/difficulty.SCALE points
    target_units: Mapped[int]
    tolerance_units: Mapped[int]
    within: Mapped[bool]  # expected score within the tolerance of the target
    created_at: Mapped[datetime]


class Registration(Base):
    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("sitting_id", "user_id", name="uq_registration_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    admission_no: Mapped[str] = mapped_column(String(32), unique=True)
    direction: Mapped[str | None] = mapped_column(String(8))  # level 2: AI | BD | CLD
    extra_minutes: Mapped[int] = mapped_column(default=0)
    time_multiplier_pct: Mapped[int] = mapped_column(default=100)  # 125 means x1.25
    created_at: Mapped[datetime]
    # When a proctor checked the candidate against the registration photo (issue 21); who did is in the audit log.
    identity_checked_at: Mapped[datetime | None]

    sitting: Mapped[Sitting] = relationship()


class LevelPass(Base):
    """A recorded pass of a level (from a released result, or entered for earlier sittings)."""

    __tablename__ = "level_pass"
    __table_args__ = (UniqueConstraint("user_id", "level", name="uq_level_pass_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    level: Mapped[int]
    passed_on: Mapped[date]
    sitting_id: Mapped[int | None] = mapped_column(ForeignKey("sitting.id"))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]


class ExamBan(Base):
    """A misconduct ban (rules s.2: an exam ban of 1 or 2 years), enforced at registration."""

    __tablename__ = "exam_ban"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]  # the last banned day
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
