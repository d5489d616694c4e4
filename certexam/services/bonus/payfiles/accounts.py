"""Bank details as the bonus takes them: checked on the form and again before a batch is made (issue 23)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from certexam.domain.accounts_check import (
    AccountKind,
    Problem,
    account_problem,
    cnaps_problem,
    normalise_number,
)
from certexam.errors import UserError


@dataclass(frozen=True)
class BankDetails:
    bank_name: str
    account: str
    kind: AccountKind
    cnaps: str | None


def problem_message(problem: Problem) -> str:
    """The translated sentence for a problem code of domain.accounts_check."""
    messages = {
        Problem.EMPTY: _("Enter the account or card number."),
        Problem.NOT_DIGITS: _("An account or card number has only digits."),
        Problem.CARD_LENGTH: _("A bank card number has 16 to 19 digits."),
        Problem.ACCOUNT_LENGTH: _("A bank account number has 12 to 30 digits."),
        Problem.LUHN: _("This card number is mistyped: its check digit does not match (Luhn)."),
        Problem.CNAPS_FORM: _("A CNAPS code (联行号) has 12 digits."),
    }
    return str(messages[problem])


def parse_kind(raw: str) -> AccountKind:
    try:
        return AccountKind(raw)
    except ValueError:
        raise UserError(_("Choose a bank card or a bank account."), "bank_account_kind") from None


def check(bank_name: str, account: str, kind: str, cnaps: str | None) -> BankDetails:
    """Normalised details, or UserError under the field that is wrong."""
    name = bank_name.strip()
    if not name:
        raise UserError(_("Enter the bank's name."), "bank_name")
    the_kind = parse_kind(kind)
    number = normalise_number(account)
    problem = account_problem(number, the_kind)
    if problem is not None:
        raise UserError(problem_message(problem), "bank_account")
    code = normalise_number(cnaps or "") or None
    if code is not None and (problem := cnaps_problem(code)) is not None:
        raise UserError(problem_message(problem), "bank_cnaps")
    return BankDetails(name[:100], number, the_kind, code)


def stored_problem(account: str, kind: str, cnaps: str | None) -> str | None:
    """What is wrong with details already stored (an application from before the checks), or None."""
    try:
        the_kind = AccountKind(kind)
    except ValueError:
        return str(_("Choose a bank card or a bank account."))
    problem = account_problem(account, the_kind)
    if problem is None and cnaps:
        problem = cnaps_problem(cnaps)
    return problem_message(problem) if problem is not None else None
