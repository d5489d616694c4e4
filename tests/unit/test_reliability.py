"""Reliability over random forms (issue 21) against an independent numpy computation."""

from __future__ import annotations

import numpy as np
import pytest

from certexam.domain.psychometrics import ScoreMatrix, scale_statistics
from certexam.domain.reliability import METHOD_RANDOM_FORMS, random_forms_alpha

TOL = 1e-9


def pool_responses(seed: int, n: int = 600, pool: int = 120, k: int = 40) -> np.ndarray:
    """0/1 answers of n candidates, each to a random k of ``pool`` items (-1 elsewhere)."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=(n, 1))
    difficulty = rng.normal(size=pool)
    p = 1 / (1 + np.exp(-(ability - difficulty)))
    full = (rng.random((n, pool)) < p).astype(np.int64)
    taken = np.zeros((n, pool), dtype=bool)
    for j in range(n):
        taken[j, rng.choice(pool, size=k, replace=False)] = True
    return np.where(taken, full, -1)


def numpy_random_forms_alpha(x: np.ndarray) -> float:
    """The same estimator written with numpy's masked arrays, independently of the domain code."""
    m = np.ma.masked_less(x, 0)
    item_var = m.var(axis=0)  # divisor n over the candidates who took each item
    per_candidate = np.ma.array(np.broadcast_to(item_var, x.shape), mask=m.mask).sum(axis=1)
    k = (~m.mask).sum(axis=1).mean()
    totals = m.sum(axis=1).filled(0)
    return float(k / (k - 1) * (1 - per_candidate.mean() / totals.var()))


def test_one_form_for_everyone_is_cronbach_alpha() -> None:
    rng = np.random.default_rng(3)
    x = (rng.random((200, 25)) < 0.6).astype(np.int64) | (rng.random((200, 1)) < 0.3)
    c = np.cov(x, rowvar=False)
    classic = 25 / 24 * (1 - np.trace(c) / c.sum())
    got = random_forms_alpha(x.T.tolist(), x.sum(axis=1).tolist())
    assert got.items_per_candidate == 25 and got.alpha == pytest.approx(classic, abs=TOL)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_random_forms_alpha_agrees_with_numpy(seed: int) -> None:
    x = pool_responses(seed)
    matrix = ScoreMatrix(x.tolist(), [1] * x.shape[1])
    form = scale_statistics(matrix)
    totals = np.where(x >= 0, x, 0).sum(axis=1)
    assert form.method == METHOD_RANDOM_FORMS and form.items == 120 and form.alpha_items == 40
    assert form.alpha == pytest.approx(numpy_random_forms_alpha(x), abs=TOL)
    # The SEM follows the SD shown beside it (the page showed SD 17.26 with SEM 0.83).
    assert form.sd == pytest.approx(totals.std(ddof=1), abs=TOL)
    assert form.sem == pytest.approx(totals.std(ddof=1) * np.sqrt(1 - form.alpha), abs=TOL)  # type: ignore[operator]
    # A 40-item test of these items is fairly reliable: the estimate is not the 0-item nonsense of
    # "items on every form" (with 120 in the pool and 40 drawn, almost no item is on every form).
    assert 0.6 < form.alpha < 0.95  # type: ignore[operator]


def test_random_forms_alpha_close_to_the_alpha_of_one_fixed_form() -> None:
    """Parallel forms of the same length: the estimate lands near a fixed form's alpha."""
    x = pool_responses(21, n=3000, pool=80, k=30)
    rng = np.random.default_rng(21)
    ability = rng.normal(size=(3000, 1))
    difficulty = rng.normal(size=30)
    fixed = (rng.random((3000, 30)) < 1 / (1 + np.exp(-(ability - difficulty)))).astype(np.int64)
    c = np.cov(fixed, rowvar=False)
    fixed_alpha = 30 / 29 * (1 - np.trace(c) / c.sum())
    est = random_forms_alpha(x.T.tolist(), np.where(x >= 0, x, 0).sum(axis=1).tolist()).alpha
    assert est == pytest.approx(fixed_alpha, abs=0.05)


def test_too_little_data_gives_none() -> None:
    assert random_forms_alpha([[1], [0]], [1]).alpha is None
    assert random_forms_alpha([[1, 0, -1], [-1, -1, 1]], [1, 0, 1]).alpha is None  # about one item each


def test_items_with_few_takers_give_no_figure_rather_than_one_above_one() -> None:
    """Five candidates on random forms: items seen once have variance 0, which drove the estimate
    to 1.4 on the item analysis page; with no item of enough takers, no figure is honest."""
    x = pool_responses(31, n=5, pool=40, k=10)
    got = random_forms_alpha(x.T.tolist(), np.where(x >= 0, x, 0).sum(axis=1).tolist(), [1] * 40)
    assert got.alpha is None and got.items_per_candidate == 10


def test_items_with_few_takers_borrow_their_peers_variance() -> None:
    x = pool_responses(32, n=400, pool=60, k=20)
    x[:5, 0], x[5:, 0] = [0, 1, 0, 1, 1], -1  # item 0: five takers are enough
    x[:4, 1], x[4:, 1] = [1, 0, 1, 1], -1  # item 1: four are not
    totals = np.where(x >= 0, x, 0).sum(axis=1)
    got = random_forms_alpha(x.T.tolist(), totals.tolist(), [1] * 60)
    m = np.ma.masked_less(x, 0)
    item_var = m.var(axis=0)
    item_var[1] = np.delete(item_var, 1).mean()  # the peers' mean, by hand
    per_candidate = np.ma.array(np.broadcast_to(item_var, x.shape), mask=m.mask).sum(axis=1)
    k = (~m.mask).sum(axis=1).mean()
    assert got.alpha == pytest.approx(float(k / (k - 1) * (1 - per_candidate.mean() / totals.var())), abs=TOL)


def test_an_item_of_its_own_maximum_borrows_the_others_relative_variance() -> None:
    """A level-2 written question of 30 points seen by two candidates (CI drew such a form and the
    level-2 sitting lost its figure): its variance is the others' variance relative to their maximum
    squared, times 900."""
    x = pool_responses(41, n=200, pool=30, k=12)
    rare = np.full((200, 1), -1)
    rare[:2, 0] = [10, 25]  # two takers of a 30-point item
    both = np.hstack([x, rare])
    totals = np.where(both >= 0, both, 0).sum(axis=1)
    got = random_forms_alpha(both.T.tolist(), totals.tolist(), [1] * 30 + [30])
    m = np.ma.masked_less(both, 0)
    item_var = m.var(axis=0)
    item_var[30] = np.mean(item_var[:30]) * 900  # the 1-point items' variance over 1, times 30 squared
    per_candidate = np.ma.array(np.broadcast_to(item_var, both.shape), mask=m.mask).sum(axis=1)
    k = (~m.mask).sum(axis=1).mean()
    assert got.alpha == pytest.approx(float(k / (k - 1) * (1 - per_candidate.mean() / totals.var())), abs=TOL)
