"""Question-bank import and export: YAML (native), CSV (choice items), Moodle XML.

Import is all-or-nothing: a ParseResult holds items or errors, never both.
"""

from certexam.bankio.csv_format import CSV_FORMAT_DOC
from certexam.bankio.errors import BankError, ExportError, ParseResult
from certexam.bankio.reader import (
    FORMATS,
    detect_format,
    export,
    export_files,
    read_bytes,
    read_files,
    unsupported,
)
from certexam.bankio.sanitize import safe_html

__all__ = [
    "CSV_FORMAT_DOC",
    "FORMATS",
    "BankError",
    "ExportError",
    "ParseResult",
    "detect_format",
    "export",
    "export_files",
    "read_bytes",
    "read_files",
    "safe_html",
    "unsupported",
]
