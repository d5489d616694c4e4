"""Appending to the transparency log and reading its hashes and proofs (issue 20.5).

Appends run inside the transaction of the change they record (certificates/events.py), so a
certificate is never issued without its leaf and a leaf never outlives a rolled-back change. The head
row is locked first (FOR UPDATE on PostgreSQL; SQLite's write lock is already held by the use case),
so concurrent appends take turns and indexes have no gaps. An append reads the completed subtrees on
its left in one query and writes the leaf and the one to ~17 perfect-subtree hashes it completes; a
proof reads O(log² n) of those in one query (domain/merkle.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from certexam.domain import merkle
from certexam.domain import tlog as T
from certexam.models import Certificate, TlogHead, TlogLeaf, TlogNode
from certexam.services.platform import clock

HEAD_ID = 1
R = TypeVar("R")
_FETCH_CHUNK = 400  # node keys per IN (...) query: well under every driver's parameter limit


_LOCK_HEAD = select(TlogHead.size).where(TlogHead.id == HEAD_ID).with_for_update()
_INSERT_LEAF, _INSERT_NODE = insert(TlogLeaf), insert(TlogNode)
_MOVE_HEAD = update(TlogHead).where(TlogHead.id == HEAD_ID).values(size=bindparam("p_size"))


def locked_size(sess: Session) -> int:
    """The tree's size with the head row locked until the transaction ends (made on first use)."""
    conn = sess.connection()
    size = conn.execute(_LOCK_HEAD).scalar()
    if size is None:
        conn.execute(insert(TlogHead).values(id=HEAD_ID, size=0))
        return 0
    return int(size)


def append(sess: Session, kind: str, data: bytes, at: datetime, number: str | None = None) -> int:
    """Add one leaf and the perfect subtrees it completes, in the caller's transaction; its index.

    Core statements on the session's connection: an append runs inside every issuing transaction, and
    through the ORM it cost ~5 ms a leaf on the benchmark machine (BENCHMARKS.md, issue 20.5).
    """
    index = locked_size(sess)
    digest = merkle.leaf_hash(data)
    lefts = fetch_nodes(sess, merkle.needed_nodes(lambda node: merkle.nodes_after_append(index, digest, node)))
    made = merkle.nodes_after_append(index, digest, lambda lv, ix: _stored(lefts, lv, ix))
    conn = sess.connection()
    conn.execute(_INSERT_LEAF, {"index": index, "kind": kind, "number": number, "data": data.decode("utf-8"),
                                "hash": digest.hex(), "logged_at": at})
    conn.execute(_INSERT_NODE, [{"level": lv, "index": ix, "hash": h.hex()} for lv, ix, h in made])
    conn.execute(_MOVE_HEAD, {"p_size": index + 1})
    return index


def _stored(nodes: dict[tuple[int, int], bytes], level: int, index: int) -> bytes:
    try:
        return nodes[(level, index)]
    except KeyError:
        raise LookupError(f"the log has no node ({level}, {index}): its tables were altered") from None


def record_certificate(sess: Session, action: str, cert: Certificate) -> int:
    """A certificate's issue or status change (certificates/events.py calls this)."""
    at = clock.now()
    data = T.certificate_leaf(cert.number, action, str(cert.status), cert.key_id, at, cert.token)
    return append(sess, "certificate", data, at, cert.number)


def record_key(sess: Session, action: str, kid: str) -> int:
    """A signing key's event (certificates/events.py calls this)."""
    at = clock.now()
    return append(sess, "key", T.key_leaf(action, kid, at), at)


def fetch_nodes(sess: Session, wanted: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored hashes of these nodes, in one query (a few for a very large set).

    One `level = ? AND index IN (...)` term per level, OR-ed: SQLite searches the primary key for each
    term, while a row-value `(level, index) IN (...)` made it scan the whole table (10^5 leaves: a proof
    took 120 ms instead of about 1, BENCHMARKS.md).
    """
    keys = sorted(wanted)
    found: dict[tuple[int, int], bytes] = {}
    for start in range(0, len(keys), _FETCH_CHUNK):
        by_level: dict[int, list[int]] = {}
        for level, index in keys[start:start + _FETCH_CHUNK]:
            by_level.setdefault(level, []).append(index)
        terms = [and_(TlogNode.level == level, TlogNode.index.in_(indexes)) for level, indexes in by_level.items()]
        rows = sess.connection().execute(select(TlogNode.level, TlogNode.index, TlogNode.hash).where(or_(*terms)))
        found.update({(lv, ix): bytes.fromhex(h) for lv, ix, h in rows})
    return found


def _computed(sess: Session, compute: Callable[[merkle.NodeSource], R]) -> R:
    """Run a merkle computation on the stored nodes, all fetched in one pass first."""
    nodes = fetch_nodes(sess, merkle.needed_nodes(compute))

    return compute(lambda level, index: _stored(nodes, level, index))


def size(sess: Session) -> int:
    """How many leaves the log holds."""
    head = sess.get(TlogHead, HEAD_ID)
    return head.size if head else 0


def root(sess: Session, tree_size: int) -> bytes:
    """MTH of the first `tree_size` leaves."""
    return _computed(sess, lambda node: merkle.tree_root(node, tree_size))


def inclusion(sess: Session, index: int, tree_size: int) -> list[bytes]:
    """The audit path of leaf `index` in the tree of `tree_size`."""
    return _computed(sess, lambda node: merkle.inclusion_proof(node, index, tree_size))


def consistency(sess: Session, old_size: int, new_size: int) -> list[bytes]:
    """The consistency proof from `old_size` to `new_size`."""
    return _computed(sess, lambda node: merkle.consistency_proof(node, old_size, new_size))


@dataclass(frozen=True)
class CertificateEntries:
    """A certificate's leaves, oldest first, and the day (Asia/Shanghai) of its first."""

    leaves: list[TlogLeaf]

    @property
    def latest(self) -> TlogLeaf | None:
        return self.leaves[-1] if self.leaves else None

    @property
    def first_logged_on(self) -> date | None:
        return clock.local_date(self.leaves[0].logged_at) if self.leaves else None


def certificate_entries(sess: Session, number: str) -> CertificateEntries:
    """Every leaf that names this certificate."""
    stmt = select(TlogLeaf).where(TlogLeaf.number == number).order_by(TlogLeaf.index)
    return CertificateEntries(list(sess.scalars(stmt)))
