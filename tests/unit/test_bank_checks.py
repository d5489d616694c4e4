"""Bank-level checks (issue 22): the key's length and letter, the glossary, coverage; the shipped
banks pass them."""

from __future__ import annotations

from pathlib import Path

import pytest

from certexam.bankio import reader
from certexam.domain.items import Item, Option, Text
from certexam.domain.key_pattern import key_pattern
from certexam.services.bank import checks

BANKS = Path(__file__).resolve().parents[2] / "certexam" / "question_bank"


def _item(n: int, key: str, longest: bool) -> Item:
    texts = {k: "x" * 10 for k in "ABCD"}
    if longest:
        texts[key] = "x" * 20
    options = tuple(Option(k, Text({"zh_Hans": v, "en": v})) for k, v in texts.items())
    return Item(f"L1-ETH-{n:04d}", "L1-ETH", "single_choice", Text({"zh_Hans": "q", "en": "q"}), options, key)


@pytest.mark.parametrize(("longest", "fails"), [(6, False), (7, True)])  # 6 of 20 is exactly 30%: allowed
def test_the_key_may_be_longest_in_at_most_30_percent(longest: int, fails: bool) -> None:
    items = [_item(i, "ABCD"[i % 4], i < longest) for i in range(20)]
    pattern = key_pattern(items, "en")
    assert pattern.longest == longest and bool(pattern.problems()) is fails


def test_a_tie_does_not_single_the_key_out() -> None:
    assert key_pattern([_item(1, "A", False)], "en").longest == 0


@pytest.mark.parametrize(("a_keys", "fails"), [(7, False), (8, True)])  # 7 of 20 is exactly 35%
def test_no_letter_may_be_the_key_of_more_than_35_percent(a_keys: int, fails: bool) -> None:
    keys = ["A"] * a_keys + list("BCD" * 5)[: 20 - a_keys]
    pattern = key_pattern([_item(i, k, False) for i, k in enumerate(keys)], "en")
    assert bool(pattern.problems()) is fails


def test_fewer_than_20_items_prove_nothing() -> None:
    assert key_pattern([_item(i, "A", True) for i in range(19)], "en").problems() == []


def test_the_shipped_banks_pass_every_bank_check() -> None:
    files = reader.bank_files(BANKS)
    assert files and not any(f.endswith(reader.GLOSSARY_NAME) for f in files)
    read = reader.read_files(files)
    assert not read.errors
    found = checks.run(read.items)
    assert found.problems() == []
    assert [level for level, _p in found.patterns] == [1, 1, 2, 2]
    langs = {lang for _m, row in found.coverage.rows for lang, (have, total) in row.items() if have == total}
    assert {"zh_Hans", "zh_Hant", "en"} <= langs
