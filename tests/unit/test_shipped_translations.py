"""The shipped banks' translations (issue 22): every text in traditional Chinese and in Portuguese, and
every translation uses the glossary's terms where the English uses them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from certexam.bankio import reader
from certexam.domain.glossary import check_texts, parse
from certexam.domain.items import iter_texts

BANKS = Path(__file__).resolve().parents[2] / "certexam" / "question_bank"
FILES = sorted(BANKS.glob("level*/**/*.yaml"))  # with the practice files (level1/practice/) and item sets
# Enemies name items of other files (L2-GEN-0016 and L2-ETH-0012): each file reads against the whole bank.
BANK_IDS = frozenset(i.id for i in reader.read_files(reader.bank_files(BANKS)).items)


@pytest.fixture(scope="module")
def terms():  # type: ignore[no-untyped-def]
    return parse(yaml.safe_load((BANKS / "glossary.yaml").read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(BANKS).with_suffix("")))
def test_every_text_is_in_four_languages_and_keeps_the_glossary(path: Path, terms) -> None:  # type: ignore[no-untyped-def]
    read = reader.read_files([str(path)], existing_ids=BANK_IDS)
    assert not read.errors
    texts = [(f"{item.id} {where}", text) for item in read.items for where, _label, text in iter_texts(item)]
    missing = [(where, lang) for where, text in texts for lang in ("zh_Hant", "en", "pt") if lang not in text]
    assert missing == []
    problems = check_texts(texts, terms)
    assert [f"{p.where} {p.language}: {p.en}" for p in problems] == []
