"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

A holder's employer is identified by its code when a bonus application is
checked (rules s.3, item 26: "本市金融机构、金融科技类企业").  The code has
18 characters:

====== ================================================================
1      registration authority (登记管理部门代码)
2      organisation type under that authority (机构类别代码)
3-8    administrative division of the registering office (GB/T 2260)
9-17   subject identifier: an organisation code under GB 11714, whose
       last character is its own check character
18     check character over characters 1-17 (mod 31)
====== ================================================================

Input handling: :func:`uscc_problems` is strict and accepts only the
canonical form (upper case, no spaces).  Forms call :func:`normalize_uscc`
first, which trims the ends, folds full-width characters from Chinese input
methods (NFKC) and upper-cases, so "91440300 ..." typed in lower case or
full width is accepted after normalising, never silently inside the check.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

USCC_LENGTH = 18
"""GB 32100-2015: the code is 18 characters long."""

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""GB 32100-2015 character set: digits and 21 capitals (no I, O, S, V, Z); a
character's value is its position here."""

USCC_WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
"""GB 32100-2015 weights for characters 1-17 (3**i mod 31)."""

USCC_MODULUS = 31

ORG_CODE_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)
"""GB 11714 weights for the eight body characters of the organisation code."""

ORG_CODE_MODULUS = 11

DIVISION_SLICE = slice(2, 8)
ORG_CODE_SLICE = slice(8, 17)

REGISTRATION_TYPES: dict[str, frozenset[str]] = {
    # GB 32100-2015 table of registration authorities and their organisation
    # types, with the authorities assigned since (2-4, 6-8, A, N).  Only the
    # pairs listed are accepted; the check character still guards the rest.
    "1": frozenset("1239"),  # 机构编制: 机关, 事业单位, 编办管理的群众团体, 其他
    "2": frozenset("19"),  # 外交: 外国常驻新闻机构, 其他
    "3": frozenset("123459"),  # 司法行政: 律所, 公证处, 基层法律服务所, 司法鉴定, 仲裁委, 其他
    "4": frozenset("19"),  # 文化: 外国在华文化中心, 其他
    "5": frozenset("1239"),  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": frozenset("129"),  # 旅游: 外国/港澳台旅游部门常驻代表机构, 其他
    "7": frozenset("129"),  # 宗教: 宗教活动场所, 宗教院校, 其他
    "8": frozenset("19"),  # 工会: 基层工会, 其他
    "9": frozenset("123"),  # 工商 (now market regulation): 企业, 个体工商户, 农民专业合作社
    "A": frozenset("19"),  # 中央军委改革和编制办公室: 军队事业单位, 其他
    "N": frozenset("1239"),  # 农业: 组级/村级/乡镇级集体经济组织, 其他
    "Y": frozenset("1"),  # 其他
}

# Problem codes, stable identifiers the UI translates.
LENGTH = "LENGTH"
CHARSET = "CHARSET"
AUTHORITY = "AUTHORITY"
ORG_TYPE = "ORG_TYPE"
DIVISION = "DIVISION"
ORG_CODE_CHECK = "ORG_CODE_CHECK"
CHECK_CHAR = "CHECK_CHAR"

_VALUES = {ch: i for i, ch in enumerate(USCC_ALPHABET)}


@dataclass(frozen=True)
class UsccParts:
    """A valid code split into its fields."""

    authority: str
    org_type: str
    division: str
    org_code: str
    check: str


def normalize_uscc(raw: str) -> str:
    """Return `raw` as a code would be typed canonically: NFKC, trimmed, upper case."""
    return unicodedata.normalize("NFKC", raw).strip().upper()


def uscc_check_char(first17: str) -> str:
    """Compute the 18th character for the first 17 (canonical characters only)."""
    if len(first17) != USCC_LENGTH - 1:
        raise ValueError(f"need {USCC_LENGTH - 1} characters, got {len(first17)}")
    try:
        total = sum(_VALUES[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in the USCC alphabet") from None
    return USCC_ALPHABET[(USCC_MODULUS - total % USCC_MODULUS) % USCC_MODULUS]


def org_code_check_char(body8: str) -> str:
    """Compute the GB 11714 check character (0-9 or X) for an 8-character body."""
    if len(body8) != len(ORG_CODE_WEIGHTS):
        raise ValueError(f"need {len(ORG_CODE_WEIGHTS)} characters, got {len(body8)}")
    # GB 11714 values: digits as themselves, A-Z as 10-35 (base-36 digits).
    total = sum(int(ch, 36) * w for ch, w in zip(body8, ORG_CODE_WEIGHTS, strict=True))
    rest = ORG_CODE_MODULUS - total % ORG_CODE_MODULUS
    if rest == ORG_CODE_MODULUS:
        return "0"
    if rest == ORG_CODE_MODULUS - 1:
        return "X"
    return str(rest)


def uscc_problems(code: str) -> tuple[str, ...]:
    """List what is wrong with `code` (empty when valid); strict, canonical input only.

    A wrong length or a character outside the alphabet is reported alone:
    the field checks would only repeat it.
    """
    if len(code) != USCC_LENGTH:
        return (LENGTH,)
    if any(ch not in _VALUES for ch in code):
        return (CHARSET,)
    problems: list[str] = []
    types = REGISTRATION_TYPES.get(code[0])
    if types is None:
        problems.append(AUTHORITY)
    elif code[1] not in types:
        problems.append(ORG_TYPE)
    if not code[DIVISION_SLICE].isdigit():
        problems.append(DIVISION)
    org = code[ORG_CODE_SLICE]
    if org_code_check_char(org[:-1]) != org[-1]:
        problems.append(ORG_CODE_CHECK)
    if uscc_check_char(code[:-1]) != code[-1]:
        problems.append(CHECK_CHAR)
    return tuple(problems)


def is_valid_uscc(code: str) -> bool:
    """True when `code` is a canonical, valid unified social credit code."""
    return not uscc_problems(code)


def parse_uscc(code: str) -> UsccParts:
    """Split a valid code into its fields; ValueError naming the problems otherwise."""
    problems = uscc_problems(code)
    if problems:
        raise ValueError(f"invalid unified social credit code: {', '.join(problems)}")
    return UsccParts(
        authority=code[0],
        org_type=code[1],
        division=code[DIVISION_SLICE],
        org_code=code[ORG_CODE_SLICE],
        check=code[-1],
    )
