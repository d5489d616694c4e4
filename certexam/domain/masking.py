"""Holder names on the public verification page: masking and matching.

The public page must not show personal data in clear (what-users-expect.md,
"Privacy: no clear-text personal data on a public page"), but a verifier who
already knows the name may type it to see it confirmed.

Masking rule (one rule, by script):

* A name holding any CJK ideograph is masked character by character, spaces
  ignored: keep the first character, and the last one when there are three or
  more; the middle becomes a single ``*`` whatever its length.  张三明 -> 张*明,
  欧阳明 -> 欧*明 (two-character surnames are not guessed: the rule never needs
  to know where the surname ends), 欧阳明华 -> 欧*华, 张三 -> 张*.
* Any other name is masked word by word: the first character of each word and a
  fixed ``***``.  "Li Ming" -> "L*** M***".  The fixed width is deliberate: a
  mask that keeps the length (L* M***) narrows a brute-force search a lot for
  short romanised names, and shows nothing the verifier needs.
* A name of a single character is masked entirely (``*``), so the mask never
  contains the whole name.

Matching: both sides are NFKC-normalised, case-folded and their white space
collapsed; spaces are ignored in names with CJK ideographs, and the word order
of other names is ignored ("Ming Li" matches "Li Ming", the two usual orders of
a romanised Chinese name).  Either the Chinese or the English name may match.
Traditional and simplified forms (張/张) are NOT folded: the standard library has
no table for it.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

MASK = "*"
WORD_MASK = MASK * 3  # fixed width: does not reveal the length of a word


def _is_cjk(char: str) -> bool:
    # Covers "CJK UNIFIED IDEOGRAPH-..." (all extensions) and "CJK COMPATIBILITY IDEOGRAPH-...".
    return unicodedata.name(char, "").startswith("CJK ")


def has_cjk(text: str) -> bool:
    """True when the text holds at least one CJK ideograph."""
    return any(_is_cjk(char) for char in text)


def _tidy(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).split())


def mask_name(name: str) -> str:
    """Return the masked form of a holder name for the public page ('' for an empty name)."""
    text = _tidy(name)
    if not text:
        return ""
    if has_cjk(text):
        chars = text.replace(" ", "")
        if len(chars) == 1:
            return MASK
        if len(chars) == 2:
            return chars[0] + MASK
        return chars[0] + MASK + chars[-1]
    words = text.split(" ")
    if len(words) == 1 and len(words[0]) == 1:
        return MASK
    return " ".join(word[0] + WORD_MASK for word in words)


def matching_key(name: str) -> str:
    """The form two names are compared in (see the module docstring)."""
    text = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    if has_cjk(text):
        return text.replace(" ", "")
    return " ".join(sorted(text.split(" ")))


def _digest(text: str) -> bytes:
    # Comparing fixed-size digests keeps compare_digest from leaking the length.
    return hashlib.sha256(text.encode("utf-8")).digest()


def name_matches(typed: str, name_zh: str | None, name_en: str | None) -> bool:
    """True when the typed name matches the holder's Chinese or English name.

    Both names are always compared (no short cut), in constant time.
    """
    key = matching_key(typed)
    typed_digest = _digest(key)
    matched = False
    for candidate in (name_zh, name_en):
        candidate_key = matching_key(candidate or "")
        same = hmac.compare_digest(typed_digest, _digest(candidate_key))
        matched |= same and bool(candidate_key)
    return matched and bool(key)


# -- the names in the QR token: a salted commitment, never the names (issue 20.2) ----------------
# Each name is committed to on its own, so a verifier who knows only one of them can check it:
# HMAC-SHA-256 keyed with the token's random salt over the name's matching key (above), cut to
# COMMITMENT_DIGEST_BYTES. The salt travels in the token, so anyone holding it can test a guess, as
# the verification page lets anyone do; what the salt stops is one precomputed table of names
# serving for every token. 64 bits per name keep the token inside QR version 12; a wrong name
# matches by chance once in 2^64 tries, and a forger cannot choose the commitment (it is signed).
COMMITMENT_SALT_BYTES = 8
COMMITMENT_DIGEST_BYTES = 8
COMMITMENT_BYTES = 2 * COMMITMENT_DIGEST_BYTES  # the Chinese name's digest, then the English name's


def _commit(salt: bytes, name: str) -> bytes:
    key = matching_key(name).encode("utf-8")
    return hmac.new(salt, key, hashlib.sha256).digest()[:COMMITMENT_DIGEST_BYTES]


def name_commitment(salt: bytes, name_zh: str, name_en: str) -> bytes:
    """The commitment to both names under `salt` (what the token carries instead of them)."""
    return _commit(salt, name_zh) + _commit(salt, name_en)


def commitment_matches(typed: str, salt: bytes, commitment: bytes) -> bool:
    """True when the typed name is the Chinese or the English name committed to; constant time."""
    mine = _commit(salt, typed)
    matched = False
    for start in range(0, len(commitment), COMMITMENT_DIGEST_BYTES):
        matched |= hmac.compare_digest(mine, commitment[start:start + COMMITMENT_DIGEST_BYTES])
    return matched and bool(matching_key(typed)) and len(commitment) == COMMITMENT_BYTES
