"""The terminology check (issue 22) and the shipped glossary."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from certexam.domain.glossary import Term, check_text, parse

GLOSSARY = Path(__file__).resolve().parents[2] / "certexam" / "question_bank" / "glossary.yaml"


def test_a_translation_missing_the_term_is_reported() -> None:
    terms = [Term("personal information", {"pt": ("dados pessoais",), "zh_Hant": ("個人資料",)})]
    ok = {"en": "Personal information is ...", "pt": "Os dados pessoais são ...", "zh_Hant": "個人資料是……"}
    assert check_text("x", ok, terms) == []
    bad = {**ok, "zh_Hant": "個人信息是……"}
    (problem,) = check_text("x", bad, terms)
    assert (problem.language, problem.en, problem.expected) == ("zh_Hant", "personal information", ("個人資料",))


def test_whole_words_only_and_no_english_no_check() -> None:
    terms = [Term("hash", {"pt": ("hash",)})]
    assert check_text("x", {"en": "hashing rates", "pt": "taxas"}, terms) == []  # not the word "hash"
    assert check_text("x", {"zh_Hans": "哈希", "pt": "nada"}, terms) == []


def test_the_shipped_glossary_parses_and_covers_the_four_languages() -> None:
    terms = parse(yaml.safe_load(GLOSSARY.read_text(encoding="utf-8")))
    assert len(terms) >= 40
    assert all(set(t.forms) == {"zh_Hans", "zh_Hant", "pt"} for t in terms)


@pytest.mark.parametrize("bad", [{"format": "x", "terms": []}, {"format": "certexam-glossary/1", "terms": [{"pt": ["a"]}]},
                                 {"format": "certexam-glossary/1", "terms": [{"en": "a", "pt": []}]}])
def test_a_malformed_glossary_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        parse(bad)
