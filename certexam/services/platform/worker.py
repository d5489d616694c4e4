"""The worker process (issue 18.7): Huey's consumer, whose scheduler also ticks the exam clock.

Huey checks periodic tasks once a minute; an attempt must close within 5 s of its time being over, so
the scheduler queues the ``tick`` task every second itself (tasks.py), at a priority above mail and
PDFs, and never queues a second tick while one waits: a busy queue does not fill up with ticks.
Idle workers poll at most a second apart (Huey's default backs off to 10 s), so the chain from a
deadline to its close is about 1 s of scheduler, 1 s of polling and the sweep itself.

Several workers may run against one queue (one per machine): a tick is idempotent and the sweep
locks each attempt row, so two ticks close an attempt once.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask
from huey.consumer import Consumer, Scheduler
from huey.exceptions import TaskException

from certexam.services.platform import tasks

log = logging.getLogger("certexam.worker")

POLL_SECONDS = 1.0  # an idle worker's longest wait between two looks at the queue
SHUTDOWN_SECONDS = 10  # Ctrl-C / SIGINT: running tasks get this long; a certificate job resumes idempotently


class ClockScheduler(Scheduler):  # type: ignore[misc]
    """Huey's scheduler, plus the tick: queued each second unless the last tick is still waiting."""

    def __init__(self, *args: Any, tick: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tick = tick
        self._pending: Any = None
        self._queued_at = 0.0

    def loop(self, now: Any = None) -> None:
        try:
            self._queue_tick()
        except Exception:  # a storage hiccup (Redis restarting) must not stop the scheduler
            log.exception("could not queue the tick")
        super().loop(now)

    def _queue_tick(self) -> None:
        if self._pending is not None:
            try:
                waiting = self._pending.get() is None  # reads (and removes) the tick's result when there is one
            except TaskException:  # the tick failed; the worker logged why; tick again
                waiting = False
            lost = time.monotonic() - self._queued_at > tasks.TICK_STALE.total_seconds()
            if waiting and not lost:
                return
        self._pending = self._tick()
        self._queued_at = time.monotonic()


class ClockConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer with the ClockScheduler."""

    def __init__(self, app: Flask, huey: Any, **kwargs: Any) -> None:
        self._app = app  # before Consumer.__init__, which creates the scheduler
        super().__init__(huey, **kwargs)

    def _create_scheduler(self) -> Scheduler:
        return ClockScheduler(huey=self.huey, stop_flag=self.stop_flag, interval=self.scheduler_interval,
                              periodic=self.periodic, tick=tasks.task("tick", self._app))


def consumer(app: Flask, workers: int = 3) -> ClockConsumer:
    """The worker for `app`'s queue: threads, periodic tasks on, the tick every second."""
    return ClockConsumer(app, tasks.queue(app), workers=workers, worker_type="thread", periodic=True, max_delay=POLL_SECONDS,
                         scheduler_interval=1, check_worker_health=True, shutdown_timeout=SHUTDOWN_SECONDS)


def run(app: Flask, workers: int = 3) -> None:
    """Run the worker until SIGINT or SIGTERM (SIGHUP restarts it)."""
    consumer(app, workers).run()
