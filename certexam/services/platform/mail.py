"""Outgoing mail: console (the log), memory (tests) or SMTP (production)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def send(to: str, subject: str, body: str) -> None:
    """Send one plain-text message: through the worker's queue (issue 18.7), else at once.

    A release tells thousands of candidates; sending each over SMTP inside its transaction held the
    request (and on SQLite the write lock) for as long as the mail server took. The worker delivers
    and retries. The memory backend (tests) keeps its outbox in this process, so it never queues.
    """
    if current_app.config.get("MAIL_VIA_WORKER") and current_app.config["MAIL_BACKEND"] != "memory":
        from certexam.services.platform import tasks

        tasks.task("send_mail")(to, subject, body)
        return
    deliver(to, subject, body)


def deliver(to: str, subject: str, body: str) -> None:
    """Send one plain-text message through the configured backend now."""
    cfg = current_app.config
    mail = Mail(to, subject, body)
    backend = cfg["MAIL_BACKEND"]
    if backend == "memory":
        current_app.extensions.setdefault("certexam.outbox", []).append(mail)
    elif backend == "smtp":
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = cfg["MAIL_FROM"], to, subject
        msg.set_content(body)
        with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=30) as smtp:
            if cfg["SMTP_STARTTLS"]:
                smtp.starttls()
            if cfg["SMTP_USER"]:
                smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
            smtp.send_message(msg)
    else:
        current_app.logger.warning("MAIL to=%s subject=%s\n%s", to, subject, body)


def outbox() -> list[Mail]:
    """Messages kept by the memory backend (tests read them)."""
    return current_app.extensions.setdefault("certexam.outbox", [])  # type: ignore[no-any-return]
