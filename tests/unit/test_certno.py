"""Certificate numbers: format, parse and the ISO 7064 MOD 11-2 check character."""

import random
import string

import pytest

from certexam.domain.certno import (
    MAX_SERIAL,
    CertificateNumber,
    CertificateNumberError,
    check_character,
    format_number,
    is_valid_number,
    parse_number,
)

# Characters a typo could produce in a number: everything of its alphabet, plus '-'.
TYPO_ALPHABET = string.ascii_uppercase + string.digits + "-"


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("0794", "0"),  # ISO/IEC 7064 worked example: 0794 0
        ("079", "X"),  # ISO/IEC 7064 worked example: 079 X
        ("11010519491231002", "X"),  # GB 11643 sample identity number 11010519491231002X
        ("22026000123", "2"),
    ],
)
def test_check_character_reference_values(digits: str, expected: str) -> None:
    assert check_character(digits) == expected


@pytest.mark.parametrize("bad", ["", "12a4", "１２３", "٣٤"])
def test_check_character_needs_ascii_digits(bad: str) -> None:
    with pytest.raises(CertificateNumberError):
        check_character(bad)


def test_format_matches_the_issue_layout() -> None:
    assert format_number(2, 2026, 123) == "SHMFTPP-L2-2026-000123-2"


@pytest.mark.parametrize(
    ("level", "year", "serial"),
    [(1, 2000, 1), (1, 2026, 123), (2, 2026, 123), (2, 2099, MAX_SERIAL), (3, 2030, 42), (4, 9999, 500000)],
)
def test_format_parse_round_trip(level: int, year: int, serial: int) -> None:
    text = format_number(level, year, serial)
    assert parse_number(text) == CertificateNumber(level, year, serial)
    assert is_valid_number(text)


@pytest.mark.parametrize(
    ("level", "year", "serial"),
    [(0, 2026, 1), (5, 2026, 1), (2, 1999, 1), (2, 10000, 1), (2, 2026, 0), (2, 2026, MAX_SERIAL + 1)],
)
def test_out_of_range_parts_are_refused(level: int, year: int, serial: int) -> None:
    with pytest.raises(CertificateNumberError):
        CertificateNumber(level, year, serial)


@pytest.mark.parametrize(
    "typed",
    [
        "shmftpp-l2-2026-000123-2",
        "  SHMFTPP-L2-2026-000123-2\n",
        "ＳＨＭＦＴＰＰ－Ｌ２－２０２６－０００１２３－２",
    ],
)
def test_parse_forgives_case_spaces_and_full_width(typed: str) -> None:
    assert parse_number(typed) == CertificateNumber(2, 2026, 123)


@pytest.mark.parametrize(
    "text",
    [
        "SHMFTPP-L2-2026-000123",  # no check character
        "SHMFTPP-L2-2026-000123-3",  # wrong check character
        "SHMFTPP-L2-2026-00123-2",  # short serial
        "SHMFTPP-L2-2026-000123-22",
        "XHMFTPP-L2-2026-000123-2",
        "SHMFTPP-L2-٢٠٢٦-000123-2",  # Arabic-Indic digits are digits to \\d, not to us
        "SHMFTPP-L0-2026-000123-" + check_character("02026000123"),
        "",
    ],
)
def test_parse_rejects(text: str) -> None:
    assert not is_valid_number(text)
    with pytest.raises(CertificateNumberError):
        parse_number(text)


def _sample(count: int) -> list[str]:
    rng = random.Random(20260315)
    return [
        format_number(rng.randint(1, 4), rng.randint(2000, 2099), rng.randint(1, MAX_SERIAL))
        for _ in range(count)
    ] + [format_number(1, 2000, 1), format_number(4, 9999, MAX_SERIAL)]


SAMPLE = _sample(400)


def test_sample_has_every_check_value() -> None:
    # The exhaustive tests below mean more when every check value, X included, occurs.
    assert {n[-1] for n in SAMPLE} == set(string.digits + "X")


def test_every_single_substitution_is_detected() -> None:
    missed = [
        changed
        for number in SAMPLE
        for i, original in enumerate(number)
        for char in TYPO_ALPHABET
        if char != original and is_valid_number(changed := number[:i] + char + number[i + 1 :])
    ]
    assert missed == []


def test_every_adjacent_transposition_is_detected() -> None:
    swapped = [
        number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        for number in SAMPLE
        for i in range(len(number) - 1)
        if number[i] != number[i + 1]
    ]
    assert len(swapped) > 10 * len(SAMPLE)
    assert [s for s in swapped if is_valid_number(s)] == []
