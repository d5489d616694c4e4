"""The certificate as a signed PDF (issue 6).

render.py lays out the A4 bilingual page (layout.py draws it, fonts.py finds
the embedded CJK font, qr.py makes the verification QR code); sign.py adds and
checks the issuer's PAdES signature.  Keys and certificates are passed in:
this package keeps none.
"""

from certexam.certpdf.fonts import CJKFontMissing, MissingGlyphs
from certexam.certpdf.qr import QRTooLarge, make_qr_png, qr_version
from certexam.certpdf.render import CertificatePrint, render_certificate_pdf
from certexam.certpdf.sign import VerifyResult, sign_pdf, verify_pdf

__all__ = [
    "CJKFontMissing",
    "CertificatePrint",
    "MissingGlyphs",
    "QRTooLarge",
    "VerifyResult",
    "make_qr_png",
    "qr_version",
    "render_certificate_pdf",
    "sign_pdf",
    "verify_pdf",
]
