"""The verification QR code printed on the certificate.

Issue 6 asks for "error correction Q and at most version 12, so that a phone
reads it from a printed A4 sheet"; shared/design/what-users-expect.md measured
that versions up to about 12 read comfortably from print and recommends ECC Q
and at least 35 mm across.  A URL that needs a bigger symbol is refused here
rather than printed as a code nobody can scan.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import qrcode
import qrcode.constants
from qrcode import util as qr_util
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
    resolution, unlike a scaled bitmap. The same symbol as the qrcode package
    makes (same version, data and mask: tests/unit/test_qr_layout.py), built on
    a per-version layout kept for the process (issue 20.8: qrcode lays out the
    whole symbol nine times to choose the mask, a third of the page's time).
    """
    if not url:
        raise ValueError("the QR content must not be empty")
    code = qrcode.QRCode(version=None, error_correction=QR_ERROR_CORRECTION, border=0)
    code.add_data(url)
    try:
        code.best_fit()
    except (DataOverflowError, ValueError) as exc:
        raise QRTooLarge(f"{len(url)}-character URL does not fit any QR version at ECC Q") from exc
    if code.version > QR_MAX_VERSION:
        raise QRTooLarge(
            f"{len(url)}-character URL needs QR version {code.version} at ECC Q; "
            f"the certificate allows at most {QR_MAX_VERSION}: shorten the URL"
        )
    layout = _layout(int(code.version))
    data = qr_util.create_data(code.version, code.error_correction, code.data_list)
    rows = [0] * layout.size
    for index, (r, c) in enumerate(layout.order):  # the data bits in qrcode's zigzag order
        byte = index >> 3
        if byte < len(data) and (data[byte] >> (7 - (index & 7))) & 1:
            rows[r] |= 1 << c
    # qrcode's choice: the lowest penalty with the format information left light, the first on a tie.
    scores = [_penalty([t | (d ^ m) for t, d, m in zip(layout.blank, rows, layout.masks[mask], strict=True)],
                       layout.size) for mask in range(8)]
    best = scores.index(min(scores))
    final = [f | (d ^ m) for f, d, m in zip(layout.function[best], rows, layout.masks[best], strict=True)]
    return tuple(tuple(bool(row >> c & 1) for c in range(layout.size)) for row in final)


@dataclass(frozen=True)
class _Layout:
    """What a symbol of one version is without its data: rows as integers, bit c = column c."""

    size: int
    order: tuple[tuple[int, int], ...]  # the data modules, in the order the bits are placed
    blank: tuple[int, ...]  # dark function modules, format and version information light (for scoring)
    function: tuple[tuple[int, ...], ...]  # per mask: the dark function modules with that mask's format
    masks: tuple[tuple[int, ...], ...]  # per mask: the data modules it inverts


@lru_cache(maxsize=QR_MAX_VERSION)
def _layout(version: int) -> _Layout:
    code = qrcode.QRCode(version=version, error_correction=QR_ERROR_CORRECTION, border=0)
    size = code.modules_count = version * 4 + 17

    def function_rows(test: bool, mask: int) -> list[list[bool | None]]:
        code.modules = [[None] * size for _ in range(size)]
        code.setup_position_probe_pattern(0, 0)
        code.setup_position_probe_pattern(size - 7, 0)
        code.setup_position_probe_pattern(0, size - 7)
        code.setup_position_adjust_pattern()
        code.setup_timing_pattern()
        code.setup_type_info(test, mask)
        if version >= 7:
            code.setup_type_number(test)
        return code.modules  # type: ignore[no-any-return]

    def bits(modules: list[list[bool | None]]) -> tuple[int, ...]:
        return tuple(sum(1 << c for c, cell in enumerate(row) if cell) for row in modules)

    blank = function_rows(True, 0)
    order = []
    row, step = size - 1, -1  # qrcode's map_data: two-column strips from the right, up and down in turn
    for right in range(size - 1, 0, -2):
        col = right - 1 if right <= 6 else right  # left of the vertical timing pattern, one column over
        while True:
            order += [(row, c) for c in (col, col - 1) if blank[row][c] is None]
            row += step
            if row < 0 or row >= size:
                row -= step
                step = -step
                break
    masks = []
    for mask in range(8):
        flips = qr_util.mask_func(mask)
        rows = [0] * size
        for r, c in order:
            if flips(r, c):
                rows[r] |= 1 << c
        masks.append(tuple(rows))
    return _Layout(size, tuple(order), bits(blank), tuple(bits(function_rows(False, m)) for m in range(8)),
                   tuple(masks))


_FINDER_LIKE = ((1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0), (0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1))  # ISO/IEC 18004 s.7.8.3


def _penalty(rows: list[int], n: int) -> int:
    """ISO/IEC 18004's mask penalty, as qrcode's util.lost_point scores it, on rows of bits."""
    full = (1 << n) - 1
    score = 0
    # N1: each run of 5 or more modules of one colour scores its length - 2, i.e. one per window of five
    # equal modules plus two per run; rows across, columns down.
    for x in rows:
        same = ~(x ^ (x >> 1)) & (full >> 1)
        win = same & (same >> 1) & (same >> 2) & (same >> 3)
        score += win.bit_count() + 2 * (win & ~(win << 1)).bit_count()
    vsame = [~(a ^ b) & full for a, b in zip(rows, rows[1:], strict=False)]
    before = 0
    for r in range(n - 4):
        win = vsame[r] & vsame[r + 1] & vsame[r + 2] & vsame[r + 3]
        score += win.bit_count() + 2 * (win & ~before).bit_count()
        before = win
    # N2: each 2x2 block of one colour scores 3.
    for a, b in zip(rows, rows[1:], strict=False):
        block = ~(a ^ (a >> 1)) & ~(b ^ (b >> 1)) & ~(a ^ b) & (full >> 1)
        score += 3 * block.bit_count()
    # N3: 1:1:3:1:1 finder-like patterns with four light modules on one side score 40; rows and columns.
    for pattern in _FINDER_LIKE:
        for x in rows:
            hits = full >> 10
            for j, dark in enumerate(pattern):
                hits &= (x >> j) if dark else ~(x >> j)
            score += 40 * hits.bit_count()
        for r in range(n - 10):
            hits = full
            for j, dark in enumerate(pattern):
                hits &= rows[r + j] if dark else ~rows[r + j]
            score += 40 * hits.bit_count()
    # N4: 10 for every whole 5 % the dark share departs from 50 %.
    dark_share = float(sum(x.bit_count() for x in rows)) / (n**2)
    return score + int(abs(dark_share * 100 - 50) / 5) * 10


def make_qr_png(url: str, *, border: int = QR_QUIET_ZONE_MODULES) -> bytes:
    """Return a black-on-white PNG of the QR code for ``url``, with its quiet zone."""
    code = _build(url, border=border)
    code.box_size = QR_PNG_MODULE_PIXELS
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
