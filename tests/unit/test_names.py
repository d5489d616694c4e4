"""What a name may hold (domain/identity.py; Unicode UTS #39 as the reference, issue 19.10)."""

from __future__ import annotations

import pytest

from certexam.domain.identity import (
    NAME_FAMILY_NOT_IN_NAME,
    NAME_FORMAT,
    NAME_LINE_BREAK,
    NAME_NO_LETTER,
    NAME_NOT_TEXT,
    default_family_name,
    family_name_problem,
    name_problem,
    normalise_name,
)


@pytest.mark.parametrize("raw,code", [
    ("Chan\u202eTai Man", NAME_FORMAT), ("\u2067Li\u2069", NAME_FORMAT), ("Li\u200fMing", NAME_FORMAT),
    ("\u200b\u200b\u200b", NAME_FORMAT), ("\ufeffWang Fang", NAME_FORMAT), ("Ana\u00adSousa", NAME_FORMAT),
    ("李\u200d小龙", NAME_FORMAT), ("Li\nMing", NAME_LINE_BREAK), ("Li\r\nMing", NAME_LINE_BREAK),
    ("Li\u2028Ming", NAME_LINE_BREAK), ("Li\u0085Ming", NAME_LINE_BREAK), ("Li\x00", NAME_LINE_BREAK),
    ("Li\ue000", NAME_NOT_TEXT), ("Li\U000f0000", NAME_NOT_TEXT), ("Li\U000e0001", NAME_FORMAT),
    ("", NAME_NO_LETTER), ("   ", NAME_NO_LETTER), ("1234", NAME_NO_LETTER), ("!!!", NAME_NO_LETTER),
])
def test_refused(raw: str, code: str) -> None:
    assert name_problem(normalise_name(raw)) == code


@pytest.mark.parametrize("name", ["李小龙", "陳大文", "Chan Tai Man", "Ana Sousa", "José da Silva", "O'Brien-Smith",
                                  "欧阳 娜娜", "Nguyễn Văn A", "محمد", "Zoë"])
def test_accepted(name: str) -> None:
    assert name_problem(normalise_name(name)) is None


def test_normalised_to_nfc_with_single_spaces() -> None:
    assert normalise_name("  Jose\u0301   da Silva ") == "Jos\u00e9 da Silva"
    assert name_problem(normalise_name("Jose\tda Silva")) == NAME_LINE_BREAK  # not folded away: refused


@pytest.mark.parametrize("family,name_en,code", [
    ("Chan", "Chan Tai Man", None), ("chan", "CHAN, Tai Man", None), ("Costa", "Maria Fernanda da Costa", None),
    ("Pereira da Costa", "Maria Pereira da Costa", None), ("Sousa", "Ana Sousa", None),
    ("Cha", "Chan Tai Man", NAME_FAMILY_NOT_IN_NAME), ("Tai Chan", "Chan Tai Man", NAME_FAMILY_NOT_IN_NAME),
    ("Chan\u200b", "Chan Tai Man", NAME_FORMAT), ("", "Chan Tai Man", NAME_NO_LETTER),
])
def test_family_name_is_words_of_the_english_name(family: str, name_en: str, code: str | None) -> None:
    assert family_name_problem(normalise_name(family), name_en) == code


def test_default_family_name_is_the_first_word() -> None:
    assert [default_family_name(n) for n in ("Chan Tai Man", "CHAN, Tai Man", " Li  Ming", "")] == \
        ["Chan", "CHAN", "Li", ""]
