"""Administrator pages for blueprints, sittings, registrations and accommodations, and the proctor view."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sittings_admin", __name__, url_prefix="/admin/sittings")
