"""Mantel-Haenszel DIF (issue 21) against numpy and scipy, and a planted item it must find."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from certexam.domain.dif import mantel_haenszel, screen_items, stratum


def numpy_mh(groups: np.ndarray, bands: np.ndarray, correct: np.ndarray) -> tuple[float, float]:
    """alpha_MH and the continuity-corrected chi-square, written independently with numpy."""
    num = den = a_sum = e_sum = v_sum = 0.0
    for s in np.unique(bands):
        sel = bands == s
        g, y = groups[sel], correct[sel]
        a, b = np.sum((g == 0) & y), np.sum((g == 0) & ~y)
        c, d = np.sum((g == 1) & y), np.sum((g == 1) & ~y)
        n = a + b + c + d
        if n < 2 or a + b == 0 or c + d == 0:
            continue
        num, den = num + a * d / n, den + b * c / n
        a_sum, e_sum = a_sum + a, e_sum + (a + b) * (a + c) / n
        v_sum += (a + b) * (c + d) * (a + c) * (b + d) / (n * n * (n - 1))
    return num / den, (abs(a_sum - e_sum) - 0.5) ** 2 / v_sum


def simulate(seed: int, shift: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two language groups of equal ability; the item is ``shift`` logits harder for group 1."""
    rng = np.random.default_rng(seed)
    n = 1200
    groups = (rng.random(n) < 0.35).astype(int)
    ability = rng.normal(size=n)
    p_item = 1 / (1 + np.exp(-(ability - shift * groups)))
    correct = rng.random(n) < p_item
    # The matching score: 30 other items that behave the same in both groups.
    rest = (rng.random((n, 30)) < 1 / (1 + np.exp(-(ability[:, None] - rng.normal(size=30))))).sum(axis=1)
    bands = np.array([stratum(int(t), 30) for t in rest])
    return groups, bands, correct


def observations(groups: np.ndarray, bands: np.ndarray, correct: np.ndarray) -> list[tuple[str, int, bool]]:
    names = {0: "zh_Hans", 1: "pt"}
    return [(names[int(g)], int(b), bool(c)) for g, b, c in zip(groups, bands, correct, strict=True)]


@pytest.mark.parametrize("seed", [1, 2])
def test_figures_agree_with_numpy_and_scipy(seed: int) -> None:
    groups, bands, correct = simulate(seed, 0.8)
    got = mantel_haenszel(observations(groups, bands, correct), "zh_Hans", "pt")
    odds, chi = numpy_mh(groups, bands, correct)
    assert got.odds_ratio == pytest.approx(odds, rel=1e-12)
    assert got.chi_square == pytest.approx(chi, rel=1e-12)
    assert got.p_value == pytest.approx(stats.chi2.sf(chi, 1), rel=1e-9)
    assert got.delta == pytest.approx(-2.35 * np.log(odds), rel=1e-12)


def test_a_planted_item_is_flagged_and_a_fair_one_is_not() -> None:
    planted = mantel_haenszel(observations(*simulate(5, 1.2)), "zh_Hans", "pt")
    fair = mantel_haenszel(observations(*simulate(6, 0.0)), "zh_Hans", "pt")
    assert planted.ets_class == "C" and planted.delta is not None and planted.delta < -1.5
    assert fair.ets_class == "A"


def test_too_few_in_a_group_gives_no_figure() -> None:
    obs = [("zh_Hans", 1, True)] * 50 + [("pt", 1, False)] * 9
    assert mantel_haenszel(obs, "zh_Hans", "pt").ets_class == ""


def test_stratum_bands() -> None:
    assert [stratum(s, 30) for s in (0, 2, 3, 29, 30)] == [0, 0, 1, 9, 9]
    assert stratum(5, 0) == 0


def test_screen_finds_the_planted_item_among_fair_ones() -> None:
    rng = np.random.default_rng(8)
    n, k = 1500, 20
    groups = np.where(rng.random(n) < 0.3, "pt", np.where(rng.random(n) < 0.2, "zh_Hant", "zh_Hans"))
    ability = rng.normal(size=n)
    difficulty = rng.normal(size=k)
    logits = ability[:, None] - difficulty[None, :]
    logits[:, 7] -= 1.3 * (groups == "pt")  # item 7's Portuguese text is harder
    x = (rng.random((n, k)) < 1 / (1 + np.exp(-logits))).astype(int)
    x[rng.random((n, k)) < 0.2] = -1  # random forms: each candidate skips a fifth of the pool
    totals = np.where(x >= 0, x, 0).sum(axis=1)
    maxima = (x >= 0).sum(axis=1)
    got = screen_items([f"I{i}" for i in range(k)], x.T.tolist(), [1] * k, totals.tolist(), maxima.tolist(),
                       groups.tolist())
    assert got[0].reference == "zh_Hans" and [m.focal for m in got[0].focal] == ["pt", "zh_Hant"]
    flagged = {d.item_id for d in got if d.worst == "C"}
    assert flagged == {"I7"}
    assert next(m for m in got[7].focal if m.focal == "pt").ets_class == "C"


def test_screen_skips_partial_credit_items_and_one_language() -> None:
    assert screen_items(["A"], [[0, 2, 1]], [2], [0, 2, 1], [2, 2, 2], ["en", "pt", "pt"]) == []
    assert screen_items(["A"], [[0, 1]], [1], [0, 1], [1, 1], ["pt", "pt"]) == []
