"""What a new password must be, after NIST SP 800-63B (5.1.1.2, memorized secrets). Pure.

The probe (issue 19.9) had `password12`, `1234567890`, the account's own email, ten
zero-width spaces and ten emoji all accepted: the rule was length only. Now, on the
password as NFKC-normalised (the form it is hashed in too, so that the same
password typed as composed or decomposed characters is the same password):

- at least MIN_LENGTH characters that show (format characters such as zero-width
  spaces and controls do not count), at most MAX_LENGTH;
- not on the list of common passwords (the caller's lookup: over four million
  entries, services/accounts/passwords.py), as typed or in lower case;
- not repetitive (fewer than MIN_DISTINCT different characters) or sequential
  (each character one code point from the last, up or down);
- not containing context-specific words (800-63B: "the username, and
  derivatives"): the email or its local part, the name, the ID number, the
  service's name.

No composition rules (800-63B: "SHALL NOT impose other composition rules") and no
expiry. Spaces and every printable character are allowed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable

MIN_LENGTH = 10  # 800-63B asks 8 at least; 10 keeps every entry of the list we ship within reach
MAX_LENGTH = 200  # 800-63B: permit at least 64
MIN_DISTINCT = 4
MIN_CONTEXT_WORD = 4  # a shorter name or email part would refuse too much ("li@...", "Wu")
SERVICE_WORDS = ("certexam",)

TOO_SHORT, TOO_LONG, COMMON, REPETITIVE, SEQUENTIAL, PERSONAL = (
    "too_short", "too_long", "common", "repetitive", "sequential", "personal")


def normalise(password: str) -> str:
    """NFKC, as the password is checked and hashed (800-63B 5.1.1.2)."""
    return unicodedata.normalize("NFKC", password)


def _shown(text: str) -> str:
    """The characters that show: without format (Cf: zero-width, bidi marks) and control (Cc) characters."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))


def _folded(text: str) -> str:
    return "".join(_shown(normalise(text)).casefold().split())


KEY_ROWS = ("01234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")  # sequences that step by key, not code point


def _is_sequence(text: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    if len(steps) == 1 and steps <= {1, -1}:
        return True
    low = text.casefold()
    return any(low in row or low in row[::-1] for row in KEY_ROWS)


def _long_enough(word: str) -> bool:
    """Long enough to be a context word: 4 characters, or 2 in a CJK script (a two-character name)."""
    return len(word) >= MIN_CONTEXT_WORD or (len(word) >= 2 and any(ord(ch) >= 0x2E80 for ch in word))


def context_words(email: str, names: Iterable[str], others: Iterable[str] = ()) -> list[str]:
    """The words a password of this account must not contain, folded as passwords are compared."""
    # Whole names only: a part such as "chan" of "Chan Tai Man" would refuse "change-my-mind".
    words = [email, email.partition("@")[0], *names, *others, *SERVICE_WORDS]
    return sorted({w for w in map(_folded, words) if _long_enough(w)})


def problem(password: str, is_common: Callable[[str], bool], context: Iterable[str] = ()) -> str | None:
    """Why `password` may not be chosen (one of the codes above), or None."""
    text = normalise(password)
    shown = _shown(text)
    if len(shown) < MIN_LENGTH:
        return TOO_SHORT
    if len(text) > MAX_LENGTH:
        return TOO_LONG
    if len(set(shown.casefold())) < MIN_DISTINCT:
        return REPETITIVE
    if _is_sequence(shown):
        return SEQUENTIAL
    if is_common(text) or is_common(text.lower()):
        return COMMON
    folded = _folded(text)
    if any(word in folded for word in context):
        return PERSONAL
    return None
