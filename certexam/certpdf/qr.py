"""The verification QR code printed on the certificate.

Issue 6 asks for "error correction Q and at most version 12, so that a phone
reads it from a printed A4 sheet"; shared/design/what-users-expect.md measured
that versions up to about 12 read comfortably from print and recommends ECC Q
and at least 35 mm across.  A URL that needs a bigger symbol is refused here
rather than printed as a code nobody can scan.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
from qrcode.exceptions import DataOverflowError

QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q  # issue 6: "error correction Q"
QR_MAX_VERSION = 12  # issue 6: "at most version 12" (what-users-expect.md: reads from print)
QR_QUIET_ZONE_MODULES = 4  # ISO/IEC 18004: a 4-module light margin around the symbol
QR_PNG_MODULE_PIXELS = 10  # pixels per module in the PNG: crisp when shown on screen


class QRTooLarge(ValueError):
    """The URL needs a QR version above :data:`QR_MAX_VERSION` at ECC Q."""


QRMatrix = tuple[tuple[bool, ...], ...]


def _build(url: str, border: int) -> qrcode.QRCode:
    if not url:
        raise ValueError("the QR content must not be empty")
    code = qrcode.QRCode(version=None, error_correction=QR_ERROR_CORRECTION, border=border)
    code.add_data(url)
    try:
        code.make(fit=True)
    except (DataOverflowError, ValueError) as exc:
        # Beyond version 40 (qrcode 8 reports that as "Invalid version 41"): certainly beyond ours.
        raise QRTooLarge(f"{len(url)}-character URL does not fit any QR version at ECC Q") from exc
    if code.version > QR_MAX_VERSION:
        raise QRTooLarge(
            f"{len(url)}-character URL needs QR version {code.version} at ECC Q; "
            f"the certificate allows at most {QR_MAX_VERSION}: shorten the URL"
        )
    return code


def qr_version(url: str) -> int:
    """Return the QR version (1-12) that ``url`` needs at ECC Q, or raise QRTooLarge."""
    return int(_build(url, border=0).version)


def qr_matrix(url: str) -> QRMatrix:
    """Return the symbol's modules (True = dark), rows top to bottom, no quiet zone.

    The PDF draws these as vector squares, which stay sharp at any print
    resolution, unlike a scaled bitmap.
    """
    code = _build(url, border=0)
    return tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())


def make_qr_png(url: str, *, border: int = QR_QUIET_ZONE_MODULES) -> bytes:
    """Return a black-on-white PNG of the QR code for ``url``, with its quiet zone."""
    code = _build(url, border=border)
    code.box_size = QR_PNG_MODULE_PIXELS
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
