"""certpdf.qr.qr_matrix builds the symbol on a cached per-version layout (issue 20.8): it must be the very
symbol the qrcode package makes (version, data placement, format information and the mask its penalty
chooses), for URLs of every length the certificate allows."""

from __future__ import annotations

import random
import string

import pytest
import qrcode

from certexam.certpdf.qr import QR_ERROR_CORRECTION, QR_MAX_VERSION, QRTooLarge, qr_matrix


def reference(url: str) -> tuple[tuple[bool, ...], ...]:
    code = qrcode.QRCode(version=None, error_correction=QR_ERROR_CORRECTION, border=0)
    code.add_data(url)
    code.make(fit=True)
    return tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())


def urls() -> list[str]:
    rng = random.Random(20)
    out = []
    for length in range(1, 290, 3):  # up to the version-12 limit at ECC Q
        token = "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(length))
        out.append(f"https://verify.certexam.example/V/{token}"[: max(1, length)])
        out.append(rng.choice(["https://v.example/c/", "HTTPS://V.EXAMPLE/C/", ""]) + token.lower())
    return [u for u in out if u]


@pytest.mark.parametrize("url", urls())
def test_the_same_symbol_as_the_qrcode_package(url: str) -> None:
    expected = reference(url)
    if (len(expected) - 17) // 4 > QR_MAX_VERSION:
        with pytest.raises(QRTooLarge):
            qr_matrix(url)
    else:
        assert qr_matrix(url) == expected
