"""Settings of the payment files: who pays, and how the Chinese bank template looks.

Each is read from the app config (instance/config.py) with the default below.
docs/bonus-payment-files.md describes them for an operator.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

CN_ENCODINGS = ("gbk", "utf-8")
"""What the bank's upload page takes: most Chinese bank portals read GBK; newer ones UTF-8."""

CN_FIELDS = ("seq", "payee_name", "account", "bank_name", "cnaps", "same_bank", "amount", "purpose", "reference",
             "application")
"""What a column of the Chinese template can hold (see docs/bonus-payment-files.md)."""

CN_COLUMNS_DEFAULT: tuple[tuple[str, str], ...] = (
    ("序号", "seq"),
    ("收款人户名", "payee_name"),
    ("收款人账号", "account"),
    ("收款行名称", "bank_name"),
    ("收款行联行号", "cnaps"),
    ("本行/他行", "same_bank"),
    ("金额(元)", "amount"),
    ("用途", "purpose"),
    ("备注", "reference"),
)
"""BONUS_CN_TEMPLATE_COLUMNS: (header, field) pairs in the order of the bank's template."""

PURPOSE_DEFAULT = "金融科技师奖励补贴"
"""The 用途 (purpose) the bank shows the payee: the holder bonus of rules s.3, item 26."""


@dataclass(frozen=True)
class Payer:
    """The programme office's account that the money leaves from."""

    name: str
    account: str
    bank_code: str  # the paying bank's 3-digit CNAPS bank code: decides 本行/他行
    cnaps: str  # the paying branch's 12-digit CNAPS code, if known
    bic: str  # for pain.001, if the bank wants it


def _get(name: str, default: str) -> str:
    return str(current_app.config.get(name, default) or "").strip()


def payer() -> Payer:
    return Payer(name=_get("BONUS_PAYER_NAME", "Programme office"), account=_get("BONUS_PAYER_ACCOUNT", ""),
                 bank_code=_get("BONUS_PAYER_BANK_CODE", ""), cnaps=_get("BONUS_PAYER_CNAPS", ""),
                 bic=_get("BONUS_PAYER_BIC", ""))


def cn_encoding() -> str:
    value = _get("BONUS_CN_TEMPLATE_ENCODING", "gbk").lower().replace("_", "-")
    if value not in CN_ENCODINGS:
        raise ValueError(f"BONUS_CN_TEMPLATE_ENCODING must be one of {CN_ENCODINGS}, not {value!r}")
    return value


def cn_columns() -> tuple[tuple[str, str], ...]:
    """The configured columns; a field that does not exist is a configuration error, said at once."""
    raw = current_app.config.get("BONUS_CN_TEMPLATE_COLUMNS") or CN_COLUMNS_DEFAULT
    columns = tuple((str(header), str(field)) for header, field in raw)
    unknown = [f for _, f in columns if f not in CN_FIELDS]
    if unknown or not columns:
        raise ValueError(f"BONUS_CN_TEMPLATE_COLUMNS: unknown field(s) {unknown}; use {CN_FIELDS}")
    return columns


def cn_purpose() -> str:
    return _get("BONUS_CN_TEMPLATE_PURPOSE", PURPOSE_DEFAULT)
