"""One place that hears of every change to a certificate or a signing key, inside its transaction.

Issuing, a status change (revoke, suspend, reinstate), a re-issue, a result that follows a re-score,
and a key event each call `certificate_changed` or `key_changed` after their audit entry, in the same
transaction, so what listens here commits or rolls back with the change itself. Two features listen:

- the issuance transparency log (issue 20.5): every issuance, status change and key event is appended;
- employers' watch lists (issue 23): a suspension, revocation or re-issue of a watched certificate is
  queued for mail and a signed webhook (an outbox row, sent by the worker after the commit).

Listeners are called explicitly below rather than registered at import time, so reading this module
tells you everything that happens when a certificate changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from certexam.models import Certificate
from certexam.services.employers import webhooks as watch_events
from certexam.services.tlog import log as tlog

# "resign": the same certificate under a new token and PDF after its key was compromised (issue 20.6).
CertificateAction = Literal["issue", "revoke", "suspend", "reinstate", "reissue", "resign"]
KeyAction = Literal["init", "rotate", "retire", "compromise", "revoke_signer"]  # revoke_signer: a PDF signer


@dataclass(frozen=True)
class CertificateChange:
    """What changed: the certificate (after the change) and the action; `replaced_by` on a re-issue."""

    action: CertificateAction
    certificate: Certificate
    replaced_by: str | None = None


def certificate_changed(sess: Session, change: CertificateChange) -> None:
    """Tell every listener; runs in the caller's transaction (call it after the row is flushed)."""
    sess.flush()
    tlog.record_certificate(sess, change.action, change.certificate)
    watch_events.record_change(sess, change.action, change.certificate, change.replaced_by)


def key_changed(sess: Session, action: KeyAction, kid: str) -> None:
    """A signing key's event (keys init, rotate, retire, compromise), in the caller's transaction."""
    tlog.record_key(sess, action, kid)
