"""A Chinese bank's bulk-payment (批量代发/批量转账) template for a batch (issue 23).

Banks' upload pages differ in the order and names of their columns, so the
columns are a setting (BONUS_CN_TEMPLATE_COLUMNS: header and field pairs, see
payfiles.settings and docs/bonus-payment-files.md), as is the encoding
(BONUS_CN_TEMPLATE_ENCODING: gbk or utf-8; GBK files carry no BOM).

The file is CSV: first the control total, which the bank compares with the
lines before it pays anything,

    总笔数,<count>
    总金额,<sum in yuan, 2 decimals>

then the header row and one row per line.  Amounts come from integer fen.
"""

from __future__ import annotations

import csv
import io

from flask_babel import gettext as _

from certexam.domain.accounts_check import same_bank
from certexam.errors import UserError
from certexam.models import Payout, PayoutBatch
from certexam.services.bonus.settings import plain_fen

COUNT_LABEL, TOTAL_LABEL = "总笔数", "总金额"
SAME_BANK, OTHER_BANK = "本行", "他行"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _value(field: str, seq: int, p: Payout, payer_bank_code: str, purpose: str) -> str:
    if field == "seq":
        return str(seq)
    if field == "payee_name":
        return _text(p.payee_name)  # a holder, or a subsidised institution (rules s.4)
    if field == "account":
        return p.bank_account
    if field == "bank_name":
        return _text(p.bank_name)
    if field == "cnaps":
        return p.bank_cnaps or ""
    if field == "same_bank":
        return SAME_BANK if same_bank(p.bank_cnaps, payer_bank_code) else OTHER_BANK
    if field == "amount":
        return plain_fen(p.amount_fen)
    if field == "purpose":
        return _text(purpose)
    if field == "reference":
        return p.end_to_end_id
    if field == "application":
        return p.source_reference
    raise ValueError(field)  # settings.cn_columns() has refused it already


def build(batch: PayoutBatch, columns: tuple[tuple[str, str], ...], encoding: str, payer_bank_code: str,
          purpose: str) -> bytes:
    """The file, encoded; UserError naming the application whose name the encoding cannot write."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([COUNT_LABEL, str(len(batch.payouts))])
    writer.writerow([TOTAL_LABEL, plain_fen(sum(p.amount_fen for p in batch.payouts))])
    writer.writerow([header for header, _field in columns])
    for seq, p in enumerate(batch.payouts, start=1):
        row = [_value(field, seq, p, payer_bank_code, purpose) for _header, field in columns]
        try:
            "".join(row).encode(encoding)
        except UnicodeEncodeError:
            # A rare character outside GBK (e.g. 𠮷): the bank could not read the name, say whose.
            raise UserError(_("%(ref)s: the payee's name or bank has a character %(enc)s cannot write; "
                              "choose UTF-8 for the bank template.", ref=p.source_reference,
                              enc=encoding.upper())) from None
        writer.writerow(row)
    return out.getvalue().encode(encoding)
