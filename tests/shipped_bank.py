"""Reading some modules of the shipped banks on their own (issue 22).

The shipped items declare enemies across modules (L2-GEN-0016 and L2-ETH-0012 against L2-BD-0031, ...),
and the reader refuses an enemy that is neither in the import nor in the bank. A test that imports a few
modules reads them against the ids of every shipped item, as an import into a bank holding the rest would.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from certexam.bankio import reader
from certexam.bankio.errors import ParseResult

BANKS = Path(__file__).resolve().parents[1] / "certexam" / "question_bank"


@cache
def shipped_ids() -> frozenset[str]:
    """The id of every item in the shipped banks."""
    result = reader.read_files(reader.bank_files(BANKS))
    assert not result.errors, result.errors[:3]
    return frozenset(item.id for item in result.items)


def read_modules(level: int, modules: tuple[str, ...]) -> ParseResult:
    """The shipped files level<level>/<module>.yaml of `modules`, read as one import."""
    return reader.read_files([str(BANKS / f"level{level}" / f"{m}.yaml") for m in modules], shipped_ids())
