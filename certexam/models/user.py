"""People and the organisations employer accounts belong to."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certexam.db import Base


class Role(enum.StrEnum):
    CANDIDATE = "candidate"
    EMPLOYER = "employer"
    GRADER = "grader"
    ADMIN = "admin"


class IdDocumentType(enum.StrEnum):
    PRC_ID = "prc_id"  # 居民身份证
    HK_ID = "hk_id"  # 香港身份证
    MO_ID = "mo_id"  # 澳门身份证
    HKMO_PERMIT = "hkmo_permit"  # 港澳居民来往内地通行证
    PASSPORT = "passport"


class OrgCategory(enum.StrEnum):
    # rules s.3, item 26: "本市金融机构、金融科技类企业"
    FINANCIAL_INSTITUTION = "financial_institution"
    FINTECH = "fintech"
    OTHER = "other"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码, GB 32100-2015
    city: Mapped[str] = mapped_column(String(100))
    category: Mapped[OrgCategory] = mapped_column(_enum(OrgCategory, "org_category"))
    created_at: Mapped[datetime]

    members: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (UniqueConstraint("id_type", "id_number", name="uq_user_account_id_document"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), index=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    name_family: Mapped[str] = mapped_column(String(100))  # as written in name_en (issue 19.11)
    id_type: Mapped[IdDocumentType | None] = mapped_column(_enum(IdDocumentType, "id_document_type"))
    id_number: Mapped[str | None] = mapped_column(String(40))  # never shown in full on any page
    photo_path: Mapped[str | None] = mapped_column(String(200))  # relative to instance/uploads
    locale: Mapped[str | None] = mapped_column(String(10))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Raised to end every session of the account at once: sign-out, password change or reset, role
    # change, deactivation (issue 19.2). A session carries it in its Flask-Login id ("<id>:<epoch>").
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime]

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    @property
    def masked_id_number(self) -> str:
        """The ID number as pages show it: only the last four characters."""
        if not self.id_number:
            return ""
        return "•" * max(len(self.id_number) - 4, 0) + self.id_number[-4:]


class RateCounter(Base):
    """Hits counted under a key until it expires, shared by every worker and app server through the
    database: sign-in failures (domain/throttle.py) and, without Redis, the rate limiter's windows."""

    __tablename__ = "rate_counter"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    hits: Mapped[int]
    last_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
