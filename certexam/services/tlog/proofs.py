"""What the verification page, the receipt and the proof endpoint say about a certificate's log entries.

A certificate's leaves (its issue, each status change, a re-signing) are proved against the newest
signed checkpoint with RFC 9162 inclusion proofs; the JSON carries everything an outside verifier
needs (tools/verify_inclusion.py, docs/verify.md): the signed checkpoint, the log's verifier key, each
leaf's own bytes and its audit path. The backdating rule (domain/tlog.ISSUE_TOLERANCE) compares the
certificate's issue date with the day of its first leaf.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from certexam import db
from certexam.domain import tlog as T
from certexam.domain.verdict import Verdict, VerdictCode
from certexam.models import Certificate, TlogLeaf
from certexam.services.tlog import checkpoints, log

LOGGED_LATE = "logged_late"
"""The verdict's detail when a certificate's issue date precedes its first log entry by too much."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class LogSummary:
    """A certificate's place in the log, for one human line."""

    entry: int | None  # 0-based index of its newest leaf; None: not in the log
    tree_size: int  # of the newest signed checkpoint
    first_logged_on: date | None

    @property
    def covered(self) -> bool:
        """Whether the newest checkpoint already includes the entry (so a proof exists)."""
        return self.entry is not None and self.entry < self.tree_size


def summary(number: str) -> LogSummary:
    """Where a certificate stands in the log (signs a fresh checkpoint when leaves were added)."""
    entries = log.certificate_entries(db.session(), number)
    current = checkpoints.current().checkpoint
    size = current.size if current is not None else 0
    latest = entries.latest
    return LogSummary(latest.index if latest else None, size, entries.first_logged_on)


def logged_in_time(verdict: Verdict, cert: Certificate | None) -> Verdict:
    """A VALID verdict becomes BACKDATED when the issue date precedes the first log entry too much.

    A certificate with no entry at all passes only if it was created before the log's first entry
    (issued before migration 0023 started the log); one created since must have been logged.
    """
    if cert is None or not verdict.valid:
        return verdict
    sess = db.session()
    first = log.certificate_entries(sess, cert.number).first_logged_on
    if T.issued_in_time(cert.issued_on, first):
        return verdict
    if first is None:
        began = sess.scalar(select(TlogLeaf.logged_at).where(TlogLeaf.index == 0))
        if began is None or cert.created_at < began:
            return verdict
    return Verdict(VerdictCode.BACKDATED, number=cert.number, since=cert.issued_on, detail=LOGGED_LATE)


def proof_document(number: str) -> dict[str, object] | None:
    """The JSON of a certificate's inclusion proofs against the newest checkpoint; None if not logged."""
    sess = db.session()
    entries = log.certificate_entries(sess, number)
    if not entries.leaves:
        return None
    current = checkpoints.current().checkpoint
    size = current.size if current is not None else 0
    proved = []
    for leaf in entries.leaves:
        item: dict[str, object] = {"leaf_index": leaf.index, "leaf": leaf.data, "leaf_hash": _b64(bytes.fromhex(leaf.hash))}
        if leaf.index < size:
            item["inclusion_path"] = [_b64(h) for h in log.inclusion(sess, leaf.index, size)]
        proved.append(item)
    first = entries.first_logged_on
    return {
        "log": checkpoints.origin(),
        "verifier_key": checkpoints.verifier_key(),
        "checkpoint": current.note if current is not None else None,
        "tree_size": size,
        "root_hash": _b64(bytes.fromhex(current.root)) if current is not None else None,
        "number": number,
        "entries": proved,
        "first_logged_on": first.isoformat() if first else None,
        "issue_tolerance_days": T.ISSUE_TOLERANCE.days,
        "hashing": "RFC 9162: leaf = SHA-256(0x00 || leaf), node = SHA-256(0x01 || left || right)",
    }


def consistency_document(old_size: int) -> dict[str, object] | None:
    """The consistency proof from an earlier tree size to the newest checkpoint (None: no checkpoint)."""
    current = checkpoints.current().checkpoint
    if current is None or not 0 < old_size <= current.size:
        return None
    proof = log.consistency(db.session(), old_size, current.size)
    old = checkpoints.at_size(old_size)
    return {"log": checkpoints.origin(), "old_size": old_size, "old_checkpoint": old.note if old else None,
            "checkpoint": current.note, "tree_size": current.size,
            "consistency_path": [_b64(h) for h in proof]}


def receipt_row(number: str) -> tuple[str, str] | None:
    """The receipt's row: the newest entry of the certificate, the checkpoint and the audit path."""
    entries = log.certificate_entries(db.session(), number)
    current = checkpoints.current().checkpoint
    latest = entries.latest
    if latest is None or current is None or latest.index >= current.size:
        return None
    path = log.inclusion(db.session(), latest.index, current.size)
    lines = [f"第 {latest.index + 1} 条，共 {current.size} 条  Entry {latest.index + 1} of {current.size}"
             f" (leaf index {latest.index})",
             f"根哈希 Root: {_b64(bytes.fromhex(current.root))}",
             *(f"证明 Proof {i}: {_b64(h)}" for i, h in enumerate(path, 1))]
    return "公开日志\nPublic log", "\n".join(lines)


ENTRIES_PAGE = 1000  # leaves per /log/entries.json page: a monitor reads 10^5 in 100 requests


def entries_document(start: int) -> dict[str, object]:
    """Leaves [start, start + ENTRIES_PAGE) with their data, for monitors that rebuild the tree."""
    rows = db.session().execute(select(TlogLeaf.index, TlogLeaf.data).where(TlogLeaf.index >= start)
                                .order_by(TlogLeaf.index).limit(ENTRIES_PAGE))
    return {"log": checkpoints.origin(), "start": start,
            "entries": [{"leaf_index": index, "leaf": data} for index, data in rows]}
