"""Certificates: public verification, JWK set, holder downloads and administration."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("certificates", __name__)
