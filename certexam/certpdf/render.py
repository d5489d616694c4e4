"""Render the A4 bilingual certificate PDF (unsigned; see sign.py).

The layout is drawn at fixed positions in millimetres on one A4 portrait page.
Texts that vary in length (names, directions, issuer) shrink to their box
instead of overflowing it, and every character is checked against the font
first, so a certificate never prints an empty box for a holder's name.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from fpdf import FPDF
from fpdf.output import OutputProducer
from fpdf.syntax import PDFString
from PIL import Image, ImageOps

from certexam.certpdf import fontcache, layout
from certexam.certpdf.fonts import FontFile, check_coverage, coverage, find_cjk_font
from certexam.certpdf.qr import qr_matrix

LEVELS: dict[int, tuple[str, str]] = {
    # rules s.2: "Two exam levels, taken in order (level 2 needs level 1)"
    1: ("一级", "Level 1"),
    2: ("二级", "Level 2"),
}
DIRECTION_LEVEL = 2  # rules s.2: "the level-2 certificate names the direction"

VERIFY_URL_INFO_KEY = "/CertexamVerifyURL"
"""Document-info key carrying the QR's content, for tools that cannot scan."""

PHOTO_JPEG_QUALITY = 90
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_FONT_FAMILY = "certserif"
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July",
              "August", "September", "October", "November", "December")


@dataclass(frozen=True)
class CertificatePrint:
    """Everything printed on one certificate, already decided by the caller."""

    number: str
    holder_name_zh: str
    holder_name_en: str
    level: int
    sitting_zh: str  # e.g. "2026年3月"
    sitting_en: str  # e.g. "March 2026"
    issue_date: date
    expiry: date | None
    verify_url: str  # the QR content
    issuer_name_zh: str
    issuer_name_en: str
    direction_zh: str | None = None  # level 2 only
    direction_en: str | None = None
    photo: bytes | None = None  # JPEG or PNG; the registration photo (rules s.2)

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {sorted(LEVELS)}, not {self.level}")
        given = [bool(self.direction_zh), bool(self.direction_en)]
        if all(given) != (self.level == DIRECTION_LEVEL) or any(given) != all(given):
            raise ValueError("a level-2 certificate names its direction (zh and en); level 1 has none")
        for name in ("number", "holder_name_zh", "holder_name_en", "verify_url",
                     "issuer_name_zh", "issuer_name_en", "sitting_zh", "sitting_en"):
            value: str = getattr(self, name)
            if not value.strip() or not value.isprintable():
                raise ValueError(f"{name} must be one non-empty line of printable text")
        if self.expiry is not None and self.expiry <= self.issue_date:
            raise ValueError("expiry must be after the issue date")
        if self.photo is not None and not self.photo.startswith((_JPEG_MAGIC, _PNG_MAGIC)):
            raise ValueError("photo must be JPEG or PNG")


def date_zh(day: date) -> str:
    """2026年5月20日"""
    return f"{day.year}年{day.month}月{day.day}日"


def date_en(day: date) -> str:
    """20 May 2026 (no locale: the same on every server)"""
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def statement(data: CertificatePrint) -> tuple[tuple[str, ...], str]:
    """The certifying sentence: Chinese as lines broken between phrases, and English."""
    level_zh, level_en = LEVELS[data.level]
    exam_zh = f"已通过深港澳金融科技师{level_zh}考试"
    exam_en = (f"has passed the {level_en} examination of the Shenzhen-Hong Kong-Macau FinTech "
               "Professional Programme")
    if data.level == DIRECTION_LEVEL:
        return ((f"{exam_zh}（{data.direction_zh}方向），", "成绩合格，特发此证。"),
                f"{exam_en} in the {data.direction_en} direction and is awarded this certificate.")
    return (f"{exam_zh}，", "成绩合格，特发此证。"), f"{exam_en} and is awarded this certificate."


def detail_rows(data: CertificatePrint) -> list[tuple[str, str, str, str]]:
    """(label zh, label en, value, value in English or "") rows of the particulars."""
    level_zh, level_en = LEVELS[data.level]
    rows = [("证书编号", "Certificate No.", data.number, ""),
            ("级别", "Level", level_zh, level_en)]
    if data.level == DIRECTION_LEVEL:
        rows.append(("方向", "Direction", data.direction_zh or "", data.direction_en or ""))
    rows.append(("考试场次", "Sitting", data.sitting_zh, data.sitting_en))
    rows.append(("发证日期", "Date of issue", date_zh(data.issue_date), date_en(data.issue_date)))
    if data.expiry is None:
        rows.append(("有效期至", "Valid until", "长期有效", "No expiry"))
    else:
        rows.append(("有效期至", "Valid until", date_zh(data.expiry), date_en(data.expiry)))
    return rows


def all_text(data: CertificatePrint) -> str:
    """Every string the page prints, for the font coverage check."""
    return data.holder_name_zh + data.holder_name_en + common_text(data)


def common_text(data: CertificatePrint) -> str:
    """What the page prints besides the holder's names: the same for many certificates."""
    parts = [*layout.FIXED_TEXTS, data.issuer_name_zh, data.issuer_name_en]
    lines_zh, sentence_en = statement(data)
    parts += [*lines_zh, sentence_en]
    for row in detail_rows(data):
        parts += row
    return "".join(parts)


def prepare_photo(photo: bytes) -> bytes:
    """Upright, crop to the frame's shape, downscale to print resolution, drop metadata.

    Re-encoding also strips EXIF (phone photos carry GPS positions) and keeps
    a large upload from bloating every certificate.
    """
    with Image.open(io.BytesIO(photo)) as original:
        # A JPEG decodes straight at 1/2, 1/4 or 1/8 size when twice the frame's pixels remain (issue
        # 20.8: a phone's 12-megapixel photo otherwise decodes whole), and nothing is copied in vain.
        original.draft("RGB", (layout.PHOTO_PIXELS[0] * 2, layout.PHOTO_PIXELS[1] * 2))
        ImageOps.exif_transpose(original, in_place=True)
        upright = original if original.mode == "RGB" else original.convert("RGB")
        factor = min(upright.width // layout.PHOTO_PIXELS[0], upright.height // layout.PHOTO_PIXELS[1])
        if factor > 1:  # box-average down to 1-2x the frame first: LANCZOS over every pixel cost 2-3x more
            upright = upright.reduce(factor)
        fitted = ImageOps.fit(upright, layout.PHOTO_PIXELS, method=Image.Resampling.LANCZOS)
    out = io.BytesIO()
    fitted.save(out, format="JPEG", quality=PHOTO_JPEG_QUALITY)
    return out.getvalue()


def render_certificate_pdf(data: CertificatePrint, font: FontFile | None = None) -> bytes:
    """Return the certificate as PDF bytes, fonts embedded, ready for sign_pdf()."""
    matrix = qr_matrix(data.verify_url)  # first: an unscannable URL fails before any work
    font = font or find_cjk_font()
    check_coverage(font, all_text(data))
    pdf = FPDF(orientation="portrait", unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    _add_fonts(pdf, font, data)
    pdf.set_lang("zh-CN")
    pdf.set_title(f"深港澳金融科技师证书 / Shenzhen-Hong Kong-Macau FinTech Professional Certificate {data.number}")
    pdf.set_subject(data.number)
    pdf.set_author(data.issuer_name_en)
    pdf.set_creator("certexam")
    pdf.set_keywords(data.verify_url)
    # The certificate's own date rather than the server clock.
    pdf.set_creation_date(datetime.combine(data.issue_date, time(0, 0), tzinfo=UTC))
    pdf.add_page()
    canvas = layout.Canvas(pdf, _FONT_FAMILY)
    canvas.frame()
    canvas.header(data.issuer_name_zh, data.issuer_name_en, LEVELS[data.level])
    if data.photo is not None:
        canvas.photo(prepare_photo(data.photo))
    canvas.holder(data.holder_name_zh, data.holder_name_en, *statement(data),
                  beside_photo=data.photo is not None)
    canvas.particulars(detail_rows(data))
    canvas.qr(matrix)
    canvas.issuer(data.issuer_name_zh, data.issuer_name_en,
                  date_zh(data.issue_date), date_en(data.issue_date))
    pdf.verify_url = data.verify_url  # type: ignore[attr-defined]  # read by _Producer
    return bytes(pdf.output(output_producer_class=_Producer))


def _add_fonts(pdf: FPDF, font: FontFile, data: CertificatePrint) -> None:
    """The page's fonts, made once per process (issue 20.8, certpdf/fontcache.py): the common glyphs
    as the main face, and the names' characters that it lacks in small fallback fonts, made once."""
    glyphs = fontcache.glyph_fonts(font, coverage(font))
    base_path, base_covers = glyphs.base(common_text(data))
    fontcache.add_prebuilt_font(pdf, _FONT_FAMILY, base_path)
    extra = sorted({ord(ch) for ch in data.holder_name_zh + data.holder_name_en}
                   - base_covers - {ord(ch) for ch in " \t"})
    families = []
    for path in glyphs.fonts_for(extra):
        family = f"{_FONT_FAMILY}-{path.stem}"
        fontcache.add_prebuilt_font(pdf, family, path)
        families.append(family)
    if families:
        pdf.set_fallback_fonts(families, exact_match=False)


class _Producer(OutputProducer):
    """fpdf2's writer, with the verify URL as a custom document-info entry (fpdf2 has no API for that).

    Added as fpdf2 writes the file, not by a pyHanko rewrite afterwards (issue 20.8: that was a fifth of
    the rendering time); the signature that follows is still the document's only incremental update.
    """

    def _add_info(self) -> Any:
        info: Any = super()._add_info()
        # fpdf2 names each entry after the attribute in CamelCase: certexam_verify_u_r_l -> /CertexamVerifyURL
        info.certexam_verify_u_r_l = PDFString(getattr(self.fpdf, "verify_url"), encrypt=True)  # noqa: B009
        return info
