"""Password hashing with Argon2id, a memory-hard scheme."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's RFC 9106 "low memory" profile: 64 MiB, 3 passes.
_hasher = PasswordHasher()

# A hash of a random password, checked when the account does not exist so that
# an unknown email takes as long to reject as a wrong password.
_DUMMY = _hasher.hash("certexam-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
