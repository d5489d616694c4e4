"""Inputs of the holder-bonus check: the policy settings and a holder's facts.

Every threshold is a setting of :class:`BonusPolicy` whose default cites its
clause in shared/mission/programme-rules.md, section 3 (the Shenzhen FinTech
measures of 2022).  The service layer builds :class:`HolderFacts` from the
database; nothing here reads a clock or a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from certexam.domain.bonus_periods import ONE_DAY, years_later

BONUS_AMOUNT_FEN = 1_000_000
"""rules s.3, item 26: "给予每人1万元人民币的一次性奖励补贴", RMB 10,000 once per person."""

EARLIEST_LEVEL2_PASS = date(2021, 1, 1)
"""rules s.3, item 26: "2021年1月1日以后通过...二级考试"; the issue reads it as on or after."""

BONUS_LEVEL = 2
"""rules s.3, item 26: the level-2 exam and the level-2 certificate ("二级考试")."""

MIN_EMPLOYMENT_DAYS = 730
"""rules s.3, item 26: "全职工作合计满2年", counted as 730 days of the union of periods
(the issue's reading; "满" includes the number, Civil Code art. 1259)."""

QUALIFYING_CITY = "shenzhen"
"""rules s.3, item 26: "在本市" (Shenzhen): the canonical city id the service stores."""

FRAUD_BAR_YEARS = 3
"""rules s.3, item 34: "三年内取消申请...资格", barred from applying for three years."""

MEASURES_START = date(2022, 4, 7)
"""rules s.3, item 38: "本措施自2022年4月7日起实施"."""

MEASURES_YEARS = 5
"""rules s.3, item 38: "有效期为五年"."""


class OrgCategory(StrEnum):
    """What kind of organisation a job was at."""

    FINANCIAL_INSTITUTION = "financial_institution"
    FINTECH = "fintech"
    OTHER = "other"
    TRAINING_INSTITUTION = "training_institution"  # rules s.4 (subsidies); not qualifying for item 26


QUALIFYING_CATEGORIES = frozenset({OrgCategory.FINANCIAL_INSTITUTION, OrgCategory.FINTECH})
"""rules s.3, item 26: "金融机构、金融科技类企业", financial institutions or FinTech enterprises."""


class CertificateStatus(StrEnum):
    """A certificate's current status."""

    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


@dataclass(frozen=True)
class BonusPolicy:
    """All thresholds of the bonus; the defaults are the measures' own."""

    earliest_level2_pass: date = EARLIEST_LEVEL2_PASS
    level: int = BONUS_LEVEL
    qualifying_city: str = QUALIFYING_CITY
    qualifying_categories: frozenset[OrgCategory] = QUALIFYING_CATEGORIES
    min_employment_days: int = MIN_EMPLOYMENT_DAYS
    # True: a period's end date is a day worked (1 Jan - 31 Dec is 365 days).
    # False: the end date is the first day no longer worked (1 Jan - 31 Dec is 364).
    end_date_inclusive: bool = True
    # The issue counts work from the certificate's issue date; False counts all of it.
    count_from_certificate_issue: bool = True
    fraud_bar_years: int = FRAUD_BAR_YEARS
    measures_start: date = MEASURES_START
    measures_years: int = MEASURES_YEARS
    amount_fen: int = BONUS_AMOUNT_FEN

    @property
    def measures_last_day(self) -> date:
        """Last day the measures are in force: 2027-04-06 with the defaults.

        The start day counts as a day in force ("自...起实施"), so five years
        from 2022-04-07 end on the day before its fifth anniversary.
        """
        return years_later(self.measures_start, self.measures_years) - ONE_DAY


@dataclass(frozen=True)
class Certificate:
    """The holder's certificate: level, issue date, and status since when."""

    level: int
    issued_on: date
    status: CertificateStatus = CertificateStatus.VALID
    # When the current status began; None means since issue.  A revocation
    # dated after the evaluation day leaves the certificate valid on that day.
    status_since: date | None = None

    def valid_on(self, day: date) -> bool:
        """True when the certificate was issued by `day` and not revoked or suspended on it."""
        if day < self.issued_on:
            return False
        if self.status is CertificateStatus.VALID:
            return True
        return self.status_since is not None and day < self.status_since


@dataclass(frozen=True)
class EmploymentPeriod:
    """One job as declared by the holder and (maybe) confirmed by the reviewer."""

    org_city: str
    org_category: OrgCategory
    full_time: bool
    confirmed: bool
    start: date
    end: date | None = None  # None: still working there
    org_name: str = ""

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True)
class HolderFacts:
    """What is known about one holder, as plain values."""

    level2_passed_on: date | None
    certificate: Certificate | None
    employment: tuple[EmploymentPeriod, ...] = ()
    # Date an earlier bonus was granted to this person (approved or paid), if any.
    earlier_bonus_on: date | None = None
    # A declared city-level award of the same kind (rules s.3, item 33), by name.
    same_kind_award: str | None = None
    # Start dates of fraud bars (rules s.3, item 34).
    fraud_bar_starts: tuple[date, ...] = field(default_factory=tuple)
