"""People and the organisations employer accounts belong to."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certexam.db import Base


class Role(enum.StrEnum):
    """What a user may do. Candidates and employers have one role, their account's kind; staff hold
    any set of the staff roles (issue 19.6: separation of duties, see docs/security.md)."""

    CANDIDATE = "candidate"
    EMPLOYER = "employer"
    ITEM_AUTHOR = "item_author"  # writes and imports bank items
    ITEM_REVIEWER = "item_reviewer"  # approves or rejects another's item versions
    PROCTOR = "proctor"  # watches, pauses and ends running attempts
    MARKER = "marker"  # marks written answers (was "grader")
    RESULTS_OFFICER = "results_officer"  # sittings, scoring, rulings, re-checks; release with a second one
    CERTIFICATE_OFFICER = "certificate_officer"  # issues, revokes and reinstates certificates
    BONUS_CHECKER = "bonus_checker"  # completeness checks, employment records, objections
    BONUS_APPROVER = "bonus_approver"  # reviews applications onto the public notice
    PAYMENT_OFFICER = "payment_officer"  # payout batches; a payment needs a second one
    AUDITOR = "auditor"  # reads results, bonus, certificates and the audit log; never writes
    SYSTEM_ADMIN = "system_admin"  # accounts, roles, organisations and keys
    # Old names kept as aliases so code written before issue 19.6 still imports: GRADER is MARKER;
    # ADMIN is now only the system administrator (a route that needs a duty names that duty's role).
    GRADER = "marker"
    ADMIN = "system_admin"


STAFF_ROLES: frozenset[Role] = frozenset(r for r in Role if r not in (Role.CANDIDATE, Role.EMPLOYER))


class AccountKind(enum.StrEnum):
    """The kind of account, stored in user_account.role: a candidate and an employer each have that
    one role; a staff account's roles are its user_role rows. The names match Role's, so
    `user.role == Role.CANDIDATE` compares as it did."""

    CANDIDATE = "candidate"
    EMPLOYER = "employer"
    STAFF = "staff"


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
    # rules s.4, items 24-25: the institutions that run training for the programme and apply for its
    # subsidies sign in with an employer-kind account of an organisation of this category (issue 23).
    TRAINING_INSTITUTION = "training_institution"


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
    role: Mapped[AccountKind] = mapped_column(_enum(AccountKind, "role"), index=True)  # the account's kind
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
    # selectin: one query with the user loader, none per role check
    staff_roles: Mapped[list[UserRole]] = relationship(back_populates="user", lazy="selectin",
                                                       cascade="all, delete-orphan", order_by="UserRole.role",
                                                       foreign_keys="UserRole.user_id")

    @property
    def roles(self) -> frozenset[Role]:
        """Every role the user holds: the account's kind for candidates and employers, else the staff roles."""
        if self.role == AccountKind.STAFF:
            return frozenset(Role(r.role) for r in self.staff_roles)
        return frozenset({Role(self.role.value)})

    def has_role(self, *roles: Role) -> bool:
        """True when the user holds at least one of `roles`."""
        return not self.roles.isdisjoint(roles)

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


class UserRole(Base):
    """One staff role held by one staff account (issue 19.6); granted and removed by a system administrator."""

    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "staff_role"), primary_key=True, index=True)
    granted_at: Mapped[datetime]
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(back_populates="staff_roles", foreign_keys=[user_id])


class FourEyesRequest(Base):
    """A step one officer has asked for and a different officer must confirm (issue 19.6): a release of
    results, a batch payment. One open request per action and object; confirming deletes it."""

    __tablename__ = "four_eyes_request"
    __table_args__ = (UniqueConstraint("action", "object_id", name="uq_four_eyes_request_action_object"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(40))  # e.g. "results.release", "bonus.batch.paid"
    object_id: Mapped[int]
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON: what the first officer entered
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime]

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])


class RateCounter(Base):
    """Hits counted under a key until it expires, shared by every worker and app server through the
    database: sign-in failures (domain/throttle.py) and, without Redis, the rate limiter's windows."""

    __tablename__ = "rate_counter"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    hits: Mapped[int]
    last_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
