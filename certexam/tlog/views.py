"""The transparency log in public: the latest checkpoint, its key, inclusion and consistency proofs.

Everything here is public and read-only (a checkpoint may be signed on the way when leaves were added
since the last, services/tlog/checkpoints.current). Proofs change only when the log grows, so they
may be cached briefly; the checkpoint changes with every leaf, so it is cached for a minute at most.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, current_app, request

from certexam.crypto.cose import verify_token
from certexam.domain.certno import is_valid_number, normalise
from certexam.extensions import limiter
from certexam.services.certificates import keys
from certexam.services.tlog import checkpoints, proofs
from certexam.tlog import bp

PROOF_RATE_LIMIT = "60/minute"  # security policy, not a programme rule: per client address, every proof route
CHECKPOINT_MAX_AGE = 60  # seconds: a witness polling every minute sees each new head
_proof_limit = limiter.shared_limit(lambda: current_app.config.get("TLOG_PROOF_RATE_LIMIT", PROOF_RATE_LIMIT),
                                    scope="tlog-proof")


def _text(body: str, max_age: int = CHECKPOINT_MAX_AGE) -> Response:
    resp = Response(body, mimetype="text/plain")
    resp.headers["Cache-Control"] = f"public, max-age={max_age}"
    resp.headers["Access-Control-Allow-Origin"] = "*"  # any verifier's page or witness may read it
    return resp


def _json(doc: dict[str, object]) -> Response:
    resp = Response(json.dumps(doc, ensure_ascii=False, indent=1), mimetype="application/json")
    resp.headers["Cache-Control"] = f"public, max-age={CHECKPOINT_MAX_AGE}"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["X-Robots-Tag"] = "noindex"
    return resp


@bp.route("/log/checkpoint")
def checkpoint() -> Any:
    """The latest signed checkpoint (C2SP tlog-checkpoint in a signed note)."""
    made = checkpoints.current().checkpoint
    if made is None:
        abort(404)
    return _text(made.note)


@bp.route("/log/key")
def key() -> Any:
    """The verifier key of the log's checkpoints: name+key ID+base64(0x01 || Ed25519 key)."""
    vkey = checkpoints.verifier_key()
    if vkey is None:
        abort(404)
    return _text(vkey + "\n", 3600)


@bp.route("/log/proof/<number>.json")
@_proof_limit
def proof(number: str) -> Any:
    """Inclusion proofs of a certificate's log entries against the latest checkpoint."""
    if not is_valid_number(number):
        abort(404)
    doc = proofs.proof_document(normalise(number))
    if doc is None:
        abort(404)
    return _json(doc)


@bp.route("/v/<token>/proof.json")
@bp.route("/V/<token>/proof.json")
@_proof_limit
def token_proof(token: str) -> Any:
    """The same proofs, for the certificate a QR token names (only when its signature checks)."""
    check = verify_token(token, keys.verification_keys())
    if not check.valid or check.claims is None:
        abort(404)
    doc = proofs.proof_document(check.claims.number)
    if doc is None:
        abort(404)
    return _json(doc)


@bp.route("/log/consistency.json")
@_proof_limit
def consistency() -> Any:
    """?old=N: the consistency proof from tree size N to the latest checkpoint."""
    old = request.args.get("old", "")
    if not old.isdigit() or len(old) > 12:
        abort(400)
    doc = proofs.consistency_document(int(old))
    if doc is None:
        abort(404)
    return _json(doc)


@bp.route("/log/entries.json")
@_proof_limit
def entries() -> Any:
    """?start=N: up to 1,000 leaves from N, each as its canonical JSON, for monitors and witnesses."""
    start = request.args.get("start", "0")
    if not start.isdigit() or len(start) > 12:
        abort(400)
    return _json(proofs.entries_document(int(start)))
