"""The root's CRL (issue 20.6): validators of certificate PDFs learn here that a signer was revoked."""

from __future__ import annotations

from typing import Any

from flask import Response, abort

from certexam.certificates import bp
from certexam.services.certificates import keys

CRL_MAX_AGE = 3600  # seconds caches may keep it: a revocation reaches a validator within the hour


@bp.route(keys.CRL_PATH)
def root_crl() -> Any:
    """The CRL (DER) the root last signed, as `keys init`, `keys revoke-signer` and `keys crl` wrote it."""
    der = keys.published_crl()
    if der is None:
        abort(404)
    resp = Response(der, mimetype="application/pkix-crl")  # RFC 2585 s.4.2
    resp.headers["Cache-Control"] = f"public, max-age={CRL_MAX_AGE}"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp
