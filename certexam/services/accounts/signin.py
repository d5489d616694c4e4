"""Sign-in with a growing delay instead of a lockout (issue 19.4; the rule and its reasons: domain/throttle.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app

from certexam import db
from certexam.domain import throttle
from certexam.models import User
from certexam.services.accounts import passwords
from certexam.services.accounts.users import find_by_email, normal_email
from certexam.services.platform import clock, counters


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    wait_seconds: int = 0  # > 0: nothing was checked, try again after this long


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _keys(email: str, source: str) -> list[tuple[throttle.Rule, str]]:
    """The three keys of an attempt; the email as typed (normalised), known or not, so an unknown email
    is throttled exactly like a known one and the answers tell nothing."""
    who, where = _digest(normal_email(email)), _digest(source)
    return [(throttle.PAIR, f"signin:pair:{who}:{where}"), (throttle.ACCOUNT, f"signin:acct:{who}"),
            (throttle.SOURCE, f"signin:src:{where}")]


@db.use_case
def sign_in(email: str, password: str, source: str) -> SignInResult:
    """Check a password, unless one of the attempt's keys still asks to wait; count a failure on each key."""
    now = clock.now()
    keyed = _keys(email, source)
    found = counters.current([key for _rule, key in keyed], now)
    wait = throttle.seconds_to_wait(now, [
        (rule, throttle.Failures(c.hits, c.last_at) if (c := found.get(key)) else None) for rule, key in keyed])
    if wait:
        return SignInResult(None, wait)
    user = find_by_email(db.session(), email)
    ok = passwords.verify_password(user.password_hash if user else None, password)  # unknown: as slow
    if user is None or not ok or not user.active:
        for rule, key in keyed:
            count = counters.hit(key, throttle.FORGET_AFTER, now, sliding=True)
            if count.hits == rule.free + 1:
                current_app.logger.warning("sign-in throttled: %s (source %s)", key.rsplit(":", 1)[0], source)
        return SignInResult(None)
    counters.clear([key for rule, key in keyed if rule is not throttle.SOURCE])
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return SignInResult(user)
