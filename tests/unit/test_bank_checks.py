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
    assert [(level, p.language) for level, p in found.patterns] == [
        (level, lang) for level in (1, 2) for lang in ("zh_Hans", "zh_Hant", "en", "pt")]
    assert found.coverage.complete()  # every text of every shipped item in the four languages


def test_bank_validate_runs_without_a_database_and_reports_the_checks(tmp_path: Path) -> None:
    """Issue 22's "Done when": `certexam bank validate question_bank/` reports full four-language coverage
    with the glossary and key-pattern checks passing; a writer runs it before any database exists (it
    answered "no such table: bank_item")."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTEXAM_")}
    env["CERTEXAM_DATABASE_URL"] = f"sqlite:///{tmp_path / 'never-migrated.db'}"
    cli = Path(sys.executable).with_name("certexam")
    run = subprocess.run([str(cli), "bank", "validate", str(BANKS)], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "507 item(s) valid." in run.stdout and "not every text" not in run.stdout
    assert "Level 1, en: the key is the longest option in" in run.stdout
