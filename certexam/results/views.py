"""Results: marking, misconduct, release, re-checks, key corrections, item analysis."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("results", __name__)
