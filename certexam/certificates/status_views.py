"""The signed status lists at their well-known URLs (issue 20.3; crypto/status_list.py)."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, abort, current_app, request

from certexam.certificates import bp
from certexam.config import verify_origin
from certexam.crypto.keystore import KeyStoreError
from certexam.crypto.status_list import CACHE_MAX_AGE, MEDIA_TYPE, PURPOSES, STATUS_PATH_PREFIX
from certexam.services.certificates import credential as cert_credential
from certexam.services.certificates import status_list
from certexam.services.platform import clock


def site_base_url() -> str:
    """The verification site's origin: what the lists' ids and the credentials' statusListCredential use."""
    scheme, host = verify_origin(current_app.config, request.host)
    return f"{scheme}://{host}"


@bp.route(STATUS_PATH_PREFIX + "<purpose>")
def status_list_document(purpose: str) -> Any:
    """One signed Bitstring Status List (revocation or suspension), cacheable for CACHE_MAX_AGE seconds."""
    if purpose not in PURPOSES:
        abort(404)
    base = site_base_url()
    try:
        # The lists' issuer is the Open Badges credentials' issuer (issue 20.7): verifiers bind the two.
        signed = status_list.signed_list(purpose, base, cert_credential.issuer().id, clock.now())
    except KeyStoreError:
        current_app.logger.exception("cannot sign the %s status list", purpose)
        abort(503)
    resp = Response(signed.jws, mimetype=MEDIA_TYPE)
    resp.headers["Cache-Control"] = f"public, max-age={CACHE_MAX_AGE}"
    resp.headers["Access-Control-Allow-Origin"] = "*"  # any verifier's page may fetch the list
    resp.set_etag(hashlib.sha256(signed.jws.encode("ascii")).hexdigest()[:32])  # this very list: a 304
    # for it must not keep a client on an older exp
    return resp.make_conditional(request)
