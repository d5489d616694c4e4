"""Hash chaining of the audit log: pure functions over plain values.

Each entry's hash covers its own fields and the previous entry's hash, so an
edited row changes its hash, an inserted or deleted row breaks the link to its
neighbour, and a deleted tail no longer matches the recorded head.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainRow:
    seq: int
    at: datetime
    actor_id: int | None
    action: str
    object_type: str
    object_id: str | None
    before: str | None
    after: str | None
    prev_hash: str
    hash: str


def canonical_json(value: object) -> str:
    """JSON with sorted keys and no spaces, so equal data always hashes equal."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(
    prev_hash: str,
    seq: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str | None,
    before: str | None,
    after: str | None,
) -> str:
    """SHA-256 over the previous hash and this entry's fields."""
    material = canonical_json(
        [prev_hash, seq, at.isoformat(), actor_id, action, object_type, object_id, before, after]
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str


def verify_chain(rows: Iterable[ChainRow], head_seq: int, head_hash: str) -> list[ChainProblem]:
    """Check every link; return the problems found (empty when intact)."""
    problems: list[ChainProblem] = []
    expected_prev, expected_seq = GENESIS, 1
    for row in rows:
        if row.seq != expected_seq:
            problems.append(ChainProblem(row.seq, f"sequence jumps from {expected_seq - 1} to {row.seq}"))
        if row.prev_hash != expected_prev:
            problems.append(ChainProblem(row.seq, "link to the previous entry is broken"))
        recomputed = entry_hash(
            row.prev_hash, row.seq, row.at, row.actor_id, row.action,
            row.object_type, row.object_id, row.before, row.after,
        )
        if recomputed != row.hash:
            problems.append(ChainProblem(row.seq, "entry content does not match its hash"))
        expected_prev, expected_seq = row.hash, row.seq + 1
    last_seq = expected_seq - 1
    if last_seq != head_seq or expected_prev != head_hash:
        problems.append(ChainProblem(last_seq, f"log ends at entry {last_seq} but the head records {head_seq}"))
    return problems
