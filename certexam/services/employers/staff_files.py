"""A staff list's bytes as rows of cells: CSV (UTF-8 with or without a BOM, or GBK) or XLSX (issue 23).

The file is read whole before anything is checked or written, and anything that is not a readable
staff list is refused with one clear message (UserError), so a bad file records nothing. XLSX is read
with openpyxl in read-only mode, values only: a formula gives the value Excel last computed and is
never run; a workbook saved without computed values gives empty cells, which are malformed lines.
openpyxl parses the workbook's XML with defusedxml when it is installed (it is a dependency), and the
ZIP's inflated size is bounded before openpyxl opens it, so a small file cannot expand into gigabytes.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _

from certexam.domain.staff_list import MAX_CELL_CHARS, MAX_LINES, StaffListError, csv_rows, decode_csv
from certexam.errors import UserError

MAX_FILE_BYTES = 1024 * 1024
"""1 MB: a list of MAX_LINES lines is about 100 kB as CSV and 60 kB as XLSX; ten times that is room."""

MAX_INFLATED_BYTES = 20 * 1024 * 1024  # an XLSX's parts once unzipped; the largest real list is < 1 MB
_ZIP_MAGIC = b"PK\x03\x04"


def message(exc: StaffListError) -> str:
    """The refusal in the reader's language."""
    if exc.code == "columns":
        return str(_("The file has no column for: %(list)s. The first line must name the columns, e.g. "
                 "\"name,certificate number\" or \"姓名,证书编号\".",
                 list=", ".join(_("name") if c == "name" else _("certificate number") for c in exc.columns)))
    if exc.code == "too_many_lines":
        return str(_("The file has more than %(n)d lines; split it into several lists.", n=exc.limit or MAX_LINES))
    if exc.code == "long_cell":
        return str(_("A cell holds more than %(n)d characters: this is not a staff list.", n=exc.limit or MAX_CELL_CHARS))
    if exc.code in ("empty", "no_lines"):
        return str(_("The file has no staff lines under its header."))
    if exc.code == "encoding":
        return str(_("The file is neither UTF-8 nor GBK text."))
    return str(_("The file cannot be read as a CSV or XLSX staff list."))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # a second or so to import: only when an XLSX arrives

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_INFLATED_BYTES:
                raise StaffListError("unreadable")
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except StaffListError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged workbook
        raise StaffListError("unreadable") from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise StaffListError("empty")
        rows: list[list[str]] = []
        for row in sheet.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in row[:50]])  # a staff list has two columns, not thousands
            if len(rows) > MAX_LINES + 1:
                raise StaffListError("too_many_lines", MAX_LINES)
        return rows
    except StaffListError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet part fails while it is read
        raise StaffListError("unreadable") from exc
    finally:
        book.close()


def read_rows(filename: str, data: bytes) -> list[list[str]]:
    """The file's rows of cells, or UserError (field "file") when it is not a readable list."""
    if len(data) > MAX_FILE_BYTES:
        raise UserError(_("The file is larger than %(size)s.", size="1 MB"), "file")
    if not data:
        raise UserError(_("The file is empty."), "file")
    try:
        if data.startswith(_ZIP_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
            return _xlsx_rows(data)
        return csv_rows(decode_csv(data))
    except StaffListError as exc:
        raise UserError(message(exc), "file") from None
