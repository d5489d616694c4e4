"""Evidence files for employment periods: checked by content, stored outside the web root.

A file is accepted when its bytes are a PDF, JPEG or PNG, whatever its name
or the browser's content type says, and it is never served inline: downloads
are attachments with a fixed, matching content type (see bonus views).
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from certexam.errors import UserError
from certexam.services.bonus.settings import max_evidence_bytes
from certexam.services.platform import uploads

PDF_MAGIC = b"%PDF-"
PDF_EOF = b"%%EOF"
PDF_TAIL_BYTES = 1024  # ISO 32000: %%EOF ends the file, give or take trailing whitespace and junk
CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
MAX_NAME = 120


@dataclass(frozen=True)
class CheckedFile:
    ext: str
    content_type: str
    sha256: str
    size: int


def _is_pdf(data: bytes) -> bool:
    return data.startswith(PDF_MAGIC) and PDF_EOF in data[-PDF_TAIL_BYTES:]


def check_evidence(data: bytes) -> CheckedFile:
    """Identify a PDF, JPEG or PNG by its bytes and size, or raise UserError."""
    limit = max_evidence_bytes()
    if not data:
        raise UserError(_("The file is empty."), "file")
    if len(data) > limit:
        raise UserError(_("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024)), "file")
    if _is_pdf(data):
        ext = "pdf"
    else:
        try:
            ext = uploads.check_image(data, limit)
        except UserError as exc:
            raise UserError(_("The file must be a PDF, JPEG or PNG."), "file") from exc
    return CheckedFile(ext, CONTENT_TYPES[ext], hashlib.sha256(data).hexdigest(), len(data))


def clean_name(name: str, ext: str) -> str:
    """A safe display and download name: no folders, no control characters, the real extension."""
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C" and ch not in '"<>:|?*;')
    stem = base.rsplit(".", 1)[0].strip(" .") or "evidence"
    return f"{stem[:MAX_NAME]}.{ext}"


def store(data: bytes, checked: CheckedFile) -> str:
    """Write the file under uploads/evidence/ with a random name; return the relative path."""
    rel = f"evidence/{secrets.token_hex(16)}.{checked.ext}"
    target = uploads.uploads_dir() / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return rel


def path_of(stored_path: str) -> Path | None:
    """The file on disk, if it is where it should be (inside uploads/evidence/)."""
    root = (uploads.uploads_dir() / "evidence").resolve()
    path = (uploads.uploads_dir() / stored_path).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path
