"""Words for the bonus's codes and states, in the reader's language.

The domain and the services speak in stable codes (condition codes, period
reasons, statuses); these tables are the only place that turns them into
sentences, so the holder and the administrator read the same explanation.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from certexam.domain import bonus as rules
from certexam.models.bonus import ApplicationStatus, GrantStatus, ObjectionStatus, PeriodStatus
from certexam.models.user import OrgCategory
from certexam.services.bonus.settings import format_fen

CONDITION_TITLES = {
    rules.LEVEL2_PASSED_AFTER_START: _l("Passed the level-2 exam on or after 1 January 2021"),
    rules.CERTIFICATE_VALID: _l("Holds a valid level-2 certificate"),
    rules.EMPLOYMENT_2_YEARS: _l("Two years of full-time work in total at Shenzhen financial institutions or "
                                 "FinTech enterprises, counted from the certificate's issue"),
    rules.NO_EARLIER_BONUS: _l("Has not received this bonus before"),
    rules.NO_SAME_KIND_AWARD: _l("Takes no city-level award or subsidy of the same kind"),
    rules.NOT_BARRED_FOR_FRAUD: _l("Not barred from applying after a fraud finding"),
    rules.WITHIN_MEASURES_VALIDITY: _l("Applies while the measures are in force"),
}

REASONS = {
    rules.NOT_CONFIRMED: _l("not confirmed by the employer or by social-insurance records"),
    rules.NOT_FULL_TIME: _l("not full-time"),
    rules.OUTSIDE_CITY: _l("the organisation is not registered in Shenzhen"),
    rules.CATEGORY_NOT_QUALIFYING: _l("the organisation is neither a financial institution nor a FinTech enterprise"),
    rules.BEFORE_COUNT_START: _l("ended before the certificate was issued"),
    rules.AFTER_EVALUATION: _l("starts after the day checked"),
}

ORG_CATEGORIES = {
    OrgCategory.FINANCIAL_INSTITUTION: _l("Licensed financial institution"),
    OrgCategory.FINTECH: _l("FinTech enterprise"),
    OrgCategory.OTHER: _l("Other"),
    OrgCategory.TRAINING_INSTITUTION: _l("Training institution"),
}

PERIOD_STATUS = {
    PeriodStatus.PENDING: _l("Waiting for the employer"),
    PeriodStatus.CONFIRMED: _l("Confirmed by the employer"),
    PeriodStatus.DISPUTED: _l("Disputed by the employer"),
}

APPLICATION_STATUS = {
    ApplicationStatus.SUBMITTED: _l("Submitted, waiting for the completeness check"),
    ApplicationStatus.INCOMPLETE: _l("Returned: documents missing"),
    ApplicationStatus.UNDER_REVIEW: _l("Under review"),
    ApplicationStatus.IN_NOTICE: _l("On public notice"),
    ApplicationStatus.APPROVED: _l("Approved for payment"),
    ApplicationStatus.PAID: _l("Paid"),
    ApplicationStatus.REJECTED: _l("Rejected"),
    ApplicationStatus.WITHDRAWN: _l("Withdrawn"),
    ApplicationStatus.CANCELLED: _l("Cancelled after a fraud finding"),
}

GRANT_STATUS = {
    GrantStatus.WAITING: _l("Waiting for next year's budget"),
    GrantStatus.FUNDED: _l("Funded, to be paid"),
    GrantStatus.PAID: _l("Paid"),
    GrantStatus.RECOVERY: _l("To be recovered"),
}

OBJECTION_STATUS = {
    ObjectionStatus.OPEN: _l("Open"),
    ObjectionStatus.UPHELD: _l("Upheld"),
    ObjectionStatus.DISMISSED: _l("Dismissed"),
}


def day(value: date | None) -> str:
    """A date in the page language, or a dash."""
    return format_date(value, "long") if value is not None else "—"


def _status_word(status: str | None) -> str:
    words = {"valid": _("valid"), "suspended": _("suspended"), "revoked": _("revoked")}
    return words.get(status or "", status or "—")


def condition_detail(code: str, facts: dict[str, Any]) -> str:
    """One sentence with the facts behind a condition's verdict."""
    f = facts
    if code == rules.LEVEL2_PASSED_AFTER_START:
        if f.get("passed_on") is None:
            return _("No level-2 pass is recorded.")
        return _("Level 2 passed on %(day)s; passes from %(first)s count.", day=day(f["passed_on"]),
                 first=day(f["earliest"]))
    if code == rules.CERTIFICATE_VALID:
        if f.get("issued_on") is None:
            return _("No level-2 certificate is recorded.")
        return _("Certificate issued on %(day)s, status: %(status)s.", day=day(f["issued_on"]),
                 status=_status_word(f.get("status")))
    if code == rules.EMPLOYMENT_2_YEARS:
        return _("%(days)d of %(required)d days counted, from %(start)s to %(end)s.", days=f["days_counted"],
                 required=f["days_required"], start=day(f.get("count_from")), end=day(f.get("count_until")))
    if code == rules.NO_EARLIER_BONUS:
        if f.get("earlier_bonus_on") is None:
            return _("No earlier bonus.")
        return _("A bonus was approved on %(day)s.", day=day(f["earlier_bonus_on"]))
    if code == rules.NO_SAME_KIND_AWARD:
        if f.get("award"):
            return _("Declared: %(award)s.", award=f["award"])
        return _("You declare this when you apply.")
    if code == rules.NOT_BARRED_FOR_FRAUD:
        if f.get("barred_until") is None:
            return _("No bar.")
        return _("Barred until %(day)s.", day=day(f["barred_until"]))
    if code == rules.WITHIN_MEASURES_VALIDITY:
        return _("The measures run from %(first)s to %(last)s; checked for %(day)s.", first=day(f["first_day"]),
                 last=day(f["last_day"]), day=day(f["applied_on"]))
    return ""


def money(fen: int) -> str:
    """RMB with two decimals, from integer fen."""
    return _("RMB %(amount)s", amount=format_fen(fen))


def template_helpers() -> dict[str, Any]:
    return {"condition_titles": CONDITION_TITLES, "reason_labels": REASONS, "org_categories": ORG_CATEGORIES,
            "period_status": PERIOD_STATUS, "application_status": APPLICATION_STATUS,
            "grant_status": GRANT_STATUS, "objection_status": OBJECTION_STATUS,
            "condition_detail": condition_detail, "day": day, "money": money}
