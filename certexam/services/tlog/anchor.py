"""The audit log's head in the transparency log (issue 20.5), and what `audit verify` compares.

The audit chain alone cannot tell a rewrite: whoever can write the database can delete the last
entries and move the head back, or edit an entry and recompute every hash after it. Anchoring puts
the head (last sequence number and hash) into the public, signed, append-only log at least hourly
(the worker's `anchor_audit` task) and inside every results release; from then on the chain must
still hold an entry with that number and that hash. A truncation loses it; an edit at or before it
changes its hash; both are reported by `compare` the moment the next anchor or check looks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam import db
from certexam.domain import tlog as T
from certexam.domain.audit_chain import GENESIS
from certexam.models import AuditEntry, AuditHead, TlogLeaf
from certexam.services.platform import clock
from certexam.services.tlog import log

_CHUNK = 400


@dataclass(frozen=True)
class Anchor:
    leaf_index: int
    seq: int
    hash: str


def anchors(sess: Session) -> list[Anchor]:
    """Every audit head the log recorded, oldest first."""
    rows = sess.execute(select(TlogLeaf.index, TlogLeaf.data).where(TlogLeaf.kind == "audit")
                        .order_by(TlogLeaf.index))
    found = []
    for index, data in rows:
        fields = json.loads(data)
        found.append(Anchor(index, int(fields["audit_seq"]), str(fields["audit_hash"])))
    return found


def anchor_in(sess: Session) -> int | None:
    """Append the audit head in the caller's transaction; its leaf index, None when already anchored."""
    head = sess.scalar(select(AuditHead).where(AuditHead.id == 1))
    seq, digest = (head.seq, head.hash) if head else (0, GENESIS)
    last = sess.scalar(select(TlogLeaf.data).where(TlogLeaf.kind == "audit").order_by(TlogLeaf.index.desc())
                       .limit(1))
    if last is not None:
        fields = json.loads(last)
        if (fields["audit_seq"], fields["audit_hash"]) == (seq, digest):
            return None
    at = clock.now()
    return log.append(sess, "audit", T.audit_leaf(seq, digest, at), at)


@db.use_case
def anchor() -> int | None:
    """The hourly anchor: the audit head into the log; returns the leaf's index (None: unchanged)."""
    return anchor_in(db.session())


@dataclass(frozen=True)
class AnchorProblem:
    leaf_index: int
    seq: int
    problem: str


def compare(sess: Session) -> tuple[int, list[AnchorProblem]]:
    """Check the audit chain against every anchored head; returns (anchors checked, problems)."""
    found = anchors(sess)
    head = sess.get(AuditHead, 1)
    head_seq = head.seq if head else 0
    wanted = sorted({a.seq for a in found if a.seq > 0})
    stored: dict[int, str] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        stored.update(sess.execute(select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.seq.in_(chunk))).all())
    problems = []
    for a in found:
        if a.seq == 0:
            continue
        if a.seq > head_seq:
            problems.append(AnchorProblem(a.leaf_index, a.seq, f"the log anchored entry {a.seq} but the audit "
                                                               f"head is at {head_seq}: entries were removed"))
        elif a.seq not in stored:
            problems.append(AnchorProblem(a.leaf_index, a.seq, f"anchored entry {a.seq} is missing"))
        elif stored[a.seq] != a.hash:
            problems.append(AnchorProblem(a.leaf_index, a.seq, f"entry {a.seq} no longer has the anchored "
                                                               "hash: the chain was rewritten at or before it"))
    return len(found), problems
