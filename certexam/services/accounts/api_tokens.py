"""Bearer tokens for the JSON API: shown once, stored only as a SHA-256."""

from __future__ import annotations

import functools
import hashlib
import secrets

from sqlalchemy import Select, bindparam, select

from certexam import db
from certexam.models import ApiToken, User
from certexam.services.platform import audit, clock

PREFIX = "cx_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@db.use_case
def create(user: User, name: str) -> str:
    """Make a token for `user`; the plain token is returned once and never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    sess = db.session()
    row = ApiToken(user_id=user.id, name=name[:80], token_hash=_digest(token), created_at=clock.now())
    sess.add(row)
    sess.flush()
    audit.record(sess, "api_token.create", "api_token", row.id, actor_id=user.id, after={"name": row.name})
    return token


def digest_of(token: str) -> str | None:
    """What a well-formed token is looked up by (its SHA-256), or None for anything else."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    return _digest(token)


def user_for(token: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    digest = digest_of(token)
    return None if digest is None else db.session().scalar(_user_by_token(), {"digest": digest})


@functools.cache
def _user_by_token() -> Select[tuple[User]]:
    """One query per API request, the token and its user together; built once (it runs on every call)."""
    return (select(User).join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None), User.active.is_(True)))
