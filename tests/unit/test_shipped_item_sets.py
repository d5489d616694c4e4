"""The programme's item kinds in the shipped banks (issue 22): level-2 item sets (a case with 4 to 6
questions, one set at least per technical direction) and enemy pairs declared both ways."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from certexam.bankio import reader
from certexam.domain.assembly import PoolItem, assemble_form
from certexam.domain.blueprint import DIRECTION_MODULE, LEVEL2_DEFAULT, Blueprint, Paper, Section
from certexam.domain.catalogue import DIRECTIONS
from certexam.domain.items import Item

BANKS = Path(__file__).resolve().parents[2] / "certexam" / "question_bank"
LANGUAGES = {"zh_Hans", "zh_Hant", "en", "pt"}


@pytest.fixture(scope="module")
def shipped() -> tuple[Item, ...]:
    read = reader.read_files(reader.bank_files(BANKS))
    assert not read.errors
    return read.items


def test_every_direction_has_item_sets_of_4_to_6_single_choice_questions(shipped: tuple[Item, ...]) -> None:
    sets = [i for i in shipped if i.type == "item_set"]
    assert {i.module for i in sets} >= {f"L2-{d}" for d in DIRECTIONS}
    for s in sets:
        assert s.module.startswith("L2-") and s.case, s.id
        assert 4 <= len(s.children) <= 6, s.id
        assert set(s.case) == set(s.stem) == LANGUAGES, s.id
        for child in s.children:
            assert child.type == "single_choice" and child.answer in child.option_keys(), child.id
            assert child.explanation and set(child.explanation) == LANGUAGES, child.id
            assert all(set(o.text) == LANGUAGES for o in child.options), child.id


def test_item_set_keys_are_spread_and_never_the_longest_option(shipped: tuple[Item, ...]) -> None:
    """Exam quality: no letter carries the sets' keys, and the key is never alone the longest text."""
    children = [c for i in shipped if i.type == "item_set" for c in i.children]
    letters = Counter(str(c.answer) for c in children)
    assert len(letters) == 4 and max(letters.values()) <= 0.35 * len(children)
    for child in children:
        for lang in LANGUAGES:
            key = len(next(o.text[lang] for o in child.options if o.key == child.answer))
            others = [len(o.text[lang]) for o in child.options if o.key != child.answer]
            assert key <= max(others), (child.id, lang)


def test_enemies_are_declared_both_ways_and_name_items_of_the_same_level(shipped: tuple[Item, ...]) -> None:
    by_id = {i.id: i for i in shipped}
    pairs = {frozenset((i.id, e)) for i in shipped for e in i.enemies}
    assert len(pairs) >= 10
    for pair in pairs:
        a, b = sorted(pair)
        assert a in by_id and b in by_id and a != b
        assert b in by_id[a].enemies and a in by_id[b].enemies, pair
        assert by_id[a].module[:2] == by_id[b].module[:2], pair  # the same level: they can share a sitting


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_a_sitting_can_draw_a_set_in_place_of_as_many_single_choice_questions(
        shipped: tuple[Item, ...], direction: str) -> None:
    """How a sitting uses the sets: rules s.2 fixes 60 single-choice questions, and a set's children are
    single-choice questions, so a sitting blueprint may draw one set of 5 and 25 direction items instead
    of 30. The default blueprint stays as the rules give it (no item-set section)."""
    assert not any(s.item_type == "item_set" for p in LEVEL2_DEFAULT.papers for s in p.sections)
    pool = [PoolItem(n, i.id, i.module, i.type, i.subtype, i.option_keys(),
                     tuple(c.option_keys() for c in i.children), frozenset(i.enemies))
            for n, i in enumerate(shipped, 1) if i.module.startswith("L2-")]
    paper = Paper("AM", "上午场", "Morning session", 180, (
        Section("L2-ETH", "single_choice", 10), Section("L2-GEN", "single_choice", 20),
        Section(DIRECTION_MODULE, "single_choice", 25), Section(DIRECTION_MODULE, "item_set", 1)))
    bp = Blueprint(level=2, papers=(paper,), scoring=LEVEL2_DEFAULT.scoring)
    by_id = {i.id: i for i in shipped}
    for seed in range(20):
        form = assemble_form(bp, paper, pool, seed, direction=direction)
        ids = [e.external_id for e in form.entries]
        sets = [by_id[i] for i in ids if by_id[i].type == "item_set"]
        assert len(sets) == 1 and sets[0].module == f"L2-{direction}"
        questions = sum(len(by_id[i].children) or 1 for i in ids)
        assert questions == 55 + len(sets[0].children)  # 60 with a set of 5, as all shipped sets are
        assert len(sets[0].children) == 5
        assert not any(set(ids) & set(by_id[i].enemies) for i in ids)
