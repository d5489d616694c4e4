"""What a QR token says about a certificate, and its CBOR payload in both versions.

Version 2 (issue 20.2) is a CWT claims set (RFC 8392) whose size does not depend on the names:

    2  sub  text  the certificate number (certexam.domain.certno): the issuing body and the level included
    6  iat  uint  the issue date: 00:00 Asia/Shanghai that day, as a NumericDate
    4  exp  uint  00:00 Asia/Shanghai after the last valid day; absent when the certificate does not expire
    7  cti  bstr  8 random bytes: the token's id, and the salt of the names' commitment
   "d"      text  the level-2 direction (catalogue.DIRECTIONS); absent on level 1
   "n"      bstr  16 bytes: the salted commitment to the Chinese and then the English name
                  (certexam.domain.masking.name_commitment); never the names themselves
   "s"      uint  the certificate's index in the status lists (issue 20.3, crypto/status_list.py)
   "r"      uint  on a token signed again under a new key after a compromise (issue 20.6) only: the
                  whole days from the issue date to that day. The backdating rule compares the signing
                  day with the key's creation (domain/backdating.py)

Tokens signed before the status lists (issue 20.3) also carry 1 iss "SHMFTPP", "v" 2 (the payload
version) and "l" the level; all three repeat what the number says, and leaving them out paid for "s"
and "r" inside QR version 12 (a level-2 URL was at the version's 296 characters already). They are
still read, and checked against the number when present. A map with "n" (or "v") is version 2.

Private claims have one-letter text keys. The IANA CWT claims registry holds integer keys only, and
its negative integers from -1 to -256 are kept for standards (-257 to -260 are taken already), so a
text key collides with nothing, at one byte more than a small integer; private-use integers (below
-65536) would cost five bytes each. nbf is left out: a certificate is valid from its issue date, which
iat already says. The status-list index is below 2**17 (domain/status_bits.LIST_BITS), so "s" costs at
most seven bytes and "r" at most five; a re-signed level-2 URL with the largest index still fits QR
version 12 (tests/integration/test_status_list.py).

Version 1 (every token issued before) has small integer keys that collide with the CWT claims and
carries the names in clear: 1 number, 2 name in Chinese, 3 name in English, 4 direction, 5 issue date
and 6 expiry (days since 1970-01-01). It is read as before, so what was issued keeps verifying; it is
never signed again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from certexam.domain.catalogue import DIRECTIONS
from certexam.domain.certno import CertificateNumberError, parse_number
from certexam.domain.masking import (
    COMMITMENT_BYTES,
    COMMITMENT_SALT_BYTES,
    commitment_matches,
    name_commitment,
    name_matches,
)

ISSUER = "SHMFTPP"  # rules s.1: the programme's short name, the prefix of every certificate number
PAYLOAD_VERSION = 2
# Registered CWT claim keys (RFC 8392 s.3.1 and 9).
CWT_ISS, CWT_SUB, CWT_EXP, CWT_NBF, CWT_IAT, CWT_CTI = 1, 2, 4, 5, 6, 7
# Private claims (text keys: see the module docstring).
CLAIM_VERSION, CLAIM_LEVEL, CLAIM_DIRECTION, CLAIM_NAMES = "v", "l", "d", "n"
CLAIM_STATUS_INDEX, CLAIM_RESIGNED = "s", "r"
MAX_STATUS_INDEX = 2**32 - 1  # a sanity bound; the lists themselves are far shorter
_V2_REQUIRED = frozenset({CWT_SUB, CWT_IAT, CWT_CTI, CLAIM_NAMES})
_V2_ALL = _V2_REQUIRED | {CWT_EXP, CLAIM_DIRECTION, CLAIM_STATUS_INDEX, CLAIM_RESIGNED,
                          CWT_ISS, CLAIM_VERSION, CLAIM_LEVEL}  # the last three: tokens before issue 20.3
# Version 1 keys (tokens issued before issue 20.2).
V1_NUMBER, V1_NAME_ZH, V1_NAME_EN, V1_DIRECTION, V1_ISSUED, V1_EXPIRES = 1, 2, 3, 4, 5, 6
_V1_REQUIRED = frozenset({V1_NUMBER, V1_NAME_ZH, V1_NAME_EN, V1_ISSUED})
_V1_ALL = _V1_REQUIRED | {V1_DIRECTION, V1_EXPIRES}

DIRECTION_LEVEL = 2  # rules s.2: "the level-2 certificate names the direction"
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY = 86_400
_SHANGHAI_OFFSET = 8 * 3600  # UTC+8 all year (no daylight saving since 1991): dates are Beijing dates


class ClaimsError(ValueError):
    """The claims do not describe a well-formed certificate."""


@dataclass(frozen=True)
class NameCommitment:
    """A salted commitment to the holder's two names (version 2)."""

    salt: bytes
    digests: bytes

    @classmethod
    def of(cls, name_zh: str, name_en: str, salt: bytes | None = None) -> NameCommitment:
        salt = secrets.token_bytes(COMMITMENT_SALT_BYTES) if salt is None else salt
        return cls(salt, name_commitment(salt, name_zh, name_en))

    def matches(self, typed: str) -> bool:
        return commitment_matches(typed, self.salt, self.digests)

    def commits_to(self, name_zh: str, name_en: str) -> bool:
        return name_commitment(self.salt, name_zh, name_en) == self.digests


@dataclass(frozen=True)
class CertificateClaims:
    """What the token says about the certificate.

    Version 2 carries `commitment`; a version-1 token carries `name_zh` and `name_en` in clear instead.
    """

    number: str
    issued_on: date
    direction: str | None = None
    expires_on: date | None = None
    commitment: NameCommitment | None = None
    name_zh: str | None = None  # version 1 only
    name_en: str | None = None
    status_index: int | None = None  # version 2: the index in the status lists (issue 20.3)
    resigned_on: date | None = None  # version 2: signed again on this day under a new key (issue 20.6)

    def __post_init__(self) -> None:
        try:
            parsed = parse_number(self.number)
        except CertificateNumberError as exc:
            raise ClaimsError(str(exc)) from exc
        if str(parsed) != self.number:
            raise ClaimsError("number is not in canonical form")
        if (self.direction is not None) != (parsed.level == DIRECTION_LEVEL):
            raise ClaimsError("a direction is named on level-2 certificates, and only there")
        if self.direction is not None and self.direction not in DIRECTIONS:
            raise ClaimsError(f"unknown direction {self.direction!r}")
        legacy = self.name_zh is not None or self.name_en is not None
        if legacy == (self.commitment is not None):
            raise ClaimsError("the names are either committed to (version 2) or in clear (version 1)")
        if legacy and not ((self.name_zh or "").strip() or (self.name_en or "").strip()):
            raise ClaimsError("the holder needs a name")
        if self.commitment is not None and (len(self.commitment.salt) != COMMITMENT_SALT_BYTES
                                            or len(self.commitment.digests) != COMMITMENT_BYTES):
            raise ClaimsError("the names' commitment has the wrong size")
        if self.expires_on is not None and self.expires_on < self.issued_on:
            raise ClaimsError("expires before it is issued")
        if self.status_index is not None and (type(self.status_index) is not int
                                              or not 0 <= self.status_index <= MAX_STATUS_INDEX):
            raise ClaimsError("the status-list index is not a small non-negative integer")
        if self.resigned_on is not None and self.resigned_on < self.issued_on:
            raise ClaimsError("signed again before it was issued")

    @property
    def signed_on(self) -> date:
        """The day the token was signed: re-signed, or else issued (what the backdating rule compares)."""
        return self.resigned_on or self.issued_on

    @classmethod
    def for_holder(cls, number: str, name_zh: str, name_en: str, issued_on: date, direction: str | None = None,
                   expires_on: date | None = None, *, salt: bytes | None = None, status_index: int | None = None,
                   resigned_on: date | None = None) -> CertificateClaims:
        """Version-2 claims for a holder: the names go in only as a fresh salted commitment."""
        return cls(number, issued_on, direction, expires_on, NameCommitment.of(name_zh, name_en, salt),
                   status_index=status_index, resigned_on=resigned_on)

    @property
    def level(self) -> int:
        """The certificate level, read from the number."""
        return parse_number(self.number).level

    @property
    def version(self) -> int:
        return 1 if self.commitment is None else PAYLOAD_VERSION

    def names_match(self, typed: str) -> bool:
        """Whether a typed name is the holder's Chinese or English name (as the token says)."""
        if self.commitment is not None:
            return self.commitment.matches(typed)
        return name_matches(typed, self.name_zh, self.name_en)

    def names_are(self, name_zh: str, name_en: str) -> bool:
        """Whether the token was made for exactly these names (the register's)."""
        if self.commitment is not None:
            return self.commitment.commits_to(name_zh, name_en)
        return (self.name_zh, self.name_en) == (name_zh, name_en)

    def to_cbor(self) -> dict[int | str, Any]:
        """The payload map (version 1 claims are only read, never signed again)."""
        if self.commitment is None:
            raise ClaimsError("version-1 claims are not signed any more")
        claims: dict[int | str, Any] = {
            CWT_SUB: self.number, CWT_IAT: _numeric_date(self.issued_on), CWT_CTI: self.commitment.salt,
            CLAIM_NAMES: self.commitment.digests,
        }
        if self.expires_on is not None:
            claims[CWT_EXP] = _numeric_date(self.expires_on + timedelta(days=1))
        if self.direction is not None:
            claims[CLAIM_DIRECTION] = self.direction
        if self.status_index is not None:
            claims[CLAIM_STATUS_INDEX] = self.status_index
        if self.resigned_on is not None:
            claims[CLAIM_RESIGNED] = (self.resigned_on - self.issued_on).days
        return claims

    @classmethod
    def from_cbor(cls, claims: object) -> CertificateClaims:
        """Read a payload map of either version strictly; ClaimsError on anything unexpected."""
        if not isinstance(claims, dict):
            raise ClaimsError("not a certificate claims map")
        if CLAIM_NAMES in claims or CLAIM_VERSION in claims:  # version 1 has integer keys only
            return _from_v2(claims)
        return _from_v1(claims)


def _numeric_date(day: date) -> int:
    return (day.toordinal() - _EPOCH_ORDINAL) * _DAY - _SHANGHAI_OFFSET


def _date_of(value: object) -> date:
    if type(value) is not int or (value + _SHANGHAI_OFFSET) % _DAY:  # bool is an int subclass: excluded
        raise ClaimsError("a date claim is not 00:00 Asia/Shanghai as an integer NumericDate")
    return _day((value + _SHANGHAI_OFFSET) // _DAY)


def _after(day: date, days: int) -> date:
    if days < 0:
        raise ClaimsError("signed again before it was issued")
    try:
        return day + timedelta(days=days)
    except OverflowError as exc:
        raise ClaimsError("date out of range") from exc


def _day(days: int) -> date:
    try:
        return date.fromordinal(_EPOCH_ORDINAL + days)
    except (ValueError, OverflowError) as exc:
        raise ClaimsError("date out of range") from exc


def _from_v2(claims: dict[Any, Any]) -> CertificateClaims:
    version = claims.get(CLAIM_VERSION, PAYLOAD_VERSION)
    if not _V2_REQUIRED <= set(claims) <= _V2_ALL or version != PAYLOAD_VERSION or type(version) is not int:
        raise ClaimsError("not a version-2 certificate claims map")
    if claims.get(CWT_ISS, ISSUER) != ISSUER or not isinstance(claims[CWT_SUB], str):
        raise ClaimsError("not issued by this body, or no certificate number")
    salt, digests, direction = claims[CWT_CTI], claims[CLAIM_NAMES], claims.get(CLAIM_DIRECTION)
    if not (isinstance(salt, bytes) and isinstance(digests, bytes)) or not isinstance(direction, str | None):
        raise ClaimsError("a claim has the wrong type")
    expires, index, resigned = claims.get(CWT_EXP), claims.get(CLAIM_STATUS_INDEX), claims.get(CLAIM_RESIGNED)
    if any(value is not None and type(value) is not int for value in (index, resigned)):  # bool excluded
        raise ClaimsError("the status-list index or the re-signing day is not an integer")
    issued_on = _date_of(claims[CWT_IAT])
    parsed = CertificateClaims(
        number=claims[CWT_SUB], issued_on=issued_on, direction=direction,
        expires_on=None if expires is None else _date_of(expires) - timedelta(days=1),
        commitment=NameCommitment(salt, digests), status_index=index,
        resigned_on=None if resigned is None else _after(issued_on, resigned))
    level = claims.get(CLAIM_LEVEL, parsed.level)
    if type(level) is not int or level != parsed.level:
        raise ClaimsError("the level claim differs from the number's")
    return parsed


def _from_v1(claims: dict[Any, Any]) -> CertificateClaims:
    if not _V1_REQUIRED <= set(claims) <= _V1_ALL:
        raise ClaimsError("not a certificate claims map")
    texts = (V1_NUMBER, V1_NAME_ZH, V1_NAME_EN) + ((V1_DIRECTION,) if V1_DIRECTION in claims else ())
    ints = (V1_ISSUED,) + ((V1_EXPIRES,) if V1_EXPIRES in claims else ())
    if not all(isinstance(claims[k], str) for k in texts):
        raise ClaimsError("a text claim is not text")
    if not all(type(claims[k]) is int for k in ints):  # bool is an int subclass: exclude it
        raise ClaimsError("an integer claim is not an integer")
    expires = claims.get(V1_EXPIRES)
    return CertificateClaims(
        number=claims[V1_NUMBER], issued_on=_day(claims[V1_ISSUED]), direction=claims.get(V1_DIRECTION),
        expires_on=None if expires is None else _day(expires),
        name_zh=claims[V1_NAME_ZH], name_en=claims[V1_NAME_EN])


def v1_payload(number: str, name_zh: str, name_en: str, issued_on: date, direction: str | None = None,
               expires_on: date | None = None) -> dict[int, Any]:
    """A version-1 payload map, as tokens were issued before issue 20.2 (for tests of old tokens)."""
    claims: dict[int, Any] = {V1_NUMBER: number, V1_NAME_ZH: name_zh, V1_NAME_EN: name_en,
                              V1_ISSUED: issued_on.toordinal() - _EPOCH_ORDINAL}
    if direction is not None:
        claims[V1_DIRECTION] = direction
    if expires_on is not None:
        claims[V1_EXPIRES] = expires_on.toordinal() - _EPOCH_ORDINAL
    return claims
