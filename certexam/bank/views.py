"""Question-bank administration pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("bank", __name__, url_prefix="/admin/bank")
