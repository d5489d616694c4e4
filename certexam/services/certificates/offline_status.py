"""The status of a certificate offline, from the body's signed status lists (issue 20.3).

`certexam certs verify --jwks` has no register. It learns a certificate's status from the signed
revocation and suspension lists (crypto/status_list.py), saved to files (--status-file) or fetched
(--status-url SITE, or --fetch-status: from the host in the QR URL). It acts on them like this:

* a revocation bit set in any list the body signed: REVOKED (revocation is final: admin.py reinstates
  only suspended certificates, so an expired list that shows it still tells the truth);
* a suspension bit set in a fresh list (exp not passed): SUSPENDED;
* both lists fresh and neither bit set: in good standing;
* anything else (no list, an expired one, none for a purpose, a token without an index): status
  unknown, never valid.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from certexam.crypto.jwks import VerificationKey
from certexam.crypto.status_list import (
    LIST_VALIDITY,
    MEDIA_TYPE,
    PURPOSES,
    REVOCATION,
    SUSPENSION,
    StatusList,
    read_list,
    status_list_url,
)
from certexam.domain.status_bits import StatusListError, bit_is_set, is_fresh

FETCH_TIMEOUT = 10  # seconds per list
FETCH_MAX_BYTES = 2 << 20  # a real list is about 200 bytes; refuse anything absurd


class Standing(StrEnum):
    """What the lists say about one certificate."""

    GOOD = "good"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class StatusSources:
    """Where the verifier's lists come from: saved texts, a site to fetch from, or the QR URL's host."""

    texts: tuple[str, ...] = ()
    url: str | None = None
    fetch_from_qr: bool = False

    @property
    def given(self) -> bool:
        return bool(self.texts or self.url or self.fetch_from_qr)


def site_of(qr_url: str) -> str | None:
    """The site (scheme://host) of a QR URL such as HTTPS://HOST/V/<token>; None for a bare token."""
    parts = urlsplit(qr_url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def fetch(site: str) -> list[tuple[str, str]]:
    """(url, text) of each list the site serves; an unreachable list is left out (the verdict says so)."""
    found = []
    for purpose in PURPOSES:
        url = status_list_url(site, purpose)
        if urlsplit(url).scheme not in ("http", "https"):  # never file: or other schemes
            continue
        request = urllib.request.Request(url, headers={"Accept": MEDIA_TYPE})  # noqa: S310 - http(s) only
        try:
            with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as resp:  # noqa: S310
                found.append((url, resp.read(FETCH_MAX_BYTES).decode("ascii", "replace")))
        except (OSError, ValueError):  # URLError and HTTPError are OSErrors
            continue
    return found


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _newest(lists: Iterable[StatusList]) -> dict[str, StatusList]:
    newest: dict[str, StatusList] = {}
    for found in lists:
        if found.purpose not in newest or found.issued_at > newest[found.purpose].issued_at:
            newest[found.purpose] = found
    return newest


def _gather(sources: StatusSources, qr_url: str | None, keys: Sequence[VerificationKey],
            now: datetime) -> tuple[list[str], list[StatusList]]:
    lines: list[str] = []
    texts = [(f"file {n}", text) for n, text in enumerate(sources.texts, start=1)]
    site = sources.url or (site_of(qr_url) if sources.fetch_from_qr and qr_url else None)
    if site:
        fetched = fetch(site)
        texts += fetched
        if len(fetched) < len(PURPOSES):
            lines.append(f"status list: could not fetch every list from {site}")
    elif sources.fetch_from_qr:
        lines.append("status list: no URL to fetch from (a bare token): give --status-url")
    read: list[StatusList] = []
    for origin, text in texts:
        try:
            read.append(read_list(text, keys, now))
        except StatusListError as exc:
            lines.append(f"status list: REJECTED ({origin}): {exc}")
    return lines, read


def standing(index: int | None, sources: StatusSources, qr_url: str | None, keys: Sequence[VerificationKey],
             now: datetime) -> tuple[list[str], Standing, str]:
    """(lines to print, the standing, why it is unknown when it is) for the certificate at ``index``."""
    if index is None:
        return [], Standing.UNKNOWN, "the token carries no status-list index (signed before the lists existed)"
    if not sources.given:
        return [], Standing.UNKNOWN, "no status list given: --status-file, --status-url or --fetch-status"
    lines, read = _gather(sources, qr_url, keys, now)
    newest = _newest(read)
    for found in newest.values():
        fresh = "fresh" if is_fresh(found.expires_at, now) else "EXPIRED"
        lines.append(f"status list: {found.purpose} of {_when(found.issued_at)}, valid until "
                     f"{_when(found.expires_at)} ({fresh}; key {found.kid})")
    try:
        if any(found.purpose == REVOCATION and bit_is_set(found.bits, index) for found in read):
            return lines, Standing.REVOKED, ""
        suspension = newest.get(SUSPENSION)
        if suspension and is_fresh(suspension.expires_at, now) and bit_is_set(suspension.bits, index):
            return lines, Standing.SUSPENDED, ""
    except StatusListError:
        return lines, Standing.UNKNOWN, "the certificate's index is outside the list"
    for purpose in PURPOSES:
        latest = newest.get(purpose)
        if latest is None:
            return lines, Standing.UNKNOWN, f"no {purpose} list"
        if not is_fresh(latest.expires_at, now):
            hours = int(LIST_VALIDITY.total_seconds() // 3600)
            return lines, Standing.UNKNOWN, (f"list older than {hours} hours: the {purpose} list expired at "
                                             f"{_when(latest.expires_at)}; fetch a fresh one")
    return lines, Standing.GOOD, ""
