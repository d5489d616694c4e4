"""Sign-in throttling: a growing delay, never a lockout (issue 19.4). Pure: `now` is passed in.

The threat: password guessing, against one account or across many from one
address. The old rule locked an account for 15 minutes after five failures, even
against the right password, so anyone who knew a candidate's email could keep
them out at exam start; and only known emails locked, which told who has an
account.

The choice: every sign-in attempt is keyed three ways (the email as typed,
normalised, whether or not an account uses it; the email with the source
address; the source address alone). Each key allows some failures free, then
each further failure doubles the wait before the next attempt, up to a cap.

- email + address: 5 free, then 1 s doubling to 15 min. A guesser from one place
  gets a handful of tries an hour; the owner, elsewhere, never shares this key.
- email, from anywhere: 20 free, then 1 s doubling to 60 s. Guessing from many
  addresses is slowed too, yet a stranger can make the owner wait at most a
  minute, never lock them out.
- address, any email: 100 free, then 1 s doubling to 30 s. Slows one address
  trying many accounts, gently: an exam centre's candidates share one address.

A key forgets its failures an hour after the last one; a successful sign-in
clears its email's keys. While a wait runs, the password is not checked and the
answer says how long to wait, the same for known and unknown emails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Rule:
    free: int  # failures that cost nothing
    cap_seconds: int  # the longest wait

    def wait_after(self, failures: int) -> int:
        """Seconds to wait after the last of `failures` consecutive failures: 0, then 1, 2, 4 ... capped."""
        over = failures - self.free
        if over <= 0:
            return 0
        return min(1 << min(over - 1, 30), self.cap_seconds)


PAIR = Rule(free=5, cap_seconds=15 * 60)
ACCOUNT = Rule(free=20, cap_seconds=60)
SOURCE = Rule(free=100, cap_seconds=30)
FORGET_AFTER = timedelta(hours=1)  # a key's failures expire this long after its last one


@dataclass(frozen=True)
class Failures:
    count: int
    last_at: datetime


def seconds_to_wait(now: datetime, found: list[tuple[Rule, Failures | None]]) -> int:
    """How long the next attempt must wait: the longest wait any of its keys asks for (0: go ahead)."""
    wait = 0
    for rule, failures in found:
        if failures is None or now - failures.last_at >= FORGET_AFTER:
            continue
        until = failures.last_at + timedelta(seconds=rule.wait_after(failures.count))
        wait = max(wait, int((until - now).total_seconds() + 0.999))
    return wait
