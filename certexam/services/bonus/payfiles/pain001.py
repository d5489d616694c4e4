"""ISO 20022 pain.001.001.09 (CustomerCreditTransferInitiationV09): a batch as a credit-transfer file.

Built with lxml element by element in the schema's order; tests/integration/
test_payfiles.py validates the output against the official XSD shipped in the
sepaxml package (a [test] extra).  China-specific choices (issue 23):

* accounts are not IBANs: every account is ``Id/Othr/Id`` with the digits;
* the receiving branch is its CNAPS code (联行号) as a clearing-system member,
  ``ClrSysMmbId/ClrSysId/Cd`` = CNAPS (ISO external code list); a payee at the
  paying bank with no code gets ``Othr/Id`` = NOTPROVIDED, as the guidelines do;
* amounts are CNY with two decimals, from integer fen (no floats);
* EndToEndId is the line's reference, which comes back in the bank's statement.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from lxml import etree

from certexam.errors import UserError
from certexam.models import PayoutBatch
from certexam.services.bonus.payfiles.settings import Payer
from certexam.services.bonus.settings import plain_fen

NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
CURRENCY = "CNY"


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{NS}}}{tag}", attrs)
    if text is not None:
        node.text = text
    return node


def _max(text: str, n: int) -> str:
    """ISO's MaxNText: at most n characters, never empty."""
    return (text.strip() or "-")[:n]


def _agent(parent: etree._Element, tag: str, cnaps: str | None, bic: str = "") -> None:
    fin = _el(_el(parent, tag), "FinInstnId")
    if bic:
        _el(fin, "BICFI", bic)
    if cnaps:
        member = _el(fin, "ClrSysMmbId")
        _el(_el(member, "ClrSysId"), "Cd", "CNAPS")
        _el(member, "MmbId", cnaps)
    if not bic and not cnaps:
        _el(_el(fin, "Othr"), "Id", "NOTPROVIDED")


def _account(parent: etree._Element, tag: str, number: str) -> None:
    _el(_el(_el(_el(parent, tag), "Id"), "Othr"), "Id", number)


def build(batch: PayoutBatch, payer: Payer, created: datetime, execution_day: date, purpose: str) -> bytes:
    """The file for the bank; UserError when the payer's account is not configured."""
    if not payer.account:
        raise UserError(_("The paying account is not set (BONUS_PAYER_ACCOUNT): no ISO 20022 file can be made."))
    lines = batch.payouts
    total = plain_fen(sum(p.amount_fen for p in lines))
    root = etree.Element(f"{{{NS}}}Document", nsmap={None: NS})
    initiation = _el(root, "CstmrCdtTrfInitn")
    header = _el(initiation, "GrpHdr")
    _el(header, "MsgId", f"CERTEXAM-BATCH-{batch.id:06d}")
    _el(header, "CreDtTm", created.isoformat(timespec="seconds"))
    _el(header, "NbOfTxs", str(len(lines)))
    _el(header, "CtrlSum", total)
    _el(_el(header, "InitgPty"), "Nm", _max(payer.name, 140))
    info = _el(initiation, "PmtInf")
    _el(info, "PmtInfId", f"CERTEXAM-BATCH-{batch.id:06d}-1")
    _el(info, "PmtMtd", "TRF")
    _el(info, "BtchBookg", "true")
    _el(info, "NbOfTxs", str(len(lines)))
    _el(info, "CtrlSum", total)
    _el(_el(info, "ReqdExctnDt"), "Dt", execution_day.isoformat())
    _el(_el(info, "Dbtr"), "Nm", _max(payer.name, 140))
    _account(info, "DbtrAcct", payer.account)
    _agent(info, "DbtrAgt", payer.cnaps or None, payer.bic)
    for p in lines:
        tx = _el(info, "CdtTrfTxInf")
        ids = _el(tx, "PmtId")
        _el(ids, "InstrId", p.end_to_end_id)
        _el(ids, "EndToEndId", p.end_to_end_id)
        _el(_el(tx, "Amt"), "InstdAmt", plain_fen(p.amount_fen), Ccy=CURRENCY)
        _agent(tx, "CdtrAgt", p.bank_cnaps)
        _el(_el(tx, "Cdtr"), "Nm", _max(p.payee_name, 140))
        _account(tx, "CdtrAcct", p.bank_account)
        _el(_el(tx, "RmtInf"), "Ustrd", _max(f"{p.source_reference} {purpose}", 140))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
