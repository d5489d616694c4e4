"""Attempts at a paper, their answers (one row per slot) and their events."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certexam.db import Base
from certexam.models.types import str_enum


class AttemptStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"  # by a proctor: the clock stops and saves wait
    SUBMITTED = "submitted"  # final: by the candidate, at the deadline, or by a proctor


class AttemptKind(enum.StrEnum):
    EXAM = "exam"  # a paper of a sitting: scored with the sitting
    MOCK = "mock"  # a practice paper: scored at once, never counts


class SubmitReason(enum.StrEnum):
    CANDIDATE = "candidate"
    TIMEOUT = "timeout"  # the deadline (plus its grace) passed
    PROCTOR = "proctor"  # a proctor ended the attempt


class Attempt(Base):
    __tablename__ = "attempt"
    __table_args__ = (UniqueConstraint("registration_id", "paper_code", name="uq_attempt_one_per_paper"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id"), index=True)  # None: mock
    sitting_paper_id: Mapped[int | None] = mapped_column(ForeignKey("sitting_paper.id"), index=True)
    paper_code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[AttemptKind] = mapped_column(str_enum(AttemptKind, "attempt_kind", 8))
    status: Mapped[AttemptStatus] = mapped_column(str_enum(AttemptStatus, "attempt_status", 16), index=True)
    seed: Mapped[int]
    form: Mapped[str] = mapped_column(Text)  # JSON list of form entries: versions and orders, frozen
    minutes: Mapped[int]
    extra_minutes: Mapped[int] = mapped_column(default=0)
    time_multiplier_pct: Mapped[int] = mapped_column(default=100)
    added_seconds: Mapped[int] = mapped_column(default=0)  # time given by staff during the attempt
    paused_seconds: Mapped[int] = mapped_column(default=0)
    paused_at: Mapped[datetime | None]
    started_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    submit_reason: Mapped[SubmitReason | None] = mapped_column(str_enum(SubmitReason, "submit_reason", 16))
    holder_token: Mapped[str] = mapped_column(String(64))  # the one device that may save
    last_seq: Mapped[int] = mapped_column(default=0)
    last_saved_at: Mapped[datetime | None]
    language: Mapped[str] = mapped_column(String(8))

    responses: Mapped[list[Response]] = relationship(back_populates="attempt", order_by="Response.slot")


class Response(Base):
    """The newest acknowledged answer for one slot ("3", or "3.1" for an item-set child)."""

    __tablename__ = "response"
    __table_args__ = (UniqueConstraint("attempt_id", "slot", name="uq_response_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"))
    slot: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str | None] = mapped_column(Text)  # JSON: "B", ["A","C"], true, or text
    flagged: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int]
    saved_at: Mapped[datetime]

    attempt: Mapped[Attempt] = relationship(back_populates="responses")


class AttemptItem(Base):
    """One bank item shown on an attempt's form.

    Exposure (how often an item has been drawn) is counted from these rows. They
    are only ever inserted, so candidates starting at the same moment never wait
    on a shared counter row (issue 4: the start minute of an exam day).
    """

    __tablename__ = "attempt_item"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)  # 1-based, as numbered on the paper
    bank_item_id: Mapped[int] = mapped_column(ForeignKey("bank_item.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("bank_item_version.id"))


class AttemptEvent(Base):
    """Integrity and proctoring events: focus loss, paste, reconnect, takeover, pause, time added, end."""

    __tablename__ = "attempt_event"
    __table_args__ = (Index("ix_attempt_event_attempt_at", "attempt_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
