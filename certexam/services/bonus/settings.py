"""Settings of the holder bonus, the business day, and small shared helpers.

Each setting is read from the app config (instance/config.py or the test
config) and falls back to the constant below, whose comment cites its clause
in shared/mission/programme-rules.md, section 3.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from flask import current_app

from certexam.domain.bonus_facts import BonusPolicy
from certexam.domain.budget import BONUS_YEARLY_CAP_FEN
from certexam.domain.interest import RateChange, rate_from_basis_points

NOTICE_WORKING_DAYS = 5
"""rules s.3 (practice of such schemes): "a public notice period (公示, e.g. 5 working days)"."""

INTEREST_RATE_BP = 300
"""rules s.3, item 34: recovery "及其法定利息"; the measures name no rate, so the setting holds
the one-year loan prime rate, 3.00 % (300 basis points) since 2025-05-20. Update it when the LPR changes."""

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
"""Evidence (labour contract, social-insurance and tax records) is scanned paper: 10 MB a file."""

MAX_EVIDENCE_FILES = 10
"""Files per employment period: enough for a contract, stamped records and a letter."""

SHENZHEN_NAMES = frozenset({"深圳", "深圳市", "shenzhen", "shenzhen city", "shenzhen shi", "shen zhen"})
"""rules s.3, item 26: "在本市" (Shenzhen). The city of registration counts, as the admin records it;
these spellings (simplified, with 市, pinyin; traditional 深圳 is the same characters) mean Shenzhen."""

SHENZHEN_DIVISION_PREFIX = "4403"
"""GB/T 2260: 4403xx are Shenzhen's divisions; a credit code's characters 3-8 name the registering office."""


def setting(name: str, default: Any) -> Any:
    """An app setting with the bonus default."""
    return current_app.config.get(name, default)


def policy() -> BonusPolicy:
    """The eligibility policy: the measures' own thresholds (the domain's defaults)."""
    return BonusPolicy()


def yearly_cap_fen() -> int:
    """The yearly budget (rules s.3, item 26: at most RMB 3,000,000; item 36: inclusive)."""
    value = setting("BONUS_YEARLY_CAP_FEN", BONUS_YEARLY_CAP_FEN)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError("BONUS_YEARLY_CAP_FEN must be a non-negative int of fen")
    return value


def notice_working_days() -> int:
    return int(setting("BONUS_NOTICE_WORKING_DAYS", NOTICE_WORKING_DAYS))


def interest_rate_bp() -> int:
    return int(setting("BONUS_INTEREST_RATE_BP", INTEREST_RATE_BP))


def rate_schedule(rate_bp: int) -> tuple[RateChange, ...]:
    """One rate for the whole period: the rate fixed by the fraud decision."""
    return (RateChange(date.min, rate_from_basis_points(rate_bp)),)


def max_evidence_bytes() -> int:
    return int(setting("BONUS_MAX_EVIDENCE_BYTES", MAX_EVIDENCE_BYTES))


def is_shenzhen(city: str) -> bool:
    """True when an organisation counts as registered in Shenzhen (rules s.3, item 26: "本市").

    The city of registration decides. A credit code keeps the division of the
    office that first issued it for the organisation's whole life, so an
    organisation that moved keeps its old prefix: the code is only a hint,
    shown to administrators by :func:`city_and_code_disagree`.
    """
    key = " ".join(unicodedata.normalize("NFKC", city).casefold().split())
    return key in SHENZHEN_NAMES


def city_and_code_disagree(city: str, credit_code: str) -> bool:
    """True when the city says Shenzhen and the code does not, or the other way round."""
    code_says = credit_code[2:6] == SHENZHEN_DIVISION_PREFIX
    return code_says != is_shenzhen(city)


def format_fen(fen: int) -> str:
    """'10,000.00' for 1,000,000 fen: integer arithmetic only, never a float."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def plain_fen(fen: int) -> str:
    """'10000.00' for 1,000,000 fen, as a bank file wants it."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
