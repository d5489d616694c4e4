"""The bank files of a batch, with the configured payer, template and today's date."""

from __future__ import annotations

from datetime import datetime

from certexam.models import PayoutBatch
from certexam.services.bonus.payfiles import cn_template, pain001, settings
from certexam.services.platform import clock

FORMATS = ("csv", "pain001", "cn")
"""csv: the plain file (payouts.export_csv); pain001: ISO 20022 XML; cn: the Chinese bank template."""


def pain001_file(batch: PayoutBatch, now: datetime | None = None) -> bytes:
    """The ISO 20022 file; the requested execution day is the day it is made (Asia/Shanghai)."""
    at = clock.now(now)
    return pain001.build(batch, settings.payer(), at.astimezone(clock.PROGRAMME_TZ), clock.today(at),
                         settings.cn_purpose())


def cn_template_file(batch: PayoutBatch) -> bytes:
    return cn_template.build(batch, settings.cn_columns(), settings.cn_encoding(), settings.payer().bank_code,
                             settings.cn_purpose())


def filename(batch: PayoutBatch, fmt: str) -> str:
    return {"csv": f"bonus-batch-{batch.id}.csv", "pain001": f"bonus-batch-{batch.id}.pain.001.001.09.xml",
            "cn": f"bonus-batch-{batch.id}-bank-template.csv"}[fmt]
