"""Identity-document checks and what a name may hold (pure)."""

from __future__ import annotations

import re
import unicodedata
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


# Names (issue 19.10): they appear on admin pages, the public verification page and certificates,
# so text that changes how its neighbours display, or that shows nothing, is refused rather than
# stored. Unicode UTS #39 (security mechanisms) is the reference: default-ignorable and format
# characters, controls, and code points that are not text have no place in a person's name.
# Lengths (issue 20.1: registration took 200 characters, and the certificate could not print them).
# Chinese names, transliterated foreign ones included ("玛丽亚·费尔南达·多斯桑托斯·奥利维拉·佩雷拉·达科斯塔",
# 28), fit in 50 characters; names in Latin letters with several family names, as Portuguese and
# Spanish ones have, in 200. Both lengths print on the certificate (certpdf/layout.py wraps long
# names onto two and three lines) and fit the register's columns (100 and 200).
NAME_ZH_MAX, NAME_EN_MAX, NAME_FAMILY_MAX = 50, 200, 100
NAME_FORMAT, NAME_LINE_BREAK, NAME_NOT_TEXT, NAME_NO_LETTER = "format", "line_break", "not_text", "no_letter"
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def normalise_name(value: str) -> str:
    """NFC (one spelling for one name), outer spaces stripped, inner runs of spaces made one. Only
    U+0020: a line break or tab is not folded away but refused (name_problem), saying why."""
    return re.sub(" {2,}", " ", unicodedata.normalize("NFC", value)).strip(" ")


def name_problem(value: str) -> str | None:
    """Why `value` cannot be a name (one of the codes above), or None. Run on the normalised name."""
    for ch in value:
        category = unicodedata.category(ch)
        if ch in _BIDI or category == "Cf":  # direction marks, zero-width characters, byte-order mark
            return NAME_FORMAT
        if category in ("Cc", "Zl", "Zp"):  # controls, CR/LF, U+2028/U+2029
            return NAME_LINE_BREAK
        if category in ("Co", "Cn", "Cs"):  # private use, unassigned, lone surrogates
            return NAME_NOT_TEXT
    if not any(unicodedata.category(ch).startswith("L") for ch in value):
        return NAME_NO_LETTER
    return None


# Family names (issue 19.11): the public lookup takes the number and the holder's family name, and
# matches the family name alone, so "Tai" and "Man" no longer find "Chan Tai Man". The family name is
# written as in the English (or pinyin) name, where a verifier reads it on the certificate.
NAME_FAMILY_NOT_IN_NAME = "family_not_in_name"
_WORD_SEPARATORS = re.compile(r"[\s,]+")


def name_words(value: str) -> list[str]:
    """The words of a name, case-folded (commas, as in "CHAN, Tai Man", separate words too)."""
    return [w for w in _WORD_SEPARATORS.split(unicodedata.normalize("NFC", value).casefold()) if w]


def default_family_name(name_en: str) -> str:
    """The family name certexam assumed before it asked (the first word: "Chan Tai Man", "Li Ming")."""
    words = normalise_name(name_en).replace(",", " ").split()
    return words[0] if words else ""


def family_name_problem(family: str, name_en: str) -> str | None:
    """Why `family` cannot be the family name of `name_en` (a code above), or None: it must be a name,
    and one or more whole words of the English name in their order ("Costa", "Pereira da Costa")."""
    found = name_problem(family)
    if found is not None:
        return found
    wanted, words = name_words(family), name_words(name_en)
    if not any(words[i:i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1)):
        return NAME_FAMILY_NOT_IN_NAME
    return None
