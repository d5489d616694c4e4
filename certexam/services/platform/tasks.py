"""The background worker's queue (issue 18.7): Huey, on SQLite by default and on Redis in production.

Time-driven work used to wait for someone to come by: an attempt past its deadline stayed open until a
request touched it or cron ran `attempts close-expired`, and notices ended only when someone ran
`bonus close-notices`. The worker (`certexam worker`, services/platform/worker.py) runs these tasks:

- ``tick``, every second from the worker's scheduler: closes attempts whose time is over, ends
  notices, and assembles the forms of "pre_assembled" sittings once registration closes (issue 21).
  It reads first and writes only when something is due, so on an exam day it costs a few small
  SELECTs a second, not a writer's turn.
- ``roll_budget``, every minute (a Huey periodic task): funds waiting bonuses from the year's budget.
- ``send_mail``: one message, retried when the mail server fails (services/platform/mail.py queues it).
- ``deliver_webhooks``: employers' watch events (issue 23), mailed and posted with a signature; queued by
  the tick when an event is due (an outbox row written with the certificate's change), retried on the
  schedule in domain/webhooks.py, every attempt logged for the employer.
- ``anchor_audit``, every hour on the hour (a Huey periodic task): the audit log's head into the
  transparency log and a fresh signed checkpoint (issue 20.5, services/tlog/anchor.py).
- ``issue_certificates``: a sitting's certificates and their PDFs (~0.6 s each), with its progress kept
  in the queue's storage for the admin pages (jobs.py).
- ``resign_certificates``: after a key compromise, every certificate it signed gets a new token and PDF
  under the current key (issue 20.6), with its progress kept the same way.

WORKER_BACKEND names the storage: unset, an SQLite file in the instance folder (no extra server);
``sqlite:///path``; or ``redis://host:port/db`` (every app server and worker of a deployment share it).
WORKER_NAME separates deployments (and tests) that share one Redis.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, PriorityRedisHuey, SqliteHuey, crontab

WORKER_FILE = "worker.sqlite3"
TICK_PRIORITY = 100  # the clock's work goes before waiting mail and PDFs
MAIL_PRIORITY = 10
MAIL_RETRIES, MAIL_RETRY_SECONDS = 5, 60  # a mail server down for a few minutes loses nothing
WEBHOOK_QUEUE_SECONDS = 3  # the tick queues a webhook delivery at most this often


def make_queue(backend: str | None, instance_path: Path, name: str) -> Huey:
    """The Huey instance WORKER_BACKEND names (without its tasks)."""
    if not backend:
        return SqliteHuey(name, filename=str(instance_path / WORKER_FILE))
    if backend.startswith("sqlite:///"):
        return SqliteHuey(name, filename=backend.removeprefix("sqlite:///"))
    if backend.startswith(("redis://", "rediss://", "unix://")):
        # Priority storage (Redis 5+), so the clock's tick is never stuck behind a batch of mail.
        return PriorityRedisHuey(name, url=backend)
    raise RuntimeError(f"WORKER_BACKEND {backend!r}: give sqlite:///path or redis://host:port/db")


def queue(app: Flask | None = None) -> Huey:
    """This app's queue with its tasks registered (built once per process)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    huey: Huey | None = app.extensions.get("certexam.worker")
    if huey is None:
        huey = make_queue(app.config.get("WORKER_BACKEND"), Path(app.instance_path),
                          str(app.config.get("WORKER_NAME") or "certexam"))
        _register(huey, app)
        app.extensions["certexam.worker"] = huey
    return huey


def task(name: str, app: Flask | None = None) -> Any:
    """A registered task by name, to call (enqueue) or schedule."""
    return queue(app).certexam_tasks[name]


def _in_app(app: Flask, fn: Any) -> Any:
    """Run a task body in an app context of its own (its own database session, closed after)."""
    def run(*args: Any, **kwargs: Any) -> Any:
        with app.app_context():
            return fn(*args, **kwargs)
    run.__name__, run.__doc__ = fn.__name__, fn.__doc__
    return run


def _register(huey: Huey, app: Flask) -> None:
    tasks = {
        "tick": huey.task(priority=TICK_PRIORITY, name="tick")(_in_app(app, tick)),
        "roll_budget": huey.periodic_task(crontab(), priority=TICK_PRIORITY,
                                          name="roll_budget")(_in_app(app, roll_budget)),
        "deliver_webhooks": huey.task(priority=MAIL_PRIORITY,
                                      name="deliver_webhooks")(_in_app(app, deliver_webhooks)),
        "send_mail": huey.task(priority=MAIL_PRIORITY, retries=MAIL_RETRIES, retry_delay=MAIL_RETRY_SECONDS,
                               name="send_mail")(_in_app(app, send_mail)),
        "issue_certificates": huey.task(name="issue_certificates")(_in_app(app, issue_certificates)),
        "resign_certificates": huey.task(name="resign_certificates")(_in_app(app, resign_certificates)),
        "anchor_audit": huey.periodic_task(crontab(minute="0"), priority=TICK_PRIORITY,
                                           name="anchor_audit")(_in_app(app, anchor_audit)),
    }
    huey.certexam_tasks = tasks


# -- the task bodies (each in an app context; features imported on use, so the queue loads alone) --

def tick() -> dict[str, int]:
    """Close the attempts whose time is over and end the notices that have ended; say how many."""
    done = {"attempts": close_due_attempts(), "notices": end_due_notices(), "webhooks": queue_due_webhooks(),
            "forms": assemble_due_forms()}
    if any(done.values()):
        current_app.logger.info("worker: %(attempts)d attempt(s) closed, %(notices)d notice(s) ended", done)
    return done


def close_due_attempts() -> int:
    """lifecycle.close_expired (it audits each timeout), when a read finds an attempt due."""
    from sqlalchemy import select

    from certexam import db
    from certexam.domain import timing as T
    from certexam.models import Attempt
    from certexam.services.attempts import lifecycle
    from certexam.services.platform import clock

    # The sweep's own condition (deadline plus the save grace), read without a writer's turn.
    cutoff = clock.now() - T.SAVE_GRACE
    sess = db.session()
    due = sess.scalar(select(Attempt.id).where(Attempt.status == "in_progress", Attempt.deadline_at < cutoff,
                                               Attempt.paused_at.is_(None)).limit(1))
    sess.rollback()
    return lifecycle.close_expired() if due is not None else 0


def assemble_due_forms() -> int:
    """Assemble the forms of pre-assembled sittings whose registration has closed (issue 21); one read
    a tick when none is due."""
    from certexam.services.sittings import pre_assembly

    return pre_assembly.assemble_due()


def end_due_notices() -> int:
    """Close each bonus notice that has ended (approve, wait for an objection, or review again)."""
    from certexam import db
    from certexam.services.bonus import notice

    due = notice.due_notices()
    db.session().rollback()
    outcomes = [notice.close_notice(app_id) for app_id in due]
    return sum(1 for o in outcomes if o.result != "waiting")


_webhooks_queued_at = [-1e9]  # monotonic; per process (a list: no `global`)


def queue_due_webhooks() -> int:
    """Queue `deliver_webhooks` when a watch event is due (one indexed read); 1 when queued.

    The tick itself never posts (a slow receiver must not hold the exam clock's sweep). At most one
    delivery is queued per WEBHOOK_QUEUE_SECONDS: the task claims what is due, so a second one queued
    before the claim would find nothing to do.
    """
    import time

    from certexam.services.employers import webhooks
    from certexam.services.platform import clock

    if time.monotonic() - _webhooks_queued_at[0] < WEBHOOK_QUEUE_SECONDS or not webhooks.due_exists(clock.now()):
        return 0
    _webhooks_queued_at[0] = time.monotonic()
    task("deliver_webhooks")()
    return 1


def deliver_webhooks() -> None:
    """Mail and post the due watch events; each attempt is logged (services/employers/webhooks.py)."""
    from certexam.services.employers import webhooks

    sent = webhooks.deliver_due()
    if sent:
        current_app.logger.info("worker: %d watch event(s) handled", sent)


def roll_budget() -> None:
    """Fund waiting bonuses from the current year's budget (a new year's budget, a released grant).

    Returns nothing: Huey stores a task's result until someone reads it, and nobody reads this one's
    (a result a minute would pile up in the queue's storage).
    """
    from certexam.services.bonus import budget

    funded = budget.roll_queue()
    if funded:
        current_app.logger.info("worker: %d waiting bonus(es) funded", funded)


def send_mail(to: str, subject: str, body: str) -> None:
    """Deliver one queued message; an error makes Huey retry it later."""
    from certexam.services.platform import mail

    mail.deliver(to, subject, body)


def issue_certificates(sitting_id: int, actor_id: int | None) -> None:
    """Issue a sitting's certificates with their PDFs; the job record (jobs.py) holds the outcome."""
    from certexam.services.platform import jobs

    jobs.run_certificates(sitting_id, actor_id)


def resign_certificates(actor_id: int | None, kid: str | None) -> None:
    """Sign again every certificate of a compromised key (issue 20.6); the job record holds the outcome."""
    from certexam.services.platform import jobs

    jobs.run_resign(actor_id, kid)


def anchor_audit() -> None:
    """Anchor the audit head in the transparency log and sign a checkpoint (issue 20.5: at least hourly)."""
    from certexam.services.tlog import anchor, checkpoints

    anchor.anchor()
    checkpoints.current()


TICK_STALE = timedelta(seconds=30)  # a tick not answered by then is taken as lost (a worker killed mid-task)
