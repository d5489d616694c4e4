"""Organisation API keys (issue 23): scoped, shown once, stored hashed, revocable, last use recorded.

A key reads `cxk_<prefix>_<secret>`: the prefix (12 hex characters, unique) finds the row, the SHA-256
of the whole key checks it (compared in constant time). The secret is 32 random bytes, so a fast hash
is enough: there is nothing to guess that a slow one would protect (unlike a password).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from certexam import db
from certexam.errors import NotFound, UserError
from certexam.models import OrgApiKey, User
from certexam.services.platform import audit, clock

KEY_PREFIX = "cxk_"
SCOPES = ("verify", "watch")  # verify: /api/v1/verify; watch: /api/v1/watch
NAME_MAX = 80
KEYS_PER_ORG = 20  # enough for a few systems and their rotation
# last_used_at is written at most this often per key, so a busy key does not take the writer's lock
# on every call (SQLite has one writer for the whole machine)
LAST_USED_RESOLUTION = timedelta(minutes=1)
_SHAPE = re.compile(r"^cxk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class KeyHolder:
    """Who called with a key: its organisation and scopes (no ORM object leaves the lookup)."""

    key_id: int
    prefix: str
    organisation_id: int
    scopes: frozenset[str]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def checked_scopes(scopes: list[str]) -> list[str]:
    chosen = [s for s in SCOPES if s in set(scopes)]
    if not chosen or len(chosen) != len(set(scopes)):
        raise UserError(_("Choose at least one scope: verify, watch."), "scopes")
    return chosen


@db.use_case
def create(user: User, org_id: int, name: str, scopes: list[str]) -> str:
    """Make a key for the organisation; the key is returned once and only its hash is kept."""
    label = name.strip()
    if not label or len(label) > NAME_MAX:
        raise UserError(_("Give the key a name of at most %(n)d characters.", n=NAME_MAX), "name")
    chosen = checked_scopes(scopes)
    sess = db.session()
    live = sess.scalars(select(OrgApiKey.id).where(OrgApiKey.organisation_id == org_id,
                                                   OrgApiKey.revoked_at.is_(None))).all()
    if len(live) >= KEYS_PER_ORG:
        raise UserError(_("Revoke a key first: an organisation has at most %(n)d.", n=KEYS_PER_ORG))
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = OrgApiKey(organisation_id=org_id, name=label, prefix=prefix, key_hash=_digest(key),
                    scopes=" ".join(chosen), created_by_id=user.id, created_at=clock.now())
    sess.add(row)
    sess.flush()
    audit.record(sess, "api_key.create", "org_api_key", row.id, actor_id=user.id,
                 after={"organisation_id": org_id, "name": label, "prefix": prefix, "scopes": row.scopes})
    return key


@db.use_case
def revoke(user: User, org_id: int, key_id: int) -> None:
    sess = db.session()
    row = sess.get(OrgApiKey, key_id)
    if row is None or row.organisation_id != org_id:
        raise NotFound(_("No such key."))
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        audit.record(sess, "api_key.revoke", "org_api_key", row.id, actor_id=user.id,
                     after={"prefix": row.prefix})


def listing(org_id: int) -> list[OrgApiKey]:
    return list(db.session().scalars(select(OrgApiKey).where(OrgApiKey.organisation_id == org_id)
                                     .order_by(OrgApiKey.id.desc())))


def prefix_of(key: str) -> str | None:
    """The key's public prefix when it has a key's shape (the rate limiter's bucket), else None."""
    found = _SHAPE.match(key)
    return found.group(1) if found else None


def holder_for(key: str, now: datetime | None = None) -> KeyHolder | None:
    """The live key `key` is, or None; notes when it was used (at most once a minute)."""
    prefix = prefix_of(key)
    if prefix is None:
        return None
    sess = db.session()
    row = sess.scalar(select(OrgApiKey).where(OrgApiKey.prefix == prefix))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, _digest(key)):
        return None
    holder = KeyHolder(row.id, row.prefix, row.organisation_id, frozenset(row.scopes.split()))
    now = now or clock.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        _touch(row.id, now)
    return holder


@db.use_case
def _touch(key_id: int, now: datetime) -> None:
    db.session().execute(update(OrgApiKey).where(OrgApiKey.id == key_id).values(last_used_at=now))
