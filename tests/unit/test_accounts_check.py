"""Card, account and CNAPS formats (issue 23): domain/accounts_check.py at its edges."""

from __future__ import annotations

import pytest

from certexam.domain.accounts_check import (
    AccountKind,
    Problem,
    account_problem,
    cnaps_problem,
    luhn_ok,
    normalise_number,
    same_bank,
    with_check_digit,
)

CARD, ACCOUNT = AccountKind.CARD, AccountKind.ACCOUNT


@pytest.mark.parametrize("number, ok", [
    ("79927398713", True),  # the textbook example of the Luhn algorithm
    ("79927398710", False),
    ("6225881234567898", True),  # a UnionPay-shaped 16-digit number
    ("6225881234567890", False),  # the same with a wrong check digit (the old test data)
    ("6225881234567889", False),  # the last two digits swapped: Luhn catches it
    ("6214830212345671", True),
    ("4539578763621486", True),  # a Visa-shaped number
    ("", False), ("12a4", False),
])
def test_luhn(number: str, ok: bool) -> None:
    assert luhn_ok(number) is ok


@pytest.mark.parametrize("number, kind, problem", [
    ("6225881234567898", CARD, None),
    ("6225881234567890", CARD, Problem.LUHN),
    ("622588123456789", CARD, Problem.CARD_LENGTH),  # 15 digits
    ("62258812345678901234", CARD, Problem.CARD_LENGTH),  # 20 digits
    ("6217003320000000003", CARD, None),  # 19 digits, Luhn-valid
    ("6225881234567890", ACCOUNT, None),  # an account number has no check digit to fail
    ("12345678901", ACCOUNT, Problem.ACCOUNT_LENGTH),  # 11
    ("123456789012", ACCOUNT, None),  # 12: the shortest
    ("1" * 30, ACCOUNT, None),
    ("1" * 31, ACCOUNT, Problem.ACCOUNT_LENGTH),
    ("", CARD, Problem.EMPTY),
    ("6225 8812 3456 7898", CARD, Problem.NOT_DIGITS),  # the caller normalises first
    ("６２２５８８１２３４５６７８９８", CARD, Problem.NOT_DIGITS),  # full-width digits are not ASCII
    ("٦٢٢٥٨٨١٢٣٤٥٦٧٨٩٨", ACCOUNT, Problem.NOT_DIGITS),  # str.isdigit() alone would take these
])
def test_account_problem(number: str, kind: AccountKind, problem: Problem | None) -> None:
    assert account_problem(number, kind) == problem


def test_normalise_drops_spaces_and_dashes() -> None:
    assert normalise_number(" 6225 8812-3456 7898 ") == "6225881234567898"


@pytest.mark.parametrize("code, problem", [
    ("308584000013", None), ("30858400001", Problem.CNAPS_FORM), ("3085840000131", Problem.CNAPS_FORM),
    ("30858400001X", Problem.CNAPS_FORM),
])
def test_cnaps(code: str, problem: Problem | None) -> None:
    assert cnaps_problem(code) == problem


def test_same_bank_by_the_cnaps_bank_code() -> None:
    assert same_bank(None, "308") and same_bank("", "")
    assert same_bank("308584000013", "308")
    assert not same_bank("102584000013", "308")
    assert not same_bank("308584000013", "")  # no payer bank configured: another bank


def test_with_check_digit_makes_a_number_luhn_accepts() -> None:
    assert with_check_digit("622588123456789") == "6225881234567898"
    assert all(luhn_ok(with_check_digit(f"62148302{n:09d}")) for n in range(50))
