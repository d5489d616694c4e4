"""Certificate numbers: SHMFTPP-L<level>-<year>-<serial>-<check>.

Example: ``SHMFTPP-L2-2026-000123-2``.  The check character is ISO/IEC 7064
MOD 11-2 (the scheme of the Chinese resident identity number, GB 11643) computed
over the eleven digits level + year + serial; its value 10 is written ``X``.
MOD 11-2 is a "pure" ISO 7064 system: it detects every single-character
substitution and every adjacent transposition among those digits.  The letters
and hyphens are fixed, so a change there fails the format check instead.
(A hybrid MOD 37,36 over the alphanumerics was tried and rejected: it lets
some adjacent transpositions of digits through.)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

PROGRAMME_PREFIX = "SHMFTPP"
"""rules s.1: the programme is the "深港澳金融科技师专才计划" (SHMFTPP)."""

LEVELS: tuple[int, ...] = (1, 2, 3, 4)
"""rules s.2: "Two exam levels ... Levels 3 and 4 are planned as assessments";
all four may one day issue certificates."""

SERIAL_DIGITS = 6
"""Serial width.  rules s.1 targets 3,000 holders by 2025, so a million serials
per level and year leaves ample room."""

YEAR_DIGITS = 4
MIN_YEAR = 2000
"""Sanity bound, not a programme rule: the programme (rules s.1, plan 2022-2025)
began long after, and legacy holders imported later must still fit."""

MAX_SERIAL = 10**SERIAL_DIGITS - 1

_MOD = 11  # ISO/IEC 7064 MOD 11-2: modulus 11 ...
_RADIX = 2  # ... and radix 2
_TEN = "X"  # how the check value 10 is written

_PATTERN = re.compile(
    rf"{PROGRAMME_PREFIX}-L(?P<level>[0-9])-(?P<year>[0-9]{{{YEAR_DIGITS}}})"
    rf"-(?P<serial>[0-9]{{{SERIAL_DIGITS}}})-(?P<check>[0-9X])"
)


class CertificateNumberError(ValueError):
    """The text is not a well-formed certificate number."""


@dataclass(frozen=True, order=True)
class CertificateNumber:
    """A parsed certificate number; ``str()`` gives the canonical form."""

    level: int
    year: int
    serial: int

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise CertificateNumberError(f"level {self.level} is not one of {LEVELS}")
        if not MIN_YEAR <= self.year < 10**YEAR_DIGITS:
            raise CertificateNumberError(f"year {self.year} is out of range")
        if not 0 < self.serial <= MAX_SERIAL:
            raise CertificateNumberError(f"serial {self.serial} is out of range 1..{MAX_SERIAL}")

    @property
    def digits(self) -> str:
        """The digits the check character protects."""
        return f"{self.level}{self.year:0{YEAR_DIGITS}d}{self.serial:0{SERIAL_DIGITS}d}"

    def __str__(self) -> str:
        return (
            f"{PROGRAMME_PREFIX}-L{self.level}-{self.year:0{YEAR_DIGITS}d}"
            f"-{self.serial:0{SERIAL_DIGITS}d}-{check_character(self.digits)}"
        )


def check_character(digits: str) -> str:
    """Return the ISO/IEC 7064 MOD 11-2 check character ('0'-'9' or 'X') for a digit string."""
    if not digits or not digits.isascii() or not digits.isdigit():
        raise CertificateNumberError("the check character is computed over ASCII digits only")
    total = 0
    for char in digits:
        total = ((total + int(char)) * _RADIX) % _MOD
    value = (_MOD + 1 - total) % _MOD
    return _TEN if value == 10 else str(value)


def format_number(level: int, year: int, serial: int) -> str:
    """Return the canonical certificate number text."""
    return str(CertificateNumber(level, year, serial))


def normalise(text: str) -> str:
    """Fold what people and OCR do to a typed number: width, case, outer spaces."""
    return unicodedata.normalize("NFKC", text).strip().upper()


def parse_number(text: str) -> CertificateNumber:
    """Parse a certificate number, checking format and check character."""
    match = _PATTERN.fullmatch(normalise(text))
    if match is None:
        raise CertificateNumberError("not of the form SHMFTPP-L<level>-<year>-<serial>-<check>")
    number = CertificateNumber(int(match["level"]), int(match["year"]), int(match["serial"]))
    if check_character(number.digits) != match["check"]:
        raise CertificateNumberError("check character does not match: mistyped number")
    return number


def is_valid_number(text: str) -> bool:
    """True when ``text`` parses as a certificate number with a correct check character."""
    try:
        parse_number(text)
    except CertificateNumberError:
        return False
    return True
