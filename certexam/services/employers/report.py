"""A bulk verification run as a report: the page's table, a CSV and a signed PDF (issue 23).

The CSV has the page's columns in the reader's language, UTF-8 with a BOM (so Excel on Chinese Windows
reads it), and every cell that a spreadsheet would run as a formula starts with a quote
(domain/staff_list.neutralise_cell): a name given as "=HYPERLINK(...)" stays text. The PDF is
bilingual like the verification receipt, starts and is signed by the receipt's code
(services/certificates/receipt.start_document and sign_document), and states the run's time of check:
a report downloaded again later says what was seen then, signed when it is downloaded.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from certexam.certpdf.render import LEVELS
from certexam.domain.staff_list import LineOutcome, neutralise_cell
from certexam.domain.verdict import VerdictCode
from certexam.models import BulkVerification, BulkVerificationLine
from certexam.services.certificates.receipt import FONT_FAMILY, VERDICT_TEXT, sign_document, start_document
from certexam.services.platform import clock

REPORT_SIGN_REASON = "Bulk verification report / 批量核验报告"

OUTCOME_LABELS = {
    LineOutcome.VALID: _l("Valid"),
    LineOutcome.SUSPENDED: _l("Suspended"),
    LineOutcome.REVOKED: _l("Revoked"),
    LineOutcome.EXPIRED: _l("Expired"),
    LineOutcome.NOT_YET_VALID: _l("Not yet valid"),
    LineOutcome.NAME_MISMATCH: _l("Name does not match"),
    LineOutcome.UNKNOWN: _l("No certificate with this number and name"),
    LineOutcome.UNCONFIRMED: _l("Cannot be confirmed: ask the certification body"),
    LineOutcome.MALFORMED: _l("Malformed line"),
}
OUTCOME_TEXT = {  # the PDF's bilingual wording, whatever the page language
    LineOutcome.VALID: ("有效", "Valid"),
    LineOutcome.SUSPENDED: ("已暂停", "Suspended"),
    LineOutcome.REVOKED: ("已撤销", "Revoked"),
    LineOutcome.EXPIRED: ("已过期", "Expired"),
    LineOutcome.NOT_YET_VALID: ("尚未生效", "Not yet valid"),
    LineOutcome.NAME_MISMATCH: ("姓名不符", "Name does not match"),
    LineOutcome.UNKNOWN: ("无此编号与姓名的证书", "No certificate with this number and name"),
    LineOutcome.UNCONFIRMED: ("无法确认，请联系发证机构", "Cannot be confirmed: ask the certification body"),
    LineOutcome.MALFORMED: ("格式有误", "Malformed line"),
}
PROBLEM_LABELS = {
    "no_name": _l("no name"),
    "long_name": _l("the name is too long"),
    "no_number": _l("no certificate number"),
    "bad_number": _l("not a certificate number (SHMFTPP-L…, check character)"),
}
PROBLEM_TEXT = {
    "no_name": ("缺少姓名", "no name"),
    "long_name": ("姓名过长", "the name is too long"),
    "no_number": ("缺少证书编号", "no certificate number"),
    "bad_number": ("证书编号格式或校验位有误", "not a certificate number"),
}


@dataclass(frozen=True)
class Row:
    """One line as the page, the CSV and the PDF show it (the page's language)."""

    line_no: int
    name: str
    number: str
    outcome: LineOutcome
    result: str
    holder: str
    status: str
    level: str
    issued_on: str
    since: str
    replaced_by: str
    note: str


_OUTCOME_VALUES = frozenset(o.value for o in LineOutcome)


def status_label(code: str | None) -> str:
    """The public verdict stored with a line, in the reader's language ("" where none was shown)."""
    if not code:
        return ""
    shown = LineOutcome(code) if code in _OUTCOME_VALUES else LineOutcome.UNCONFIRMED
    return str(OUTCOME_LABELS[shown])


def row(line: BulkVerificationLine) -> Row:
    """A stored line in the reader's language."""
    return Row(line.line_no, line.name_given, line.number_given, line.outcome, str(OUTCOME_LABELS[line.outcome]),
               line.holder_shown or "", status_label(line.status),
               _("Level %(n)d", n=line.level) if line.level else "",
               line.issued_on.isoformat() if line.issued_on else "",
               line.status_since.isoformat() if line.status_since else "", line.replaced_by or "",
               str(PROBLEM_LABELS.get(line.problem, line.problem)) if line.problem else "")


def headers() -> list[str]:
    return [_("Line"), _("Name given"), _("Certificate number"), _("Verification result"),
            _("Holder (as public verification shows)"), _("Certificate status"), _("Level"), _("Date of issue"),
            _("Status since"), _("Replaced by"), _("Note")]


def report_csv(run: BulkVerification) -> bytes:
    """The run's lines as CSV: UTF-8 with a BOM, formula-like cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers())
    for line in run.lines:
        r = row(line)
        writer.writerow([str(r.line_no)] + [neutralise_cell(v) for v in (
            r.name, r.number, r.result, r.holder, r.status, r.level, r.issued_on, r.since, r.replaced_by, r.note)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _pdf_note(line: BulkVerificationLine) -> str:
    parts = []
    if line.outcome is LineOutcome.NAME_MISMATCH and line.status:
        zh, en = VERDICT_TEXT.get(VerdictCode(line.status), (line.status, line.status))
        parts.append(f"证书状态 Status: {zh} {en}")
    if line.status_since:
        parts.append(f"自 since {line.status_since.isoformat()}")
    if line.replaced_by:
        parts.append(f"已由新证书替代 Replaced by\n{line.replaced_by}")
    if line.problem:
        zh, en = PROBLEM_TEXT.get(line.problem, (line.problem, line.problem))
        parts.append(f"{zh} {en}")
    return "\n".join(parts)


_WIDTHS = (9, 34, 44, 30, 44, 14, 18, 64)  # mm: landscape A4 less the margins, 257 mm
_HEADINGS = ("行\nLine", "姓名（提供）\nName given", "证书编号\nCertificate No.", "结论\nResult",
             "持证人（公开核验所示）\nHolder as shown", "级别\nLevel", "发证日期\nIssued", "备注\nNote")
_TABLE_PT, _TABLE_LINE_MM, _CELL_PAD_MM, _MAX_CELL_LINES = 7.5, 3.4, 0.8, 4
_BOTTOM_MM = 15.0
_HEADING_FILL, _RULE = (226, 232, 242), (190, 198, 212)


def _fit(pdf: FPDF, text: str, width: float) -> list[str]:
    """The text broken into lines that fit `width`, at spaces, or anywhere in a run without spaces (CJK).

    fpdf2's own table measured every glyph of every cell again and again: a 2,000-line report took
    about 25 s to lay out; breaking here once, word by word, takes about a second."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if pdf.get_string_width(candidate) <= width:
                line = candidate
                continue
            if line:
                out.append(line)
            line = ""
            for char in word:  # a word wider than the column: break it where it must
                if pdf.get_string_width(line + char) > width and line:
                    out.append(line)
                    line = ""
                line += char
        out.append(line)
    if len(out) > _MAX_CELL_LINES:
        out = out[:_MAX_CELL_LINES - 1] + [out[_MAX_CELL_LINES - 1] + " …"]
    return out


def _table_row(pdf: FPDF, cells: list[str], fill: bool = False) -> None:
    """One row of the table, starting a new page (with the headings again) when it does not fit."""
    lines = [_fit(pdf, text, width - 2 * _CELL_PAD_MM) for text, width in zip(cells, _WIDTHS, strict=True)]
    height = max(len(cell) for cell in lines) * _TABLE_LINE_MM + 2 * _CELL_PAD_MM
    if pdf.get_y() + height > pdf.h - _BOTTOM_MM and not fill:
        pdf.add_page()
        _table_row(pdf, list(_HEADINGS), fill=True)
    top, x = pdf.get_y(), pdf.l_margin
    if fill:
        pdf.set_fill_color(*_HEADING_FILL)
        pdf.rect(x, top, sum(_WIDTHS), height, style="F")
    for cell, width in zip(lines, _WIDTHS, strict=True):
        for n, text in enumerate(cell):
            pdf.text(x + _CELL_PAD_MM, top + _CELL_PAD_MM + (n + 0.8) * _TABLE_LINE_MM, text)
        x += width
    pdf.set_draw_color(*_RULE)
    pdf.line(pdf.l_margin, top + height, pdf.l_margin + sum(_WIDTHS), top + height)
    pdf.set_y(top + height)


def render_report(run: BulkVerification, root_url: str) -> bytes:
    """The unsigned PDF of a run."""
    at = run.checked_at.astimezone(UTC)
    local = at.astimezone(clock.PROGRAMME_TZ)
    pdf = start_document("证书批量核验报告", "Bulk certificate verification report",
                         f"证书批量核验报告 Bulk certificate verification report {run.report_id}", run.checked_at,
                         orientation="landscape")
    pdf.set_font(FONT_FAMILY, size=9)
    counts = {o: sum(1 for line in run.lines if line.outcome is o) for o in LineOutcome}
    summary = "  ".join(f"{OUTCOME_TEXT[o][0]} {OUTCOME_TEXT[o][1]}: {n}" for o, n in counts.items() if n)
    pdf.multi_cell(0, 5, (
        f"报告编号 Report No.: {run.report_id}    核验单位 Organisation: {run.organisation.name}\n"
        f"核验时间 Checked at: {at:%Y-%m-%d %H:%M:%S} UTC / {local:%Y-%m-%d %H:%M:%S} 北京时间 (Asia/Shanghai)\n"
        f"文件 File: {run.source_name}    行数 Lines: {run.line_count}\n{summary}"),
        align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font(FONT_FAMILY, size=_TABLE_PT)
    _table_row(pdf, list(_HEADINGS), fill=True)
    for line in run.lines:
        zh, en = OUTCOME_TEXT[line.outcome]
        level = LEVELS.get(line.level, ("", ""))[0] if line.level else ""
        _table_row(pdf, [str(line.line_no), line.name_given, line.number_given, f"{zh}\n{en}",
                         line.holder_shown or "", level, line.issued_on.isoformat() if line.issued_on else "",
                         _pdf_note(line)])
    if pdf.get_y() + 30 > pdf.h - _BOTTOM_MM:
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font(FONT_FAMILY, size=8)
    pdf.multi_cell(0, 4.2, (
        "本报告记录上述时间逐行公开核验的结果（与公开核验页面所示相同），并由发证机构电子签名（PAdES）。如需最新状态，请重新核验。\n"
        "This report records what public verification showed for each line at the time above, and no more; it "
        "is signed by the issuing body (PAdES). Check the signature with pdfsig or a PDF reader against the "
        f"body's root certificate: {root_url}. Verify again for the current status."), align=Align.L)
    return bytes(pdf.output())


def report_pdf(run: BulkVerification, root_url: str) -> bytes:
    """The signed PDF of a run."""
    return sign_document(render_report(run, root_url), REPORT_SIGN_REASON)
