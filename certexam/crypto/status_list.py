"""The signed status lists: W3C Bitstring Status List v1.0, one list per status purpose (issue 20.3).

Each certificate has a status-list index (certificate.status_index, the token's "s" claim). The body
publishes two lists at well-known URLs, one bit per certificate in each:

    /.well-known/certexam/status/revocation   statusPurpose "revocation"  (bit set: revoked)
    /.well-known/certexam/status/suspension   statusPurpose "suspension"  (bit set: suspended)

The Open Badges credential (issue 20.7) points its credentialStatus entries at these URLs with
status_list_url(); the offline CLI fetches them (certexam certs verify --status-url).
"""

from __future__ import annotations

from typing import Final

REVOCATION: Final = "revocation"  # W3C Bitstring Status List v1.0 s.2.1 statusPurpose values
SUSPENSION: Final = "suspension"
PURPOSES: Final = (REVOCATION, SUSPENSION)
STATUS_PATH_PREFIX: Final = "/.well-known/certexam/status/"
STATUS_LIST_PATHS: Final = {purpose: STATUS_PATH_PREFIX + purpose for purpose in PURPOSES}
MEDIA_TYPE: Final = "application/vc+jwt"  # VC-JOSE-COSE s.3.1.1: a credential secured as a JWT


def status_list_url(base_url: str, purpose: str) -> str:
    """The absolute URL of one status list, from the site's base URL (scheme and host)."""
    return base_url.rstrip("/") + STATUS_LIST_PATHS[purpose]
