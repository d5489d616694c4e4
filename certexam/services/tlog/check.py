"""`certexam log verify` and `certexam log consistency` (issue 20.5).

`verify_all` rebuilds the whole tree from the leaves' own data, as an outside auditor with a copy of
the leaves would: every leaf's hash, every stored perfect subtree, the head's size, and every signed
checkpoint's root and signature. It keeps the tree's right frontier (one hash per level) and the
stored node hashes (two per leaf) in memory: 10^5 leaves are a few tens of megabytes.
`prove_prefix` checks that an earlier published checkpoint is a prefix of today's, with an RFC 9162
consistency proof verified by the same code a verifier runs (domain/merkle.verify_consistency).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from certexam import db
from certexam.crypto.note import open_note
from certexam.domain import merkle
from certexam.domain import tlog as T
from certexam.models import TlogCheckpoint, TlogLeaf, TlogNode
from certexam.services.tlog import checkpoints, log

_BATCH = 5000


@dataclass
class LogReport:
    leaves: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)


def _frontier_root(frontier: list[tuple[int, bytes]]) -> bytes:
    # The perfect subtrees of the tree so far, largest first: MTH folds them from the right.
    if not frontier:
        return merkle.EMPTY_ROOT
    root = frontier[-1][1]
    for _level, left in reversed(frontier[:-1]):
        root = merkle.node_hash(left, root)
    return root


def _left_of(levels: dict[int, bytes]) -> merkle.NodeSource:
    """The completed subtree on the left at each level: the frontier is all an append reads."""
    return lambda level, _index: levels[level]


def verify_all() -> LogReport:
    """Check every leaf, node and checkpoint of the log."""
    sess = db.session()
    report = LogReport()
    stored = {(lv, ix): h for lv, ix, h in sess.execute(select(TlogNode.level, TlogNode.index, TlogNode.hash))}
    roots: dict[int, TlogCheckpoint] = {c.size: c for c in sess.scalars(select(TlogCheckpoint))}
    public = checkpoints.public_key()
    name = checkpoints.origin()
    frontier: list[tuple[int, bytes]] = []
    made_nodes = 0
    stmt = select(TlogLeaf).order_by(TlogLeaf.index).execution_options(yield_per=_BATCH)
    for leaf in sess.scalars(stmt):
        if leaf.index != report.leaves:
            report.problems.append(f"leaf {leaf.index}: expected index {report.leaves} (a leaf is missing)")
        data = leaf.data.encode("utf-8")
        digest = merkle.leaf_hash(data)
        if digest.hex() != leaf.hash:
            report.problems.append(f"leaf {leaf.index}: its data does not match its hash")
        if T.canonical(T.read_leaf(data)) != data:
            report.problems.append(f"leaf {leaf.index}: its data is not canonical JSON")
        made = merkle.nodes_after_append(report.leaves, digest, _left_of(dict(frontier)))
        for lv, ix, h in made:
            made_nodes += 1
            if stored.get((lv, ix)) != h.hex():
                report.problems.append(f"node ({lv}, {ix}) differs from the tree its leaves make")
        top = made[-1]
        frontier = [(lv, h) for lv, h in frontier if lv > top[0]] + [(top[0], top[2])]
        report.leaves += 1
        checkpoint = roots.get(report.leaves)
        if checkpoint is not None:
            _check_checkpoint(report, checkpoint, _frontier_root(frontier), name, public)
    size = log.size(sess)
    if size != report.leaves:
        report.problems.append(f"the head says {size} leaves but the log holds {report.leaves}")
    if made_nodes != len(stored):
        report.problems.append(f"{len(stored) - made_nodes} stored node(s) belong to no leaf")
    for size_only in sorted(set(roots) - set(range(1, report.leaves + 1))):
        report.problems.append(f"checkpoint of size {size_only} is larger than the log")
    return report


def _check_checkpoint(report: LogReport, checkpoint: TlogCheckpoint, root: bytes, name: str,
                      public: bytes | None) -> None:
    report.checkpoints += 1
    if checkpoint.root != root.hex():
        report.problems.append(f"checkpoint {checkpoint.size}: its root is not the tree's")
    if public is None:
        report.problems.append("the log's public key is missing")
        return
    try:
        body = T.parse_checkpoint(open_note(checkpoint.note, name, public))
    except T.NoteError as exc:
        report.problems.append(f"checkpoint {checkpoint.size}: {exc}")
        return
    if (body.origin, body.size, body.root) != (name, checkpoint.size, root):
        report.problems.append(f"checkpoint {checkpoint.size}: the signed text is not this tree's head")


@dataclass(frozen=True)
class PrefixProof:
    old: T.Checkpoint
    new: T.Checkpoint
    new_note: str
    proof: list[bytes]
    consistent: bool


def prove_prefix(old_note: str) -> PrefixProof:
    """Check that a checkpoint published earlier is a prefix of today's (NoteError on a bad note)."""
    public = checkpoints.public_key()
    if public is None:
        raise T.NoteError("this log has signed no checkpoint yet")
    old = T.parse_checkpoint(open_note(old_note, checkpoints.origin(), public))
    current = checkpoints.current().checkpoint
    if current is None:
        raise T.NoteError("the log is empty")
    new = T.parse_checkpoint(open_note(current.note, checkpoints.origin(), public))
    if old.size > new.size:
        return PrefixProof(old, new, current.note, [], False)
    proof = log.consistency(db.session(), old.size, new.size)
    ok = merkle.verify_consistency(old.size, new.size, proof, old.root, new.root)
    return PrefixProof(old, new, current.note, proof, ok)
