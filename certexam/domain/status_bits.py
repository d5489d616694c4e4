"""Status-list bitstrings: W3C Bitstring Status List v1.0 encoding and the freshness rule (issue 20.3).

The bitstring holds one bit per certificate at its status-list index; bit 0 is the most significant
bit of the first byte (v1.0 s.3.2 "the left-most bit ... is index 0"). encodedList is the
GZIP-compressed bitstring in base64url without padding, with the multibase prefix "u" (v1.0 s.2.1).
The list is never shorter than LIST_BITS, the 16 KB the specification recommends for herd privacy
(s.5.1): a verifier fetching it learns nothing about which certificate it checks.

A verifier acts only on a fresh list: is_fresh() says whether its validity (the signed "exp") has
not passed; a stale list answers "status unknown", never "valid".
"""

from __future__ import annotations

import base64
import gzip
import io
import secrets
from collections.abc import Collection, Iterable
from datetime import datetime

LIST_BITS = 131_072  # v1.0 s.5.1: "a minimum ... of 131,072 entries" (16 KB) for group privacy
LIST_BYTES = LIST_BITS // 8
MULTIBASE_BASE64URL = "u"  # multibase prefix of base64url without padding (v1.0 s.2.1 encodedList)
_MAX_COMPRESSED = 1 << 20  # an encodedList far bigger than any real one is refused before inflating
_MAX_BITS = 1 << 26  # 8 MB of bits: refuse to inflate a "zip bomb"


class StatusListError(ValueError):
    """An encodedList that is not a Bitstring Status List we can read."""


def bitstring(indices: Iterable[int], size: int = LIST_BITS) -> bytes:
    """The bitstring of ``size`` bits with the bits at ``indices`` set."""
    if size < LIST_BITS or size % 8:
        raise StatusListError(f"a status list has at least {LIST_BITS} bits, in whole bytes")
    bits = bytearray(size // 8)
    for index in indices:
        if not 0 <= index < size:
            raise StatusListError(f"index {index} is outside the list")
        bits[index // 8] |= 0x80 >> (index % 8)
    return bytes(bits)


def encode_list(bits: bytes) -> str:
    """encodedList: multibase base64url (no padding) of the GZIP-compressed bitstring.

    mtime=0 keeps the encoding a function of the bits alone (the same list, the same text).
    """
    packed = gzip.compress(bits, mtime=0)
    return MULTIBASE_BASE64URL + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def decode_list(encoded: str) -> bytes:
    """The bitstring of an encodedList; StatusListError if it is not one."""
    if not isinstance(encoded, str) or not encoded.startswith(MULTIBASE_BASE64URL) \
            or len(encoded) > _MAX_COMPRESSED:
        raise StatusListError("encodedList is not multibase base64url ('u' prefix)")
    body = encoded[1:]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        with gzip.GzipFile(fileobj=io.BytesIO(packed)) as stream:
            bits = stream.read(_MAX_BITS // 8 + 1)
    except (ValueError, OSError, EOFError) as exc:
        raise StatusListError(f"encodedList is not GZIP base64url: {exc}") from exc
    if len(bits) > _MAX_BITS // 8:
        raise StatusListError("the status list is implausibly long")
    if len(bits) < LIST_BYTES:
        raise StatusListError(f"the status list is shorter than {LIST_BITS} bits")
    return bits


def bit_is_set(bits: bytes, index: int) -> bool:
    """The status bit of the certificate at ``index`` (StatusListError when outside the list)."""
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(f"index {index} is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def is_fresh(expires_at: datetime, now: datetime) -> bool:
    """Whether a list whose validity ends at ``expires_at`` may still be acted on at ``now``."""
    return now < expires_at


def pick_index(taken: Collection[int], size: int = LIST_BITS) -> int:
    """A random free index: random, not sequential, so an index does not tell when a certificate was
    issued or how many were (v1.0 s.5.2 recommends random assignment)."""
    if len(taken) >= size:
        raise StatusListError("the status list is full")
    while True:
        index = secrets.randbelow(size)
        if index not in taken:
            return index
