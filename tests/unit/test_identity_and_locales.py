from __future__ import annotations

import pytest

from certexam.domain.identity import (
    id_number_problem,
    normalise_id_number,
    prc_check_char,
)
from certexam.domain.locales import map_tag, negotiate


@pytest.mark.parametrize("number,problem", [
    ("110101199003070011", None),
    ("440304199512310024", None),
    ("11010119900307001X", "the check character does not match"),
    ("110101199002300019", "the date of birth in the number is not a real date"),
    ("11010119900307001", "the number does not have the format of this document"),
    ("ABCDEFGHIJKLMNOPQR", "the number does not have the format of this document"),
])
def test_prc_id_numbers(number: str, problem: str | None) -> None:
    if number == "110101199002300019":  # give it a valid check char so only the date is wrong
        number = number[:17] + prc_check_char(number[:17])
    assert id_number_problem("prc_id", number) == problem


def test_every_single_digit_change_of_a_prc_id_is_caught() -> None:
    good = "110101199003070011"
    for i in range(17):
        for d in "0123456789":
            if d != good[i]:
                bad = good[:i] + d + good[i + 1:]
                assert id_number_problem("prc_id", bad) is not None, bad


@pytest.mark.parametrize("doc,number,ok", [
    ("hk_id", "A123456(3)", True), ("hk_id", "AB1234567", True), ("hk_id", "1234567", False),
    ("passport", "E12345678", True), ("passport", "E1", False), ("fax", "123", False),
])
def test_other_documents(doc: str, number: str, ok: bool) -> None:
    assert (id_number_problem(doc, number) is None) is ok


def test_normalise_strips_spaces_and_uppercases() -> None:
    assert normalise_id_number(" 11010119900307001x ") == "11010119900307001X"


@pytest.mark.parametrize("tag,code", [
    ("zh-CN", "zh_Hans"), ("zh", "zh_Hans"), ("zh-Hans-HK", "zh_Hans"), ("zh-TW", "zh_Hant"),
    ("zh-HK", "zh_Hant"), ("zh-MO", "zh_Hant"), ("zh-Hant", "zh_Hant"), ("en-GB", "en"), ("pt-BR", "pt"),
    ("pt-PT", "pt"), ("fr-FR", None), ("*", None),
])
def test_map_tag(tag: str, code: str | None) -> None:
    assert map_tag(tag) == code


@pytest.mark.parametrize("accepted,code", [
    ([("fr", 1.0), ("pt-PT", 0.8), ("en", 0.5)], "pt"),
    ([("en-US", 0.7), ("zh-TW", 0.9)], "zh_Hant"),
    ([("en", 1.0), ("zh-CN", 1.0)], "en"),
    ([("de", 1.0)], "zh_Hans"),
    ([], "zh_Hans"),
    ([("en", 0.0), ("pt", 0.1)], "pt"),
])
def test_negotiate(accepted: list[tuple[str, float]], code: str) -> None:
    assert negotiate(accepted) == code
