"""Forms assembled ahead (issue 21): which seeds make a paper's set, and which form a registration gets."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import replace
from fractions import Fraction

import pytest

from certexam.domain import form_pool
from certexam.domain.assembly import AssemblyError, assemble_form
from certexam.domain.blueprint import LEVEL1_DEFAULT
from tests.unit.test_form_difficulty import SHIPPED, check

P1 = LEVEL1_DEFAULT.papers[0]


def test_the_choice_is_round_robin_over_consecutive_registrations() -> None:
    forms = 7
    chosen = [form_pool.choose(reg, 1234, forms) for reg in range(500, 500 + 3 * forms)]
    assert set(chosen) == set(range(1, forms + 1))
    assert Counter(chosen) == {k: 3 for k in range(1, forms + 1)}  # every form handed out equally
    assert all(a != b for a, b in itertools.pairwise(chosen))  # neighbours in registration order differ


def test_the_choice_is_reproducible_and_depends_on_the_paper_salt() -> None:
    assert form_pool.choose(41, 99, 20) == form_pool.choose(41, 99, 20)
    assert {form_pool.choose(41, salt, 20) for salt in range(20)} == set(range(1, 21))
    assert form_pool.choose(41, 99, 1) == 1
    with pytest.raises(ValueError):
        form_pool.choose(41, 99, 0)


def test_a_set_is_distinct_forms_within_tolerance_each_rebuilt_by_its_seed() -> None:
    made = form_pool.assemble_set(LEVEL1_DEFAULT, P1, SHIPPED, itertools.count(1000), 12)
    assert len(made) == 12
    assert len({frozenset(e.version_id for e in a.form.entries) for a in made}) == 12
    for a in made:
        assert a.form.within and abs(a.form.expected - a.form.target) <= a.form.tolerance
        check(LEVEL1_DEFAULT, P1, SHIPPED, a.form)
        assert assemble_form(LEVEL1_DEFAULT, P1, SHIPPED, a.seed).entries == a.form.entries


def test_an_unreachable_target_keeps_the_closest_forms_and_says_they_miss() -> None:
    hard = replace(LEVEL1_DEFAULT, difficulty=replace(LEVEL1_DEFAULT.difficulty, target=Fraction(99, 100),
                                                      tolerance=Fraction(1, 100)))
    made = form_pool.assemble_set(hard, P1, SHIPPED, itertools.count(1), 3)
    assert len(made) == 3 and not any(a.form.within for a in made)
    distinct = len({frozenset(e.version_id for e in a.form.entries) for a in made})
    gaps = [abs(a.form.expected - a.form.target) for a in made[:distinct]]
    assert gaps == sorted(gaps)  # the closest distinct forms first, then repeats


def test_a_pool_with_few_distinct_forms_repeats_items_only_after_the_distinct_ones() -> None:
    eth = [p for p in SHIPPED if p.module == "L1-ETH"]
    section = next(s for s in P1.sections if s.module == "L1-ETH")
    # A section that takes all but one of its module's items: only len(eth) distinct forms exist.
    tight = replace(P1, sections=(replace(section, count=len(eth) - 1),))
    made = form_pool.assemble_set(LEVEL1_DEFAULT, tight, eth, itertools.count(1), len(eth) + 5)
    sets = [frozenset(e.version_id for e in a.form.entries) for a in made]
    assert len(made) == len(eth) + 5
    distinct = len(set(sets))
    assert len(set(sets[:distinct])) == distinct  # the distinct forms come first


def test_a_set_size_out_of_range_or_a_pool_that_cannot_fill_is_refused() -> None:
    with pytest.raises(AssemblyError, match="between 1 and"):
        form_pool.assemble_set(LEVEL1_DEFAULT, P1, SHIPPED, itertools.count(1), 0)
    with pytest.raises(AssemblyError, match="between 1 and"):
        form_pool.assemble_set(LEVEL1_DEFAULT, P1, SHIPPED, itertools.count(1), form_pool.MAX_FORMS + 1)
    with pytest.raises(AssemblyError, match="usable"):
        form_pool.assemble_set(LEVEL1_DEFAULT, P1, SHIPPED[:10], itertools.count(1), 3)
