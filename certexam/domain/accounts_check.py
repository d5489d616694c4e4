"""Bank card, bank account and CNAPS code formats, checked before money is sent (issue 23).

Pure rules, no I/O. Each check answers ``None`` (fine) or a short problem code
that the service turns into a translated message naming the application.

* A **bank card** (借记卡) is 16-19 digits and carries a Luhn check digit (ISO/IEC
  7812-1): UnionPay cards (IIN 62...) and the Visa/Mastercard co-branded debit
  cards Chinese banks issue all use it, so a mistyped digit or two swapped
  neighbours is caught here instead of coming back from the bank a week later.
* A **bank account** (对公/存折账户) has no common check digit across Chinese
  banks: only digits and a length of 12-30 are checked.
* A **CNAPS code** (联行号, the People's Bank of China's bank code for the
  receiving branch) is 12 digits: 3 for the bank, 4 for the area, 4 for the
  branch and a check digit whose algorithm is not published, so only the form
  is checked.
"""

from __future__ import annotations

import enum
import re

CARD_LENGTHS = range(16, 20)
"""ISO/IEC 7812 PANs of Chinese bank cards: 16-19 digits (UnionPay debit cards are 19, credit 16)."""

ACCOUNT_LENGTHS = range(12, 31)
"""PRC bank account numbers: 12-30 digits (the bonus form's rule since issue 7)."""

CNAPS_LENGTH = 12

_SEPARATORS = re.compile(r"[\s\-]")


class AccountKind(enum.StrEnum):
    CARD = "card"  # a debit card number: Luhn
    ACCOUNT = "account"  # a bank account number: digits and length only


class Problem(enum.StrEnum):
    EMPTY = "empty"
    NOT_DIGITS = "not_digits"
    CARD_LENGTH = "card_length"
    ACCOUNT_LENGTH = "account_length"
    LUHN = "luhn"
    CNAPS_FORM = "cnaps_form"


def normalise_number(raw: str) -> str:
    """Drop the spaces and dashes people type in account numbers ("6222 0200 ...")."""
    return _SEPARATORS.sub("", raw)


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check of ISO/IEC 7812-1; ``digits`` must be all ASCII digits."""
    if not digits or not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:  # every second digit from the right, the check digit being the first
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def with_check_digit(body: str) -> str:
    """`body` followed by its Luhn check digit (demo and test card numbers that pass the check)."""
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def account_problem(number: str, kind: AccountKind) -> Problem | None:
    """What is wrong with a normalised card or account number, or None."""
    if not number:
        return Problem.EMPTY
    if not (number.isascii() and number.isdigit()):  # str.isdigit alone accepts '٣' and '³'
        return Problem.NOT_DIGITS
    if kind == AccountKind.CARD:
        if len(number) not in CARD_LENGTHS:
            return Problem.CARD_LENGTH
        if not luhn_ok(number):
            return Problem.LUHN
        return None
    if len(number) not in ACCOUNT_LENGTHS:
        return Problem.ACCOUNT_LENGTH
    return None


def cnaps_problem(code: str) -> Problem | None:
    """What is wrong with a CNAPS code (12 digits), or None; an empty code is the caller's to judge."""
    if len(code) != CNAPS_LENGTH or not (code.isascii() and code.isdigit()):
        return Problem.CNAPS_FORM
    return None


def same_bank(payee_cnaps: str | None, payer_bank_code: str | None) -> bool:
    """True when the payee banks with the paying bank (本行): no CNAPS given, or its first 3 digits match."""
    if not payee_cnaps:
        return True
    return bool(payer_bank_code) and payee_cnaps[:3] == payer_bank_code
