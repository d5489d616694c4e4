"""The published status lists (issue 20.3): allocation of indices, and the signed lists to serve.

A list is made from the register on request and kept in this process until the register's revoked
(or suspended) set changes or half its validity has passed; every worker keeps its own, and a change
made by another process shows at that worker's next request, since the set is read each time (one
indexed query over the few revoked or suspended rows). Signing needs the active token key: the web
process has the passphrase already (it signs receipts and PDFs on first download).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from certexam import db
from certexam.crypto.jwks import KeyStatus
from certexam.crypto.status_list import (
    LIST_VALIDITY,
    REVOCATION,
    SUSPENSION,
    list_credential,
    sign_list,
    status_list_url,
)
from certexam.domain.status_bits import LIST_BITS, StatusListError, bitstring, pick_index
from certexam.domain.verdict import CertStatus
from certexam.models import Certificate
from certexam.services.certificates import keys

_STATUS_OF = {REVOCATION: CertStatus.REVOKED, SUSPENSION: CertStatus.SUSPENDED}
_ALLOCATION_TRIES = 64  # a random index is taken with probability (issued / LIST_BITS); 64 misses in a row
# would mean the list is nearly full


def allocate_index(sess: Session) -> int:
    """A random status-list index no certificate has (domain/status_bits.pick_index says why random).

    Runs inside the issuing transaction; two issues racing for one index (a 1 in 131,072 chance) meet
    the unique index and the later one fails and is retried by running the issue again.
    """
    for _attempt in range(_ALLOCATION_TRIES):
        index = pick_index(())
        if sess.scalar(select(Certificate.id).where(Certificate.status_index == index)) is None:
            return index
    raise StatusListError(f"no free status-list index found: the list of {LIST_BITS} is nearly full")


@dataclass(frozen=True)
class SignedList:
    """One signed list ready to serve."""

    jws: str
    issued_at: datetime
    expires_at: datetime
    fingerprint: str  # of the indices set: how the cache sees a change


_cache: dict[tuple[str, str], SignedList] = {}  # (purpose, url) -> the list this process signed last
_lock = threading.Lock()


def _indices(purpose: str) -> list[int]:
    stmt = select(Certificate.status_index).where(Certificate.status == _STATUS_OF[purpose],
                                                  Certificate.status_index.is_not(None))
    return sorted(i for i in db.session().scalars(stmt) if i is not None)


def _fingerprint(kid: str, indices: list[int]) -> str:
    return hashlib.sha256(f"{kid}:{','.join(map(str, indices))}".encode("ascii")).hexdigest()[:32]


def signed_list(purpose: str, base_url: str, issuer: str, now: datetime) -> SignedList:
    """The signed list of ``purpose`` as the register stands now (KeyStoreError without the signing key)."""
    if purpose not in _STATUS_OF:
        raise ValueError(f"unknown status purpose {purpose!r}")
    url = status_list_url(base_url, purpose)
    indices = _indices(purpose)
    active = next((k.kid for k in keys.verification_keys() if k.status is KeyStatus.ACTIVE), "")
    fingerprint = _fingerprint(active, indices)  # a new key (rotation, compromise) signs a new list at once
    cached = _cache.get((purpose, url))
    if cached is not None and cached.fingerprint == fingerprint and now < cached.issued_at + LIST_VALIDITY / 2:
        return cached
    credential = list_credential(url, issuer, purpose, bitstring(indices), now)
    jws = sign_list(credential, keys.signing_store().active_signing_key())
    made = SignedList(jws, now.replace(microsecond=0), now.replace(microsecond=0) + LIST_VALIDITY, fingerprint)
    with _lock:
        _cache[(purpose, url)] = made
    return made
