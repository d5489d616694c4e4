"""Psychometric figures against an independent numpy/scipy computation (1e-9)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from certexam.domain.item_analysis import NO_ANSWER, analyse_form
from certexam.domain.psychometrics import (
    NEGATIVE_DISCRIMINATION,
    VERY_EASY,
    VERY_HARD,
    ScoreMatrix,
    histogram,
    item_statistics,
    scale_statistics,
)
from certexam.domain.scoring import compile_form, score_attempts
from certexam.domain.scoring_types import POINT_UNITS, ScoringItem, ScoringPolicy

TOL = 1e-9


def dichotomous(seed: int, n: int = 400, k: int = 30) -> np.ndarray:
    """0/1 responses from a two-parameter logistic model (some items reversed)."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=(n, 1))
    difficulty = rng.normal(size=k)
    slope = rng.uniform(-0.3, 2.0, size=k)
    p = 1 / (1 + np.exp(-slope * (ability - difficulty)))
    return (rng.random((n, k)) < p).astype(np.int64)


def polytomous(seed: int, n: int = 300) -> tuple[np.ndarray, list[int]]:
    """Mixed items: 0/1 choice items and 0..max marks for constructed ones."""
    rng = np.random.default_rng(seed)
    tops = [1] * 12 + [4, 10, 10, 20]
    ability = rng.normal(size=n)
    cols = [np.clip(np.round(top * (0.5 + 0.2 * ability + rng.normal(0, 0.25, n))), 0, top) for top in tops]
    return np.stack(cols, axis=1).astype(np.int64), tops


def numpy_alpha(x: np.ndarray) -> float:
    """Cronbach's alpha from the covariance matrix: k/(k-1) (1 - trace C / sum C)."""
    c = np.cov(x, rowvar=False)
    k = x.shape[1]
    return float(k / (k - 1) * (1 - np.trace(c) / c.sum()))


def check_items(matrix: ScoreMatrix, x: np.ndarray, tops: list[int]) -> None:
    total = x.sum(axis=1)
    for c in range(x.shape[1]):
        got = item_statistics(matrix, c)
        assert got.n == x.shape[0]
        assert float(got.facility) == pytest.approx(x[:, c].mean() / tops[c], abs=TOL)  # type: ignore[arg-type]
        assert got.mean == pytest.approx(x[:, c].mean(), abs=TOL)
        assert got.sd == pytest.approx(x[:, c].std(ddof=1), abs=TOL)
        rest = total - x[:, c]
        if x[:, c].std() == 0:
            assert got.discrimination is None
        else:
            assert got.discrimination == pytest.approx(stats.pearsonr(x[:, c], rest)[0], abs=TOL)
            assert got.discrimination == pytest.approx(np.corrcoef(x[:, c], rest)[0, 1], abs=TOL)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dichotomous_items_and_kr20(seed: int) -> None:
    x = dichotomous(seed)
    matrix = ScoreMatrix(x.tolist(), [1] * x.shape[1])
    check_items(matrix, x, [1] * x.shape[1])
    form = scale_statistics(matrix)
    total = x.sum(axis=1)
    p = x.mean(axis=0)
    k = x.shape[1]
    kr20 = k / (k - 1) * (1 - (p * (1 - p)).sum() / total.var(ddof=0))
    assert form.method == "KR-20"
    assert form.alpha == pytest.approx(kr20, abs=TOL)
    assert form.alpha == pytest.approx(numpy_alpha(x.astype(float)), abs=TOL)
    assert form.mean == pytest.approx(total.mean(), abs=TOL)
    assert form.median == pytest.approx(np.median(total), abs=TOL)
    assert form.sd == pytest.approx(total.std(ddof=1), abs=TOL)
    assert form.sem == pytest.approx(total.std(ddof=1) * np.sqrt(1 - kr20), abs=TOL)


@pytest.mark.parametrize("seed", [4, 5])
def test_polytomous_items_alpha_and_subsets(seed: int) -> None:
    x, tops = polytomous(seed)
    matrix = ScoreMatrix(x.tolist(), tops)
    check_items(matrix, x, tops)
    whole = scale_statistics(matrix)
    assert whole.method == "alpha" and whole.alpha == pytest.approx(numpy_alpha(x.astype(float)), abs=TOL)
    part = [0, 3, 5, 12, 13]
    sub = scale_statistics(matrix, part)
    total = x[:, part].sum(axis=1)
    assert sub.alpha == pytest.approx(numpy_alpha(x[:, part].astype(float)), abs=TOL)
    assert sub.sd == pytest.approx(total.std(ddof=1), abs=TOL)
    assert sub.mean == pytest.approx(total.mean(), abs=TOL)
    assert sub.sem == pytest.approx(total.std(ddof=1) * np.sqrt(1 - sub.alpha), abs=TOL)  # type: ignore[operator]


def test_missing_scores_are_left_out() -> None:
    x, tops = polytomous(6)
    masked = x.copy()
    rng = np.random.default_rng(6)
    hole = np.less(rng.random(x.shape[0]), 0.6)
    masked[hole, 15] = -1  # e.g. a proposal not chosen
    matrix = ScoreMatrix(masked.tolist(), tops)
    present = ~hole
    total: np.ndarray = np.where(masked >= 0, masked, 0).sum(axis=1)
    got = item_statistics(matrix, 15)
    assert got.n == int(present.sum())
    assert got.mean == pytest.approx(x[present, 15].mean(), abs=TOL)
    rest = total[present] - x[present, 15]
    assert got.discrimination == pytest.approx(np.corrcoef(x[present, 15], rest)[0, 1], abs=TOL)
    form = scale_statistics(matrix)
    # Issue 21: no longer alpha over the 15 items everyone has, but the random-forms estimate over
    # all 16 (tests/unit/test_reliability.py checks it against numpy), with its SEM from the SD shown.
    assert form.method == "alpha (random forms)" and form.items == 16
    assert form.alpha_items == round(15 + present.mean())
    assert form.sem == pytest.approx(total.std(ddof=1) * np.sqrt(1 - form.alpha), abs=TOL)  # type: ignore[operator]
    assert form.mean == pytest.approx(total.mean(), abs=TOL)
    assert item_statistics(matrix, 0).discrimination == pytest.approx(
        np.corrcoef(x[:, 0], total - x[:, 0])[0, 1], abs=TOL
    )


@pytest.mark.parametrize(
    ("column", "flags"),
    [
        ([1] * 9 + [0], (VERY_EASY,)),  # facility exactly 9/10
        ([1] * 8 + [0] * 2, ()),
        ([1] * 2 + [0] * 8, (VERY_HARD,)),  # exactly 1/5
        ([1] * 3 + [0] * 7, ()),
        ([0] * 5 + [1] * 5, (NEGATIVE_DISCRIMINATION,)),  # the weak get it right
    ],
)
def test_flags_at_their_thresholds(column: list[int], flags: tuple[str, ...]) -> None:
    other = [[1, 1, 1]] * 5 + [[0, 0, 0]] * 5  # candidates 0-4 strong, 5-9 weak
    rows = [[x, *o] for x, o in zip(column, other, strict=True)]
    assert item_statistics(ScoreMatrix(rows, [1, 1, 1, 1]), 0).flags == flags


def test_degenerate_data_gives_none_not_errors() -> None:
    empty = ScoreMatrix([], [1, 1])
    assert item_statistics(empty, 0).facility is None and scale_statistics(empty).mean is None
    one = ScoreMatrix([[1, 0]], [1, 1])
    assert scale_statistics(one).sd is None and scale_statistics(one).alpha is None
    level = ScoreMatrix([[1, 1], [1, 1]], [1, 1])
    assert item_statistics(level, 0).discrimination is None and scale_statistics(level).alpha is None


@pytest.mark.parametrize(
    ("totals", "top", "bins", "counts"),
    [
        ([0, 1, 2, 3, 4], 4, 2, [2, 3]),  # 2 sits on the edge: goes up; the top goes in the last bin
        ([0, 0, 10], 10, 5, [2, 0, 0, 0, 1]),
        ([], 10, 2, [0, 0]),
    ],
)
def test_histogram(totals: list[int], top: int, bins: int, counts: list[int]) -> None:
    got = histogram(totals, top, bins)
    assert [b.count for b in got] == counts
    assert got[0].lower == 0 and got[-1].upper == top


def test_histogram_rejects_impossible_totals() -> None:
    with pytest.raises(ValueError):
        histogram([11], 10, 2)


def test_analyse_form_end_to_end() -> None:
    keys = "ABCD"
    items = [ScoringItem(f"E{i}", "L1-ETH", True, "single_choice", keys[i % 4]) for i in range(6)]
    items += [ScoringItem(f"F{i}", "L1-FIN", False, "single_choice", keys[i % 4]) for i in range(8)]
    items += [
        ScoringItem("T", "L1-FIN", False, "true_false", True),
        ScoringItem("M", "L1-FIN", False, "multiple_response", frozenset("AB"), partial_credit=True),
        ScoringItem("V", "L1-FIN", False, "single_choice", "A", voided=True),
    ]
    form = compile_form(items, ScoringPolicy("cut_score", Fraction(1, 2), pass_mark=Fraction(1, 2)))
    rng = np.random.default_rng(9)
    attempts: list[dict[str, object]] = []
    for ability in rng.normal(size=200):
        a: dict[str, object] = {}
        for it in items[:14]:
            if rng.random() < 0.9:
                a[it.item_id] = it.key if rng.random() < 0.55 + 0.2 * ability else str(rng.choice(list(keys)))
        a["T"] = bool(rng.random() < 0.7)
        a["M"] = frozenset(str(k) for k in keys if rng.random() < 0.4)
        attempts.append(a)
    rows, _ = score_attempts(form, attempts)  # type: ignore[arg-type]
    result = analyse_form(form, attempts, rows)  # type: ignore[arg-type]
    x = np.array(rows, dtype=float) / POINT_UNITS
    assert result.attempts == 200 and result.voided == ("V",) and len(result.items) == 16
    assert result.form.alpha == pytest.approx(numpy_alpha(x), abs=TOL) and result.form.method == "alpha"
    assert result.module("L1-ETH").alpha == pytest.approx(numpy_alpha(x[:, :6]), abs=TOL)
    assert result.module("L1-ETH").method == "KR-20"
    assert result.form.sd == pytest.approx(x.sum(axis=1).std(ddof=1), abs=TOL)
    first = result.item("E0")
    expected = {k: sum(1 for a in attempts if a.get("E0") == k) for k in keys}
    expected[NO_ANSWER] = sum(1 for a in attempts if "E0" not in a)
    assert dict(first.option_counts) == {k: v for k, v in expected.items() if v}
    assert sum(c for _, c in result.item("T").option_counts) == 200
    chose_a = sum(1 for a in attempts if "A" in a["M"])  # type: ignore[misc,operator]
    assert dict(result.item("M").option_counts)["A"] == chose_a
    assert sum(b.count for b in result.histogram) == 200 and result.histogram[-1].upper == 16
