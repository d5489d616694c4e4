"""Where everything sits on the certificate page, and how it is drawn.

Positions are millimetres from the top-left corner of an A4 portrait page;
fpdf2 works in points underneath.  The page has four bands: the title, the
holder (photo beside name and statement), the particulars beside the QR code,
and the issuer.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, TextMode, WrapMode, XPos, YPos

PT_PER_MM = 72 / 25.4
PAGE_W, PAGE_H = 210.0, 297.0  # A4 portrait, ISO 216
CENTRE_X = PAGE_W / 2

QR_SYMBOL_MM = 38.0  # what-users-expect.md: "at least 35 mm across" on a printed A4 page
QR_QUIET_MODULES = 4  # ISO/IEC 18004 light margin, kept clear by the layout
QR_SEAM_OVERLAP = 0.02  # share of a module by which runs overlap, so no hairline shows between rows
PHOTO_W, PHOTO_H = 35.0, 49.0  # rules s.2 "registration photo": the 2-inch (二寸) ID photo, 35 x 49 mm
PHOTO_DPI = 300  # print resolution the photo is downscaled to
PHOTO_PIXELS = (round(PHOTO_W / 25.4 * PHOTO_DPI), round(PHOTO_H / 25.4 * PHOTO_DPI))

NAVY = (22, 43, 84)
GOLD = (172, 136, 62)
INK = (35, 35, 40)
GREY = (95, 100, 110)
WHITE = (255, 255, 255)
EMPHASIS_STROKE_PT = 0.35  # fill+stroke thickens the one regular face into a display weight

TITLE_ZH = "深港澳金融科技师"
TITLE_EN = "Shenzhen-Hong Kong-Macau FinTech Professional"
KIND_ZH = "职业资格证书"
KIND_EN = "Certificate of Professional Qualification"
INTRO = "兹证明  This is to certify that"
QR_CAPTION_ZH = "扫码核验证书"
QR_CAPTION_EN = "Scan to verify this certificate"
ISSUER_LABEL = "发证机构  Issuing body"
SIGNED_NOTE = ("本证书经发证机构电子签名，可扫描二维码核验。  "
               "Digitally signed by the issuing body; scan the QR code to verify.")
FIXED_TEXTS = (TITLE_ZH, TITLE_EN, KIND_ZH, KIND_EN, INTRO, QR_CAPTION_ZH, QR_CAPTION_EN,
               ISSUER_LABEL, SIGNED_NOTE)

# Bands (mm): x of the text column beside the photo, y of each band's top.
LEFT = 26.0
RIGHT = PAGE_W - LEFT
HOLDER_TOP = 108.0
TEXT_X = LEFT + PHOTO_W + 10.0
DIVIDER_Y = 180.0
PARTICULARS_TOP = 187.0
ROW_PITCH = 9.6
LABEL_W = 38.0
QR_X = RIGHT - QR_SYMBOL_MM
QR_GAP = 8.0  # clear space left of and above the QR: its quiet zone even at version 1 (7.2 mm)
QR_TOP = DIVIDER_Y + QR_GAP
ISSUER_TOP = 256.0
# Holder names (issue 20.1): one line, shrunk to the minimum size, then wrapped onto a few lines.
NAME_ZH_MIN_PT, NAME_ZH_LINES = 16.0, 2
NAME_EN_MIN_PT, NAME_EN_LINES = 10.0, 3
NAME_FLOOR_PT = 7.0  # never smaller: still legible on a printed A4 page
LINE_FACTOR = 1.25  # line pitch as a share of the font size
HOLDER_SCALES = (1.0, 0.92, 0.85, 0.78)  # the holder band, tighter step by step until it clears the divider
HOLDER_CLEARANCE = 2.0  # mm between the statement and the divider


HEIGHTS_KEPT = 512  # wrapped heights of statements, per process (a few per level and direction)
_HEIGHTS: dict[tuple[str, float, float, float, Align, str], float] = {}


def pt(mm: float) -> float:
    return mm * PT_PER_MM


class Canvas:
    """Draws the certificate's parts onto one fpdf2 page."""

    def __init__(self, pdf: FPDF, family: str) -> None:
        self.pdf = pdf
        self.family = family
        pdf.c_margin = 0  # text boxes start exactly at their x, aligned with single lines

    # -- primitives -------------------------------------------------------
    def text(self, x: float, y: float, text: str, size: float, color: tuple[int, int, int] = INK, *,
             align: str = "L", spacing: float = 0.0, emphasis: bool = False,
             max_width: float | None = None) -> float:
        """Write one line with its baseline at y (mm); shrink to max_width; return its width."""
        pdf = self.pdf
        # A local graphics state: text mode, spacing and colours set here end with it.
        with pdf.local_context():
            pdf.set_font(self.family, size=size)
            pdf.set_char_spacing(spacing)
            width = (pdf.get_string_width(text) - spacing) / PT_PER_MM
            if max_width is not None and width > max_width:
                # Long names shrink rather than run into the photo or the frame.
                pdf.set_font(self.family, size=size * max_width / width)
                pdf.set_char_spacing(spacing * max_width / width)
                width = max_width
            left = {"L": x, "C": x - width / 2, "R": x - width}[align]
            pdf.set_text_color(*color)
            if emphasis:
                pdf.set_draw_color(*color)
                pdf.set_line_width(EMPHASIS_STROKE_PT)
                pdf.text_mode = TextMode.FILL_STROKE
            runs = self.runs(text)
            if len(runs) == 1 and runs[0][0] == self.family:
                pdf.text(pt(left), pt(y), text)
            else:  # a name with a character of its own font (render._add_fonts): one run per font
                size_now, at = pdf.font_size_pt, left
                for family, part in runs:
                    pdf.set_font(family, size=size_now)
                    pdf.text(pt(at), pt(y), part)
                    at += pdf.get_string_width(part) / PT_PER_MM
        return width

    def runs(self, text: str) -> list[tuple[str, str]]:
        """`text` cut where the font changes: the main face, or a fallback font for a glyph it lacks."""
        cmap: dict[int, str] = getattr(self.pdf.fonts[self.family.lower()], "cmap", {})
        out: list[tuple[str, str]] = []
        for ch in text:
            family = self.family
            if ord(ch) not in cmap and not ch.isspace():
                family = self.pdf.get_fallback_font(ch) or self.family
            if out and out[-1][0] == family:
                out[-1] = (family, out[-1][1] + ch)
            else:
                out.append((family, ch))
        return out

    def paragraph(self, x: float, y: float, w: float, text: str, *, size: float, line: float,
                  color: tuple[int, int, int], align: Align, draw: bool = True) -> float:
        """Write word-wrapped text in a box from (x, y); return the y below it (only that: not `draw`)."""
        pdf = self.pdf
        with pdf.local_context():
            pdf.set_font(self.family, size=size)
            if not draw:
                # The statement is the same on many certificates: its wrapped height is kept (issue 20.8).
                font_file = str(getattr(pdf.fonts[self.family.lower()], "ttffile", self.family))
                key = (text, round(w, 3), size, line, align, font_file)
                height = _HEIGHTS.get(key)
                if height is None:
                    if len(_HEIGHTS) > HEIGHTS_KEPT:
                        _HEIGHTS.clear()
                    height = _HEIGHTS[key] = float(pdf.multi_cell(  # type: ignore[arg-type]  # output=HEIGHT
                        pt(w), pt(line), text, align=align, wrapmode=WrapMode.WORD, dry_run=True,
                        output=MethodReturnValue.HEIGHT))
                return y + height / PT_PER_MM
            pdf.set_text_color(*color)
            pdf.set_xy(pt(x), pt(y))
            pdf.multi_cell(pt(w), pt(line), text, align=align, wrapmode=WrapMode.WORD,
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return pdf.get_y() / PT_PER_MM

    def rule(self, x1: float, y: float, x2: float, color: tuple[int, int, int], weight_pt: float) -> None:
        self.pdf.set_draw_color(*color)
        self.pdf.set_line_width(weight_pt)
        self.pdf.line(pt(x1), pt(y), pt(x2), pt(y))

    # -- bands --------------------------------------------------------------
    def frame(self) -> None:
        """A gold outer and a navy inner border with corner brackets."""
        pdf = self.pdf
        pdf.set_draw_color(*GOLD)
        pdf.set_line_width(2.2)
        pdf.rect(pt(8), pt(8), pt(PAGE_W - 16), pt(PAGE_H - 16))
        pdf.set_draw_color(*NAVY)
        pdf.set_line_width(0.7)
        pdf.rect(pt(11), pt(11), pt(PAGE_W - 22), pt(PAGE_H - 22))
        arm, inset = 12.0, 14.0
        for cx, dx in ((inset, 1), (PAGE_W - inset, -1)):
            for cy, dy in ((inset, 1), (PAGE_H - inset, -1)):
                pdf.set_draw_color(*GOLD)
                pdf.set_line_width(1.2)
                pdf.line(pt(cx), pt(cy), pt(cx + dx * arm), pt(cy))
                pdf.line(pt(cx), pt(cy), pt(cx), pt(cy + dy * arm))

    def header(self, issuer_zh: str, issuer_en: str, level: tuple[str, str]) -> None:
        self.text(CENTRE_X, 27, issuer_zh, 11.5, NAVY, align="C", spacing=1.0, max_width=150)
        self.text(CENTRE_X, 33, issuer_en, 8.5, GREY, align="C", max_width=150)
        self.text(CENTRE_X, 52, TITLE_ZH, 31, NAVY, align="C", spacing=5.0, emphasis=True)
        self.text(CENTRE_X, 62, TITLE_EN, 14.5, NAVY, align="C", spacing=0.3)
        self.rule(CENTRE_X - 30, 68, CENTRE_X + 30, GOLD, 1.0)
        self.text(CENTRE_X, 79, KIND_ZH, 17, INK, align="C", spacing=6.0)
        self.text(CENTRE_X, 86, KIND_EN, 10.5, GREY, align="C", spacing=0.4)
        badge_w, badge_h, badge_y = 52.0, 10.0, 91.5
        self.pdf.set_fill_color(*NAVY)
        self.pdf.rect(pt(CENTRE_X - badge_w / 2), pt(badge_y), pt(badge_w), pt(badge_h), style="F",
                      round_corners=True, corner_radius=pt(2))
        self.text(CENTRE_X, badge_y + 7, f"{level[0]}   {level[1]}", 12.5, WHITE, align="C", spacing=0.8)

    def fit_lines(self, text: str, size: float, min_size: float, width: float, max_lines: int,
                  spacing: float = 0.0) -> tuple[float, list[str]]:
        """The size and lines that print `text` within `width` mm: one line shrunk down to `min_size`,
        then broken between words (between characters in a name without spaces) onto at most
        `max_lines`, shrinking further if it must (issue 20.1: a 200-character name printed at 3 pt)."""
        pdf = self.pdf

        def measure(part: str, at: float) -> float:
            with pdf.local_context():
                pdf.set_font(self.family, size=at)
                return (pdf.get_string_width(part) + spacing * len(part)) / PT_PER_MM

        if measure(text, min_size) <= width:
            return min(size, size * width / measure(text, size)), [text]
        words = text.split(" ") if " " in text else list(text)
        joiner = " " if " " in text else ""
        at = min_size
        while True:
            lines: list[str] = []
            for word in words:
                if lines and measure(lines[-1] + joiner + word, at) <= width:
                    lines[-1] += joiner + word
                else:
                    lines.append(word)
            if len(lines) <= max_lines or at <= NAME_FLOOR_PT:
                return at, lines
            at = max(NAME_FLOOR_PT, at * 0.92)

    def holder(self, name_zh: str, name_en: str, lines_zh: Sequence[str], sentence_en: str, *,
               beside_photo: bool) -> float:
        """Name and statement: left-aligned beside the photo, centred on the page without one. Long
        names wrap (up to NAME_ZH_LINES and NAME_EN_LINES) and the statement moves down; when that would
        reach the divider, the band is drawn again a little tighter. Returns the y below the statement."""
        bottom = DIVIDER_Y
        for scale in HOLDER_SCALES:
            # Measured without drawing (issue 20.8: fpdf2's scratch page copied the whole document)
            bottom = self._holder(name_zh, name_en, lines_zh, sentence_en, beside_photo, scale, draw=False)
            if bottom <= DIVIDER_Y - HOLDER_CLEARANCE:
                break
        self._holder(name_zh, name_en, lines_zh, sentence_en, beside_photo, scale)
        return bottom

    def _holder(self, name_zh: str, name_en: str, lines_zh: Sequence[str], sentence_en: str,
                beside_photo: bool, scale: float, draw: bool = True) -> float:
        left = TEXT_X if beside_photo else LEFT
        width = RIGHT - left
        x, align = (left, "L") if beside_photo else (CENTRE_X, "C")
        text = self.text if draw else (lambda *_args, **_kwargs: 0.0)
        text(x, HOLDER_TOP + 4, INTRO, 10.5, GREY, align=align)
        zh_size, zh_lines = self.fit_lines(name_zh, 26, NAME_ZH_MIN_PT * scale, width, NAME_ZH_LINES, spacing=4.0)
        y = HOLDER_TOP + 17
        for line in zh_lines:
            text(x, y, line, zh_size, NAVY, align=align, spacing=4.0 * zh_size / 26, emphasis=True,
                      max_width=width)
            y += zh_size / PT_PER_MM * LINE_FACTOR
        en_size, en_lines = self.fit_lines(name_en, 15, NAME_EN_MIN_PT * scale, width, NAME_EN_LINES, spacing=0.3)
        y += 9 * scale - zh_size / PT_PER_MM * LINE_FACTOR
        for line in en_lines:
            text(x, y, line, en_size, NAVY, align=align, spacing=0.3, max_width=width)
            y += en_size / PT_PER_MM * LINE_FACTOR
        y += 10 * scale - en_size / PT_PER_MM * LINE_FACTOR
        for line in lines_zh:
            text(x, y, line, 11.5 * scale, INK, align=align, spacing=0.3, max_width=width)
            y += 6.2 * scale
        return self.paragraph(left, y - 3 * scale, width, sentence_en, size=9.8 * scale, line=4.9 * scale,
                              color=GREY, align=Align.L if beside_photo else Align.C, draw=draw)

    def photo(self, jpeg: bytes) -> None:
        """The registration photo, in a thin gold frame."""
        x, y = LEFT, HOLDER_TOP
        self.pdf.image(io.BytesIO(jpeg), x=pt(x), y=pt(y), w=pt(PHOTO_W), h=pt(PHOTO_H))
        self.pdf.set_draw_color(*GOLD)
        self.pdf.set_line_width(0.8)
        self.pdf.rect(pt(x), pt(y), pt(PHOTO_W), pt(PHOTO_H))

    def particulars(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        """Label (zh over en) and value (main over translation) rows, left of the QR."""
        self.rule(LEFT, DIVIDER_Y, RIGHT, GOLD, 0.6)
        value_x = LEFT + LABEL_W
        value_w = QR_X - QR_GAP - value_x
        for index, (label_zh, label_en, value, value_en) in enumerate(rows):
            y = PARTICULARS_TOP + index * ROW_PITCH
            self.text(LEFT, y + 4, label_zh, 10, NAVY, spacing=1.0)
            self.text(LEFT, y + 8, label_en, 7.5, GREY)
            self.text(value_x, y + 4, value, 11, INK, max_width=value_w)
            if value_en:
                self.text(value_x, y + 8, value_en, 8, GREY, max_width=value_w)

    def qr(self, matrix: Sequence[Sequence[bool]]) -> None:
        """The QR symbol as vector squares (one per dark run), 38 mm across, caption below."""
        modules = len(matrix)
        cell = pt(QR_SYMBOL_MM) / modules
        left, top = pt(QR_X), pt(QR_TOP)
        pdf = self.pdf
        pdf.set_fill_color(0, 0, 0)
        # The same operators fpdf2's rect(style="F") writes, one call for all runs instead of one per run
        # (issue 20.8: its per-call checks were a tenth of the page's time).
        k, page_h, height = pdf.k, pdf.h, cell * (1 + QR_SEAM_OVERLAP)
        ops = []
        for r, row in enumerate(matrix):
            c = 0
            while c < modules:
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < modules and row[c]:
                    c += 1
                x, y, w = left + start * cell, top + r * cell, (c - start) * cell
                ops.append(f"{x * k:.2f} {(page_h - y) * k:.2f} {w * k:.2f} {-height * k:.2f} re f")
        pdf._out("\n".join(ops))  # noqa: SLF001
        caption_y = QR_TOP + QR_SYMBOL_MM + 6
        centre = QR_X + QR_SYMBOL_MM / 2
        self.text(centre, caption_y, QR_CAPTION_ZH, 9, NAVY, align="C", spacing=1.0)
        self.text(centre, caption_y + 4.5, QR_CAPTION_EN, 7.5, GREY, align="C")

    def issuer(self, issuer_zh: str, issuer_en: str, date_zh: str, date_en: str) -> None:
        self.rule(LEFT, ISSUER_TOP - 6, RIGHT, GOLD, 0.6)
        self.text(CENTRE_X, ISSUER_TOP, ISSUER_LABEL, 8.5, GREY, align="C", spacing=0.5)
        self.text(CENTRE_X, ISSUER_TOP + 8, issuer_zh, 14, NAVY, align="C", spacing=1.5, emphasis=True,
                  max_width=RIGHT - LEFT)
        self.text(CENTRE_X, ISSUER_TOP + 13.5, issuer_en, 9.5, NAVY, align="C", max_width=RIGHT - LEFT)
        self.text(CENTRE_X, ISSUER_TOP + 19, f"{date_zh}  {date_en}", 9, INK, align="C")
        self.text(CENTRE_X, ISSUER_TOP + 24.5, SIGNED_NOTE, 7, GREY, align="C", max_width=RIGHT - LEFT)
