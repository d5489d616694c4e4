"""Backdating (issue 20.4): a certificate cannot be older than the key that signed it.

A token key publishes when it was created (the JWK set's "nbf", the key store's created_at); no
genuine token signed by it can carry an earlier date. A certificate dated 2022 under a key created in
2026 was signed later than it claims: someone with the key backdated it.

The date compared is the day the token was signed: its issue date, or, for a token re-signed under a
new key after a compromise (issue 20.6), the re-signing date the token carries. Both are
Asia/Shanghai calendar days; the key's creation is turned into one by the caller.
"""

from __future__ import annotations

from datetime import date, timedelta

BACKDATING_TOLERANCE = timedelta(days=2)
"""How far a signing date may precede its key's creation day and still count as genuine. A results
release dates its certificates the day it runs; a key rotated the next morning, before the PDFs were
made, would otherwise reject them. Two days also absorb any UTC/Beijing day boundary."""

BACKDATED_REASON = "backdated"
"""The reason code for "issue date precedes the signing key"."""


def is_backdated(signed_on: date, key_created_on: date, tolerance: timedelta = BACKDATING_TOLERANCE) -> bool:
    """True when the token's signing day precedes its key's creation day by more than ``tolerance``."""
    return key_created_on - signed_on > tolerance
