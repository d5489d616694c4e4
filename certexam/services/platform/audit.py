"""Writing to and checking the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from certexam.domain.audit_chain import (
    GENESIS,
    ChainProblem,
    ChainRow,
    canonical_json,
    entry_hash,
    verify_chain,
)
from certexam.models import AuditEntry, AuditHead
from certexam.services.platform import clock

HEAD_ID = 1


def record(
    sess: Session,
    action: str,
    object_type: str,
    object_id: object = None,
    *,
    actor_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's transaction.

    The head row is locked (FOR UPDATE on PostgreSQL; SQLite's write lock is
    already held by the use case), so concurrent appends take turns.
    """
    head = sess.scalar(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update())
    if head is None:
        _create_head(sess.connection())
        head = sess.scalars(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()).one()
    entry = AuditEntry(**_next_entry(head.seq, head.hash, action, object_type, object_id, actor_id, before, after))
    sess.add(entry)
    head.seq, head.hash = entry.seq, entry.hash
    return entry


_INSERT = insert(AuditEntry)
_HEAD = select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID).with_for_update()
_MOVE_HEAD = (update(AuditHead).where(AuditHead.id == HEAD_ID)
              .values(seq=bindparam("p_seq"), hash=bindparam("p_hash")))


def append(
    conn: Connection,
    action: str,
    object_type: str,
    object_id: object = None,
    *,
    actor_id: int | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    """`record` on a Core connection (a hot use case's), without the ORM's flush; returns the seq.

    The same chain, the same lock: the head row, FOR UPDATE on PostgreSQL.
    Callers append last, just before COMMIT, so the head is held briefly.
    """
    head = conn.execute(_HEAD).first()
    if head is None:
        _create_head(conn)
        head = conn.execute(_HEAD).one()
    head_seq, head_hash = head.seq, head.hash
    row = _next_entry(head_seq, head_hash, action, object_type, object_id, actor_id, None, after)
    conn.execute(_INSERT, row)
    conn.execute(_MOVE_HEAD, {"p_seq": row["seq"], "p_hash": row["hash"]})
    return int(row["seq"])


def _create_head(conn: Connection) -> None:
    """The chain's first head, unless a concurrent first append made it: that one waits for it to
    commit (ON CONFLICT), so both then lock the same row instead of one failing on the key."""
    insert_ = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert_(AuditHead).values(id=HEAD_ID, seq=0, hash=GENESIS).on_conflict_do_nothing())


def _next_entry(head_seq: int, head_hash: str, action: str, object_type: str, object_id: object,
                actor_id: int | None, before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """The columns of the entry that follows the head (seq, time, canonical JSON, hashes)."""
    at = clock.now()
    seq = head_seq + 1
    before_s = canonical_json(before) if before is not None else None
    after_s = canonical_json(after) if after is not None else None
    oid = None if object_id is None else str(object_id)
    digest = entry_hash(head_hash, seq, at, actor_id, action, object_type, oid, before_s, after_s)
    return {"seq": seq, "at": at, "actor_id": actor_id, "action": action, "object_type": object_type,
            "object_id": oid, "before": before_s, "after": after_s, "prev_hash": head_hash, "hash": digest}


def head(sess: Session) -> tuple[int, str]:
    """The head to publish: (last sequence number, its hash)."""
    row = sess.get(AuditHead, HEAD_ID)
    return (row.seq, row.hash) if row else (0, GENESIS)


def verify(sess: Session, batch: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Walk the whole log in order; return (entries checked, problems)."""
    head = sess.get(AuditHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    count = 0

    def rows() -> Any:
        nonlocal count
        stmt = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
        for e in sess.scalars(stmt):
            count += 1
            yield ChainRow(e.seq, e.at, e.actor_id, e.action, e.object_type, e.object_id,
                           e.before, e.after, e.prev_hash, e.hash)

    problems = verify_chain(rows(), head_seq, head_hash)
    return count, problems
