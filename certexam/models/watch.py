"""Employers' watch lists, their webhook endpoint and outbox, and organisation API keys (issue 23)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from certexam.db import Base
from certexam.models.types import str_enum


class WatchedCertificate(Base):
    """A certificate an organisation watches; added only after it verified with the holder's name."""

    __tablename__ = "watched_certificate"
    __table_args__ = (UniqueConstraint("organisation_id", "certificate_id", name="uq_watched_certificate"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: through an API key
    created_at: Mapped[datetime]


class WebhookEndpoint(Base):
    """Where an organisation's watch events are posted. The secret signs them (domain/webhooks.py), so it
    is kept, not hashed (as Stripe keeps it); it is shown once, when it is made."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt
    DELIVERED = "delivered"  # a 2xx answer
    FAILED = "failed"  # every attempt failed; given up
    NO_ENDPOINT = "no_endpoint"  # the organisation has no webhook URL; the email alone went


class WatchEvent(Base):
    """The outbox (issue 23, "within a minute"): written in the change's own transaction, so an event
    exists exactly when the change committed; the worker mails and posts it after the commit."""

    __tablename__ = "watch_event"
    __table_args__ = (Index("ix_watch_event_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"))
    event: Mapped[str] = mapped_column(String(40))  # certificate.revoked, ...
    number: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)  # the exact JSON that is signed and sent on every attempt
    created_at: Mapped[datetime]
    state: Mapped[DeliveryState] = mapped_column(str_enum(DeliveryState, "delivery_state", 16))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]  # a worker is sending it; another leaves it alone until then
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    delivered_at: Mapped[datetime | None]
    mailed_at: Mapped[datetime | None]


class WebhookAttempt(Base):
    """One try at posting an event: the delivery log the employer reads."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("watch_event.id"), index=True)
    attempted_at: Mapped[datetime]
    url: Mapped[str] = mapped_column(String(500))
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(200))
    duration_ms: Mapped[int]


class OrgApiKey(Base):
    """An organisation's API key: `cxk_<prefix>_<secret>`, stored as the prefix (to find it) and the
    SHA-256 of the whole key (to check it); the key itself is shown once."""

    __tablename__ = "org_api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(60))  # space-separated: "verify watch"
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
