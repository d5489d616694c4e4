"""Long jobs and their progress (issue 18.7): "issuing 1,243 of 3,000 certificates".

A sitting's certificate PDFs take about 0.6 s each, half an hour for 3,000: far too long for a web
request. The admin pages queue the job; the worker runs it and writes its progress into the queue's
own storage (the SQLite file or Redis every app server shares), which the pages read. No table: a
job's progress is not a record to keep, and the certificates themselves are in the register.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from certexam.services.platform import clock, tasks

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STALE = timedelta(minutes=10)  # a queued or running job not heard from for this long is taken as lost
WRITE_EVERY_SECONDS = 1.0  # progress writes: often enough for a page, not one per certificate


@dataclass(frozen=True)
class Job:
    """A long job's last reported state."""

    kind: str
    state: str
    done: int
    total: int
    problems: int
    updated_at: datetime

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    def stale(self, now: datetime) -> bool:
        return self.active and now - self.updated_at > STALE


def certificates_key(sitting_id: int) -> str:
    return f"job.certificates.sitting.{sitting_id}"


def read(key: str) -> Job | None:
    """The job's last state, or None if none was ever queued."""
    raw: dict[str, Any] | None = tasks.queue().get(key, peek=True)
    return Job(**raw) if raw else None


def _write(key: str, job: Job) -> None:
    tasks.queue().put(key, asdict(job))


def certificates_job(sitting_id: int) -> Job | None:
    return read(certificates_key(sitting_id))


def start_certificates(sitting_id: int, actor_id: int | None) -> tuple[Job, bool]:
    """Queue the sitting's certificates and PDFs unless that job is already queued or running.

    Returns the job and whether this call queued it. Issuing is idempotent (a certificate that
    exists is returned, a PDF that exists is kept), so a job run twice does no harm.
    """
    key, now = certificates_key(sitting_id), clock.now()
    current = read(key)
    if current is not None and current.active and not current.stale(now):
        return current, False
    job = Job("certificates", QUEUED, 0, 0, 0, now)
    _write(key, job)
    tasks.task("issue_certificates")(sitting_id, actor_id)
    return job, True


def run_certificates(sitting_id: int, actor_id: int | None) -> int:
    """The worker's side: issue every passing candidate's certificate with its PDF; returns how many."""
    from certexam import db
    from certexam.models import User
    from certexam.services.certificates.issue import issue_for_sitting

    key = certificates_key(sitting_id)
    actor = db.session().get(User, actor_id) if actor_id is not None else None
    problems: list[str] = []
    last_write = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last_write
        if done == total or time.monotonic() - last_write >= WRITE_EVERY_SECONDS:
            last_write = time.monotonic()
            _write(key, Job("certificates", RUNNING, done, total, len(problems), clock.now()))

    _write(key, Job("certificates", RUNNING, 0, 0, 0, clock.now()))
    try:
        issued = issue_for_sitting(sitting_id, actor, progress, with_pdf=True, errors=problems)
    except Exception:
        last = read(key)
        _write(key, Job("certificates", FAILED, last.done if last else 0, last.total if last else 0,
                        len(problems), clock.now()))
        raise
    last = read(key)
    total = last.total if last else len(issued)
    _write(key, Job("certificates", DONE, total, total, len(problems), clock.now()))
    return len(issued)


# -- signing again after a key compromise (issue 20.6): one job for the whole body at a time ----------
RESIGN_KEY = "job.certificates.resign"


def resign_job() -> Job | None:
    return read(RESIGN_KEY)


def start_resign(actor_id: int | None, kid: str | None = None) -> tuple[Job, bool]:
    """Queue signing again every certificate of a compromised key (``kid``'s only, when given), unless
    that job is queued or running already. Returns the job and whether this call queued it."""
    now = clock.now()
    current = read(RESIGN_KEY)
    if current is not None and current.active and not current.stale(now):
        return current, False
    job = Job("resign", QUEUED, 0, 0, 0, now)
    _write(RESIGN_KEY, job)
    tasks.task("resign_certificates")(actor_id, kid)
    return job, True


def run_resign(actor_id: int | None, kid: str | None = None) -> int:
    """The worker's side: services/certificates/resign.resign_all with its progress; returns how many."""
    from certexam.services.certificates.resign import resign_all

    last_write = 0.0

    def progress(done: int, total: int, problems: int) -> None:
        nonlocal last_write
        if done == total or time.monotonic() - last_write >= WRITE_EVERY_SECONDS:
            last_write = time.monotonic()
            _write(RESIGN_KEY, Job("resign", RUNNING, done, total, problems, clock.now()))

    _write(RESIGN_KEY, Job("resign", RUNNING, 0, 0, 0, clock.now()))
    try:
        report = resign_all(actor_id, kid, progress)
    except Exception:
        last = read(RESIGN_KEY)
        _write(RESIGN_KEY, Job("resign", FAILED, last.done if last else 0, last.total if last else 0,
                               last.problems if last else 0, clock.now()))
        raise
    _write(RESIGN_KEY, Job("resign", DONE, report.total, report.total, len(report.problems), clock.now()))
    return len(report.done)
