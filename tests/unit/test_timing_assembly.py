from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from certexam.domain.assembly import AssemblyError, PoolItem, assemble
from certexam.domain.blueprint import LEVEL1_DEFAULT, LEVEL2_DEFAULT, Blueprint, Paper, Section, problems
from certexam.domain.timing import (
    SAVE_GRACE,
    Accommodation,
    allowed_time,
    deadline,
    decide_save,
    is_expired,
    remaining,
    save_accepted,
)

T0 = datetime(2026, 9, 12, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("acc,expected", [
    (Accommodation(), timedelta(minutes=60)),
    (Accommodation(extra_minutes=15), timedelta(minutes=75)),
    (Accommodation(multiplier=Fraction(5, 4)), timedelta(minutes=75)),
    (Accommodation(extra_minutes=10, multiplier=Fraction(3, 2)), timedelta(minutes=100)),
])
def test_allowed_time(acc: Accommodation, expected: timedelta) -> None:
    assert allowed_time(60, acc) == expected


def test_deadline_adds_staff_time_and_pauses() -> None:
    d = deadline(T0, 60, Accommodation(), timedelta(minutes=5), timedelta(minutes=2))
    assert d == T0 + timedelta(minutes=67)


def test_remaining_freezes_while_paused() -> None:
    d = T0 + timedelta(minutes=60)
    assert remaining(d, T0 + timedelta(minutes=50)) == timedelta(minutes=10)
    assert remaining(d, T0 + timedelta(minutes=55), paused_at=T0 + timedelta(minutes=50)) == timedelta(minutes=10)
    assert remaining(d, T0 + timedelta(minutes=90)) == timedelta(0)


def test_grace_boundaries() -> None:
    d = T0 + timedelta(minutes=60)
    assert save_accepted(d, d) and save_accepted(d, d + SAVE_GRACE)
    assert not save_accepted(d, d + SAVE_GRACE + timedelta(microseconds=1))
    assert not is_expired(d, d + SAVE_GRACE) and is_expired(d, d + SAVE_GRACE + timedelta(seconds=1))


@pytest.mark.parametrize("incoming,stored,store,reason", [
    (1, None, True, "stored"), (5, 4, True, "stored"), (4, 4, False, "duplicate"), (3, 4, False, "stale"),
])
def test_decide_save(incoming: int, stored: int | None, store: bool, reason: str) -> None:
    d = decide_save(incoming, stored)
    assert (d.store, d.reason) == (store, reason)


def test_accommodation_limits() -> None:
    assert Accommodation(extra_minutes=-1).problems() and Accommodation(multiplier=Fraction(4)).problems()
    assert Accommodation(extra_minutes=30, multiplier=Fraction(3, 2)).problems() == []


def test_default_blueprints_match_the_programme() -> None:
    assert [p.item_count for p in LEVEL1_DEFAULT.papers] == [45, 92, 103]
    assert problems(LEVEL1_DEFAULT) == [] and problems(LEVEL2_DEFAULT) == []
    singles = sum(s.count for p in LEVEL2_DEFAULT.papers for s in p.sections if s.item_type == "single_choice")
    by_sub = {}
    for p in LEVEL2_DEFAULT.papers:
        for s in p.sections:
            if s.subtype:
                by_sub[s.subtype] = by_sub.get(s.subtype, 0) + s.count
    assert singles == 60 and by_sub == {"short_answer": 3, "skill": 2, "proposal": 5}


def test_the_calculator_is_a_per_paper_blueprint_setting() -> None:
    """Issue 21: level 1's papers (numeric items) have the calculator; it survives to_dict/from_dict."""
    from certexam.domain.blueprint import from_dict, mock_blueprint, to_dict

    assert all(p.calculator for p in LEVEL1_DEFAULT.papers) and mock_blueprint(1).papers[0].calculator
    assert not any(p.calculator for p in LEVEL2_DEFAULT.papers)
    assert from_dict(to_dict(LEVEL1_DEFAULT)) == LEVEL1_DEFAULT and from_dict(to_dict(LEVEL2_DEFAULT)) == LEVEL2_DEFAULT
    assert "calculator" not in to_dict(LEVEL2_DEFAULT)["papers"][0]  # type: ignore[index]
    odd = Blueprint(1, (Paper("P", "卷", "Paper", 30, (Section("L1-ETH", "single_choice", 5),), "yes"),))  # type: ignore[arg-type]
    assert problems(odd) == ["paper P: calculator must be true or false"]


def _pool(n: int, module: str = "L1-ETH", enemies: dict[str, set[str]] | None = None) -> list[PoolItem]:
    enemies = enemies or {}
    return [PoolItem(i, f"{module}-{i:04d}", module, "single_choice", None, ("A", "B", "C", "D"), (),
                     frozenset(enemies.get(f"{module}-{i:04d}", set()))) for i in range(1, n + 1)]


BP = Blueprint(1, (Paper("P", "卷", "Paper", 30, (Section("L1-ETH", "single_choice", 5),)),))


def test_assembly_is_reproducible_and_varies_with_seed() -> None:
    pool = _pool(20)
    a = assemble(BP, BP.papers[0], pool, seed=42)
    b = assemble(BP, BP.papers[0], list(reversed(pool)), seed=42)
    c = assemble(BP, BP.papers[0], pool, seed=43)
    assert a == b and a != c and len(a) == 5
    assert all(sorted(e.option_order) == ["A", "B", "C", "D"] for e in a)
    assert len({e.external_id for e in a}) == 5


def test_assembly_never_puts_enemies_together() -> None:
    pool = _pool(6, enemies={"L1-ETH-0001": {"L1-ETH-0002"}, "L1-ETH-0002": {"L1-ETH-0001"}})
    for seed in range(200):
        ids = {e.external_id for e in assemble(BP, BP.papers[0], pool, seed)}
        assert not {"L1-ETH-0001", "L1-ETH-0002"} <= ids


def test_assembly_reports_a_short_pool() -> None:
    with pytest.raises(AssemblyError, match="only 4"):
        assemble(BP, BP.papers[0], _pool(4), seed=1)


def test_direction_sections_draw_from_the_candidates_direction() -> None:
    bp = Blueprint(2, (Paper("AM", "上午", "AM", 60, (Section("@direction", "single_choice", 3),)),))
    pool = _pool(5, "L2-AI") + _pool(5, "L2-BD")
    ids = {e.external_id[:5] for e in assemble(bp, bp.papers[0], pool, 7, direction="BD")}
    assert ids == {"L2-BD"}
    with pytest.raises(ValueError):
        assemble(bp, bp.papers[0], pool, 7, direction=None)
