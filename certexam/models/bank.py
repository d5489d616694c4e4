"""Question-bank items and their immutable versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certexam.db import Base
from certexam.domain.bank_workflow import VersionStatus


def _status_enum() -> Enum:
    return Enum(VersionStatus, name="version_status", native_enum=False, length=16,
                values_callable=lambda e: [m.value for m in e])


class BankItem(Base):
    """An item's identity; what it says lives in its versions."""

    __tablename__ = "bank_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(40), unique=True)  # the id in bank files
    level: Mapped[int] = mapped_column(index=True)
    module: Mapped[str] = mapped_column(String(16), index=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    # The newest version's status and languages, copied here so that the list
    # page filters 10,000 items without touching the versions table.
    status: Mapped[VersionStatus] = mapped_column(_status_enum(), index=True)
    languages: Mapped[str] = mapped_column(String(40))  # e.g. "zh_Hans,en"
    search_text: Mapped[str] = mapped_column(Text)
    latest_version_no: Mapped[int]
    approved_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_item_version.id", use_alter=True, name="fk_bank_item_approved_version"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    versions: Mapped[list[BankItemVersion]] = relationship(
        back_populates="item", foreign_keys="BankItemVersion.item_id", order_by="BankItemVersion.version_no")


class BankItemVersion(Base):
    """One immutable version of an item; attempts point at the versions they showed."""

    __tablename__ = "bank_item_version"
    __table_args__ = (
        UniqueConstraint("item_id", "version_no", name="uq_bank_item_version_no"),
        Index("ix_bank_item_version_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("bank_item.id"), index=True)
    version_no: Mapped[int]
    content: Mapped[str] = mapped_column(Text)  # canonical JSON (certexam.domain.item_codec)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[VersionStatus] = mapped_column(_status_enum())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None]
    retired_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    retired_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)  # the reviewer's comment when returned
    # Difficulty statistics (issue 21; domain/difficulty.py): the facility (0..1) and the responses it
    # rests on, from item analysis or pretesting. Not content: outside the hash, updated in place.
    facility: Mapped[float | None] = mapped_column(Float)
    facility_n: Mapped[int | None]

    item: Mapped[BankItem] = relationship(back_populates="versions", foreign_keys=[item_id])


class ItemTranslation(Base):
    """A language of an item version that a reviewer has checked (issue 22: translation as a
    workflow). No row: a draft. The source language, simplified Chinese, is reviewed with the version
    itself (bank_workflow); the reviewer is never the version's author, who wrote or brought in the
    translation."""

    __tablename__ = "item_translation"
    __table_args__ = (UniqueConstraint("version_id", "language", name="uq_item_translation_version_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("bank_item_version.id"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: a bulk import's approval
    reviewed_at: Mapped[datetime]
