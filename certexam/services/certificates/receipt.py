"""The verification receipt: a one-page PDF an employer keeps on file.

It states what the register and the signature check said, and when (UTC and
Beijing time), and carries the body's PAdES signature (the same document
signer as the certificates), so anyone can later show the receipt is genuine
and unchanged with pdfsig or any PDF reader.  There is no time-stamping
authority: the time is the one the body states and signs.  Bilingual (Chinese
and English) like the certificate, whatever the page language was.

Issuing a receipt needs the document-signing key; verifying a certificate
does not (see cert_verify).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, XPos, YPos

from certexam.certpdf.fonts import find_cjk_font, is_collection
from certexam.certpdf.render import LEVELS, date_en, date_zh
from certexam.certpdf.sign import sign_pdf
from certexam.domain.catalogue import DIRECTIONS
from certexam.domain.verdict import VerdictCode
from certexam.services.certificates import keys
from certexam.services.certificates.pdf import ISSUER_NAME_EN, ISSUER_NAME_ZH
from certexam.services.certificates.verify import VerifyOutcome
from certexam.services.platform import clock
from certexam.services.tlog import proofs as tlog_proofs

RECEIPT_SIGN_REASON = "Verification receipt / 核验回执"
RECEIPT_ID_BYTES = 8  # 16 hex digits: enough to quote a receipt, not a secret
FONT_FAMILY = "receiptserif"
_MARGIN_MM, _LABEL_W_MM, _LINE_MM, _ROW_GAP_MM = 20.0, 42.0, 6.5, 2.5
_NAVY, _INK = (22, 43, 84), (35, 35, 40)  # the certificate's colours (certpdf/layout.py)
_TITLE_PT, _BODY_PT, _SMALL_PT = 17, 11, 8.5

VERDICT_TEXT: dict[VerdictCode, tuple[str, str]] = {
    VerdictCode.VALID: ("有效", "Valid"),
    VerdictCode.REVOKED: ("已撤销", "Revoked"),
    VerdictCode.SUSPENDED: ("已暂停", "Suspended"),
    VerdictCode.EXPIRED: ("已过期", "Expired"),
    VerdictCode.NOT_YET_VALID: ("尚未生效", "Not yet valid"),
    VerdictCode.UNKNOWN: ("登记中无此证书", "Not in the register"),
    VerdictCode.MISMATCH: ("与登记不符", "Does not match the register"),
    VerdictCode.KEY_COMPROMISED: ("签名密钥已撤回，正在补发", "Signed with a withdrawn key; a replacement is being issued"),
    VerdictCode.BACKDATED: ("无效：签发日期早于签名密钥", "Invalid: issue date precedes the signing key"),
    VerdictCode.INVALID_TOKEN: ("无效（签名或数据有误）", "Invalid (signature or data wrong)"),
}

LOGGED_LATE_TEXT = ("无效：签发日期远早于载入公开日志", "Invalid: issued long before it entered the public log")
"""The result row for a BACKDATED verdict of the transparency log's rule (issue 20.5)."""


def new_receipt_id() -> str:
    return secrets.token_hex(RECEIPT_ID_BYTES).upper()


def receipt_rows(outcome: VerifyOutcome, receipt_id: str) -> list[tuple[str, str]]:
    """(label, value) rows, both bilingual."""
    at = outcome.checked_at.astimezone(UTC)
    local = at.astimezone(clock.PROGRAMME_TZ)
    zh, en = LOGGED_LATE_TEXT if outcome.verdict.detail == tlog_proofs.LOGGED_LATE else VERDICT_TEXT[outcome.code]
    rows = [
        ("回执编号\nReceipt No.", receipt_id),
        ("核验时间\nChecked at", f"{at:%Y-%m-%d %H:%M:%S} UTC\n{local:%Y-%m-%d %H:%M:%S} 北京时间 (Asia/Shanghai)"),
        ("证书编号\nCertificate No.", outcome.number or "—"),
        ("核验结论\nResult", f"{zh}  {en}"),
        ("发证机构签名\nIssuer's signature",
         f"通过  Verified (key {outcome.key_id})" if outcome.signature_ok
         else f"未通过  Not verified ({outcome.signature_reason})"),
    ]
    if outcome.level is not None:
        level_zh, level_en = LEVELS.get(outcome.level, (str(outcome.level), f"Level {outcome.level}"))
        rows.append(("级别\nLevel", f"{level_zh}  {level_en}"))
    if outcome.direction:
        direction_zh, direction_en = DIRECTIONS.get(outcome.direction, (outcome.direction, outcome.direction))
        rows.append(("方向\nDirection", f"{direction_zh}  {direction_en}"))
    if outcome.issued_on is not None:
        rows.append(("发证日期\nDate of issue", f"{date_zh(outcome.issued_on)}  {date_en(outcome.issued_on)}"))
    if outcome.verdict.since is not None and outcome.code is not VerdictCode.VALID:
        rows.append(("状态日期\nStatus since",
                     f"{date_zh(outcome.verdict.since)}  {date_en(outcome.verdict.since)}"))
    if outcome.number and outcome.code not in (VerdictCode.UNKNOWN, VerdictCode.INVALID_TOKEN):
        if outcome.name_check:
            rows.append(("持证人\nHolder", f"{outcome.name_zh}  {outcome.name_en}"))
            rows.append(("姓名核对\nName check", "与核验人提供的姓名一致  Matches the name the verifier gave"))
        else:
            rows.append(("持证人\nHolder", f"{outcome.masked_zh}  {outcome.masked_en}"))
            if outcome.name_check is False:
                rows.append(("姓名核对\nName check", "与核验人提供的姓名不一致  Does not match the name given"))
    if outcome.replaced_by:
        rows.append(("已由新证书替代\nReplaced by", outcome.replaced_by))
    logged = tlog_proofs.receipt_row(outcome.number) if outcome.number and outcome.level is not None else None
    if logged is not None:  # issue 20.5: the inclusion proof against the latest checkpoint
        rows.append(logged)
    return rows


def _row(pdf: FPDF, label: str, value: str) -> None:
    """One label/value row; the taller of the two sets the next row's top."""
    top = pdf.get_y()
    value_w = pdf.epw - _LABEL_W_MM
    heights: list[float] = []
    for x, width, text, size in ((pdf.l_margin, _LABEL_W_MM, label, _SMALL_PT),
                                 (pdf.l_margin + _LABEL_W_MM, value_w, value, _BODY_PT)):
        pdf.set_font(FONT_FAMILY, size=size)
        pdf.set_xy(x, top)
        height = pdf.multi_cell(width, _LINE_MM if size == _BODY_PT else _LINE_MM / 2, text,
                                align=Align.L, new_x=XPos.LEFT, new_y=YPos.NEXT,
                                output=MethodReturnValue.HEIGHT)
        heights.append(float(height))  # type: ignore[arg-type]  # HEIGHT asks for the height alone
    pdf.set_y(top + max(heights) + _ROW_GAP_MM)


def start_document(title_zh: str, title_en: str, doc_title: str, created_at: datetime,
                   orientation: str = "portrait") -> FPDF:
    """An A4 page in the certificate's font and colours, headed with the bilingual title and the issuer.

    The receipt and the employers' bulk verification report (services/employers/report.py) both start
    here, and both are signed by sign_document, so a verifier checks them the same way.
    """
    font = find_cjk_font()
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(_MARGIN_MM, _MARGIN_MM, _MARGIN_MM)
    pdf.c_margin = 0
    pdf.add_font(FONT_FAMILY, "", str(font.path), collection_font_number=font.face_index if is_collection(font) else 0)
    pdf.set_lang("zh-CN")
    pdf.set_title(doc_title)
    pdf.set_creator("certexam")
    pdf.set_creation_date(created_at.astimezone(UTC))
    pdf.add_page()
    pdf.set_text_color(*_NAVY)
    pdf.set_font(FONT_FAMILY, size=_TITLE_PT)
    pdf.cell(0, 10, title_zh, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(0, 9, title_en, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, size=_SMALL_PT)
    pdf.cell(0, 6, f"{ISSUER_NAME_ZH}  {ISSUER_NAME_EN}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*_NAVY)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.w - pdf.r_margin, pdf.get_y() + 2)
    pdf.set_y(pdf.get_y() + 7)
    pdf.set_text_color(*_INK)
    return pdf


def render_receipt(outcome: VerifyOutcome, root_url: str, receipt_id: str) -> bytes:
    """The unsigned receipt PDF."""
    pdf = start_document("证书核验回执", "Certificate verification receipt",
                         f"证书核验回执 Certificate verification receipt {receipt_id}", outcome.checked_at)
    for label, value in receipt_rows(outcome, receipt_id):
        _row(pdf, label, value)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.w - pdf.r_margin, pdf.get_y() + 2)
    pdf.set_y(pdf.get_y() + 6)
    pdf.set_font(FONT_FAMILY, size=_SMALL_PT)
    pdf.multi_cell(0, 4.5, (
        "本回执记录上述时间登记簿与签名核验的结果，并由发证机构电子签名（PAdES）。如需最新状态，请重新核验。\n"
        "This receipt records what the register and the signature check said at the time above, and is "
        "signed by the issuing body (PAdES). Check the signature with pdfsig or a PDF reader against the "
        f"body's root certificate: {root_url}. Verify again for the current status."), align=Align.L)
    return bytes(pdf.output())


def receipt_pdf(outcome: VerifyOutcome, root_url: str) -> tuple[str, bytes]:
    """(receipt id, signed receipt PDF)."""
    receipt_id = new_receipt_id()
    return receipt_id, sign_document(render_receipt(outcome, root_url, receipt_id), RECEIPT_SIGN_REASON)


def sign_document(unsigned: bytes, reason: str) -> bytes:
    """The PDF with the body's PAdES signature, by the document signer (the token key is not needed)."""
    key, cert, chain = keys.signing_store().document_signer()
    return sign_pdf(unsigned, key, cert, chain, reason=reason)
