from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from certexam.domain.audit_chain import GENESIS, ChainRow, entry_hash, verify_chain

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def build(n: int) -> list[ChainRow]:
    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        at = T0 + timedelta(minutes=seq)
        h = entry_hash(prev, seq, at, 1, f"act{seq}", "thing", str(seq), None, f'{{"v":{seq}}}')
        rows.append(ChainRow(seq, at, 1, f"act{seq}", "thing", str(seq), None, f'{{"v":{seq}}}', prev, h))
        prev = h
    return rows


def test_intact_chain_has_no_problems() -> None:
    rows = build(5)
    assert verify_chain(rows, 5, rows[-1].hash) == []


def test_empty_log_matches_genesis_head() -> None:
    assert verify_chain([], 0, GENESIS) == []


@pytest.mark.parametrize("field,value", [("action", "forged"), ("after", '{"v":99}'), ("actor_id", 2),
                                         ("at", T0), ("object_id", "7")])
def test_edited_row_is_detected(field: str, value: object) -> None:
    rows = build(5)
    rows[2] = replace(rows[2], **{field: value})
    problems = verify_chain(rows, 5, rows[-1].hash)
    assert [p.seq for p in problems] == [3]


def test_deleted_middle_row_is_detected() -> None:
    rows = build(5)
    del rows[2]
    assert verify_chain(rows, 5, rows[-1].hash) != []


def test_deleted_tail_is_detected_by_the_head() -> None:
    rows = build(5)
    head = rows[-1].hash
    assert verify_chain(rows[:-1], 5, head) != []


def test_inserted_row_is_detected() -> None:
    rows = build(5)
    fake = replace(rows[1], action="inserted")
    rows.insert(2, fake)
    assert verify_chain(rows, 5, rows[-1].hash) != []


def test_rehashed_edit_still_breaks_the_next_link() -> None:
    rows = build(5)
    r = replace(rows[1], action="forged")
    r = replace(r, hash=entry_hash(r.prev_hash, r.seq, r.at, r.actor_id, r.action, r.object_type,
                                   r.object_id, r.before, r.after))
    rows[1] = r
    problems = verify_chain(rows, 5, rows[-1].hash)
    assert [p.seq for p in problems] == [3]
