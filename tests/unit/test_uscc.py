"""Unified social credit codes (GB 32100-2015): structure, check characters, input handling."""

from __future__ import annotations

import pytest

from certexam.domain import uscc as u

# Codes constructed for these tests (not real organisations), checked by a separate
# hand-written computation of both check characters.
VALID = [
    "91440300MA5FQ7R29F",  # enterprise, Shenzhen
    "12440300455693210H",  # public institution (事业单位); organisation check char 0
    "51440304MJL175609N",  # social organisation (社会团体), Futian
    "92440305L12345674M",  # individual business, Nanshan
    "Y1440300000000019M",  # other authority
    "91440300MA5F0000X1",  # organisation check char X
]


@pytest.mark.parametrize("code", VALID)
def test_constructed_codes_are_valid(code: str) -> None:
    assert u.uscc_problems(code) == ()
    assert u.is_valid_uscc(code)
    assert u.uscc_check_char(code[:17]) == code[17]


def test_parse_splits_the_fields() -> None:
    parts = u.parse_uscc("91440300MA5FQ7R29F")
    assert parts == u.UsccParts("9", "1", "440300", "MA5FQ7R29", "F")


@pytest.mark.parametrize("code", VALID)
def test_every_single_character_corruption_is_detected(code: str) -> None:
    for pos, original in enumerate(code):
        for replacement in u.USCC_ALPHABET:
            if replacement == original:
                continue
            bad = code[:pos] + replacement + code[pos + 1 :]
            problems = u.uscc_problems(bad)
            assert u.CHECK_CHAR in problems, (pos, replacement)


@pytest.mark.parametrize("code", VALID)
def test_adjacent_transpositions_in_the_body_are_detected(code: str) -> None:
    for pos in range(16):
        a, c = code[pos], code[pos + 1]
        if a == c:
            continue
        swapped = code[:pos] + c + a + code[pos + 2 :]
        assert not u.is_valid_uscc(swapped), pos


@pytest.mark.parametrize("code", ["", "91440300MA5FQ7R29", "91440300MA5FQ7R29FF", "9" * 30])
def test_wrong_length(code: str) -> None:
    assert u.uscc_problems(code) == (u.LENGTH,)


@pytest.mark.parametrize(
    "code",
    [
        "91440300MA5FQ7R29f",  # lower case: strict check refuses, normalise first
        "91440300MA5FQ7R2IF",  # I is not in the alphabet
        "91440300MA5FQ7R2OF",
        "91440300MA5FQ7R2SF",
        "91440300MA5FQ7R2ZF",
        "91440300MA5FQ7R2-F",
        "91440300MA5FQ7R2 F",
    ],
)
def test_characters_outside_the_alphabet(code: str) -> None:
    assert u.uscc_problems(code) == (u.CHARSET,)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("91440300ma5fq7r29f", "91440300MA5FQ7R29F"),
        ("  91440300MA5FQ7R29F\n", "91440300MA5FQ7R29F"),
        ("９１４４０３００ＭＡ５ＦＱ７Ｒ２９Ｆ", "91440300MA5FQ7R29F"),  # full width from an IME
    ],
)
def test_normalise_then_validate(raw: str, expected: str) -> None:
    assert not u.is_valid_uscc(raw)
    assert u.normalize_uscc(raw) == expected
    assert u.is_valid_uscc(u.normalize_uscc(raw))


def with_check(first17: str) -> str:
    """A code whose final check character is right, so that only the field check can fail."""
    return first17 + u.uscc_check_char(first17)


@pytest.mark.parametrize(
    ("first17", "problems"),
    [
        ("B1440300MA5FQ7R29", (u.AUTHORITY,)),  # B is no registration authority
        ("94440300MA5FQ7R29", (u.ORG_TYPE,)),  # market regulation has types 1-3 only
        ("59440300MA5FQ7R29", ()),  # civil affairs, other
        ("Y2440300000000019", (u.ORG_TYPE,)),
        ("9144A300MA5FQ7R29", (u.DIVISION,)),  # division code must be digits
        ("91440300MA5FQ7R21", (u.ORG_CODE_CHECK,)),  # organisation code check char wrong
    ],
)
def test_field_checks(first17: str, problems: tuple[str, ...]) -> None:
    assert u.uscc_problems(with_check(first17)) == problems


def test_parse_refuses_invalid_codes() -> None:
    with pytest.raises(ValueError, match="CHECK_CHAR"):
        u.parse_uscc("91440300MA5FQ7R29G")


@pytest.mark.parametrize(
    ("body", "check"),
    [("MA5FQ7R2", "9"), ("45569321", "0"), ("MA5F0000", "X"), ("10000003", "2")],
)
def test_organisation_code_check_char(body: str, check: str) -> None:
    assert u.org_code_check_char(body) == check


def test_check_char_input_errors() -> None:
    with pytest.raises(ValueError, match="17"):
        u.uscc_check_char("9144")
    with pytest.raises(ValueError, match="alphabet"):
        u.uscc_check_char("91440300MA5FQ7RI9")
    with pytest.raises(ValueError, match="8"):
        u.org_code_check_char("MA5")
