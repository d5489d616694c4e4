"""Identity-document checks (pure)."""

from __future__ import annotations

import re
from datetime import date

# GB 11643-1999: the 18th character of a resident ID number is an ISO 7064
# MOD 11-2 check character over the first 17 digits.
_PRC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_PRC_CHECK = "10X98765432"

_PATTERNS = {
    "prc_id": re.compile(r"^\d{17}[\dX]$"),
    "hk_id": re.compile(r"^[A-Z]{1,2}\d{6}\([\dA]\)$|^[A-Z]{1,2}\d{6}[\dA]$"),
    "mo_id": re.compile(r"^[1578]\d{6}\(?\d\)?$"),
    "hkmo_permit": re.compile(r"^[HM]\d{8,10}$"),
    "passport": re.compile(r"^[A-Z0-9]{5,20}$"),
}


def normalise_id_number(value: str) -> str:
    """Upper-case and strip spaces, so one person has one spelling."""
    return re.sub(r"\s+", "", value).upper()


def prc_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _PRC_WEIGHTS, strict=True))
    return _PRC_CHECK[total % 11]


def id_number_problem(doc_type: str, number: str) -> str | None:
    """Return why `number` is not a valid number for `doc_type`, or None."""
    pattern = _PATTERNS.get(doc_type)
    if pattern is None:
        return "unknown document type"
    if not pattern.match(number):
        return "the number does not have the format of this document"
    if doc_type == "prc_id":
        if prc_check_char(number[:17]) != number[17]:
            return "the check character does not match"
        try:
            date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            return "the date of birth in the number is not a real date"
    return None
