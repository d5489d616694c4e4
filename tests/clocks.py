"""A clock for the CLOCK setting that tests move by hand, so minutes pass instantly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Starts at the wall clock's now; `advance(minutes=5)` moves it forward."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)
