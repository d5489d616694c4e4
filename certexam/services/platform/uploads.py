"""Uploaded images: checked by content, size-limited, stored outside the web root."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from certexam.errors import UserError

_IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png"}
MAX_PIXELS = 25_000_000  # refuse decompression bombs long before memory trouble


def uploads_dir() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_image(data: bytes, max_bytes: int) -> str:
    """Return the file extension for a real JPEG or PNG, or raise UserError."""
    if len(data) > max_bytes:
        raise UserError(_("The photo is larger than %(mb)s MB.", mb=max_bytes // (1024 * 1024)), "photo")
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            if fmt not in _IMAGE_FORMATS:
                raise UserError(_("The photo must be a JPEG or PNG image."), "photo")
            if img.width * img.height > MAX_PIXELS:
                raise UserError(_("The photo has too many pixels."), "photo")
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise UserError(_("The photo must be a JPEG or PNG image."), "photo") from exc
    return _IMAGE_FORMATS[fmt]


def store_photo(data: bytes) -> str:
    """Check and store a photo; return its path relative to the uploads folder."""
    ext = check_image(data, current_app.config["MAX_PHOTO_BYTES"])
    rel = f"photos/{secrets.token_hex(16)}.{ext}"
    target = uploads_dir() / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return rel
