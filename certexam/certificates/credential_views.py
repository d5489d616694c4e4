"""Open Badges 3.0 credentials: the holder's downloads, and the public issuer and achievement documents."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, current_app
from flask_login import current_user

from certexam.certificates import bp
from certexam.crypto.credential import JWT_MEDIA_TYPE, VC_MEDIA_TYPE, credential_json
from certexam.crypto.keystore import KeyStoreError
from certexam.models import Certificate, Role
from certexam.services.certificates import credential as cert_credential
from certexam.web import roles_required

PUBLIC_MAX_AGE = 3600  # seconds: the issuer profile and the achievements change with a release at most


def _download(body: str, mimetype: str, filename: str) -> Response:
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "no-store"  # the holder's own data, signed afresh each time
    return resp


@bp.route("/certificates/<number>/credential.jwt")
@roles_required(Role.CANDIDATE)
def credential_jwt(number: str) -> Any:
    """The holder's certificate as an Open Badges 3.0 credential secured as VC-JOSE-COSE (a JWT)."""
    try:
        token = cert_credential.holder_credential_jwt(current_user, number)
    except KeyStoreError:
        current_app.logger.exception("cannot sign the credential of %s", number)
        abort(503)
    return _download(token, JWT_MEDIA_TYPE, f"{number}.jwt")


@bp.route("/certificates/<number>/credential.json")
@roles_required(Role.CANDIDATE)
def credential_json_download(number: str) -> Any:
    """The same credential unsigned (VCDM 2.0 application/vc), to read what the JWT says."""
    document = cert_credential.holder_credential(current_user, number)
    return _download(credential_json(document), VC_MEDIA_TYPE, f"{number}.credential.json")


@bp.app_template_global("certificate_linkedin_url")
def linkedin_url(cert: Certificate) -> str:
    """LinkedIn's "add to profile" link for the holder's page (a template global: no view changes)."""
    return cert_credential.linkedin_url(cert)


def _public(document: dict[str, Any]) -> Response:
    resp = Response(json.dumps(document, ensure_ascii=False), mimetype="application/json")
    resp.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    resp.headers["Access-Control-Allow-Origin"] = "*"  # wallets and verifiers fetch it from their pages
    return resp


@bp.route("/credentials/issuer.json")
def issuer_profile() -> Any:
    """The body's Open Badges 3.0 Profile, the issuer of every credential."""
    return _public(cert_credential.issuer_document())


@bp.route("/credentials/achievements/<key>.json")
def achievement(key: str) -> Any:
    """One Open Badges 3.0 Achievement: a level (and on level 2 its direction) and its criteria."""
    return _public(cert_credential.achievement_document(key))
