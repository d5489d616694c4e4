"""What the public verification page of a token depends on, read cheaply (issue 20.8).

The page (services/certificates/verify.check_token and the transparency log's line) depends on the
token, the signing keys, the certificate's row, the log's size and the day. `stamp` reads all of them
but the token in one short query and a stat of the key store, so that a page rendered for one stamp can
be shown again while the stamp is unchanged (certificates/page_cache.py), and never once it changes: a
revocation, a suspension, a re-issue, a compromised key, a new log entry or midnight in Shanghai.
"""

from __future__ import annotations

import os
from typing import Any

import cbor2
from sqlalchemy import bindparam, select

from certexam import db
from certexam.crypto.claims import CertificateClaims
from certexam.crypto.cose import _split
from certexam.crypto.keystore import METADATA_FILE
from certexam.models import Certificate
from certexam.models.tlog import TlogHead
from certexam.services.certificates import keys
from certexam.services.platform import clock

Stamp = tuple[Any, ...]

# One statement: the log's size rides along as a scalar subquery (an outer join keeps it when the
# number is unknown).
_LOG_SIZE = select(TlogHead.size).scalar_subquery()
_ROW = (select(_LOG_SIZE, Certificate.id, Certificate.status, Certificate.status_changed_at,
               Certificate.replaced_by_id, Certificate.key_id, Certificate.token, Certificate.expires_on)
        .select_from(select(bindparam("number")).subquery("wanted"))
        .outerjoin(Certificate, Certificate.number == bindparam("number")))


def number_of(token: str) -> str | None:
    """The certificate number a token claims, without checking its signature (None if unreadable):
    only to find what to stamp; the page itself checks everything."""
    try:
        _protected, _header, payload, _sig = _split(token)
        return CertificateClaims.from_cbor(cbor2.loads(payload)).number
    except Exception:  # noqa: BLE001 - any malformed token is simply not cached
        return None


def _keys_changed() -> int:
    try:
        return os.stat(keys.keys_dir() / METADATA_FILE).st_mtime_ns
    except OSError:
        return 0


def stamp(number: str) -> Stamp:
    """Everything but the token that the page of a certificate number shows, as one comparable value."""
    row = db.session().connection().execute(_ROW, {"number": number}).first()
    return (tuple(row) if row is not None else None, _keys_changed(), clock.today())
