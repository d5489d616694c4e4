"""An employer's staff list for bulk verification (issue 23): reading it and naming each line's outcome.

The list has a header row and two columns, the employee's name and the certificate number, in either
order, with English or Chinese headers (HEADERS). A file that cannot be read as such a list is refused
whole (StaffListError, nothing is checked or recorded); a readable file gives one StaffLine per data
line, and a line without a name or with a number that is not a certificate number is a malformed line
that is reported, not refused. Blank lines are skipped. The bytes of an XLSX file are the shell's
business (openpyxl); CSV text is decoded here because that is plain standard library.

What each line's outcome may say is what public verification says and no more (LineOutcome).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from certexam.domain.certno import CertificateNumberError, normalise, parse_number

MAX_LINES = 2_000
"""Data lines per list. An employer of forty holders needs forty; 2,000 covers the largest employer the
programme's 3,000-holder target (rules s.1) could produce. One run reads the register and checks a
signature per line: 2,000 valid lines took 4-9 s on a busy two-CPU development machine, their signed
PDF 2-4 s (benchmarks/bench_employer_bulk.py, BENCHMARKS.md)."""

MAX_NAME_CHARS = 200  # the English name's column on a certificate (models/certificate.py)
MAX_CELL_CHARS = 1_000  # longer than any name or number: the file is not a staff list

HEADERS: dict[str, str] = {
    "name": "name", "employee name": "name", "holder name": "name", "full name": "name",
    "姓名": "name", "员工姓名": "name", "員工姓名": "name", "持证人": "name", "持證人": "name",
    "certificate number": "number", "certificate no": "number", "certificate no.": "number",
    "certificate": "number", "number": "number",
    "证书编号": "number", "證書編號": "number", "证书号": "number", "證書號": "number",
}
"""Header text (NFKC, case-folded, spaces collapsed) -> column."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell a spreadsheet would run as a formula (OWASP, "CSV injection")."""


class StaffListError(ValueError):
    """The file is not a staff list; `code` names why, `limit` the limit passed, for the message."""

    def __init__(self, code: str, limit: int | None = None, columns: tuple[str, ...] = ()) -> None:
        super().__init__(code)
        self.code, self.limit, self.columns = code, limit, columns


class LineOutcome(StrEnum):
    """One line's result. Each shows what the public lookup shows for that number and name."""

    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"  # with the replacement's number when it was re-issued
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    NAME_MISMATCH = "name_mismatch"  # the name starts or ends with the holder's family name, but is not the name
    UNKNOWN = "unknown"  # no certificate with this number and name, as the public lookup says
    UNCONFIRMED = "unconfirmed"  # the register and the signature disagree: ask the body
    MALFORMED = "malformed"  # no name, or not a certificate number


@dataclass(frozen=True)
class StaffLine:
    """One data line: its line number in the file (the header is line 1) and what it gives."""

    line_no: int
    name: str
    number: str  # canonical when well-formed, else as given
    problem: str | None = None  # why the line is malformed: "no_name", "no_number", "bad_number", "long_name"


def decode_csv(data: bytes) -> str:
    """CSV bytes as text: UTF-8 with or without a BOM, else GBK (what Excel saves on Chinese Windows)."""
    if b"\x00" in data:
        raise StaffListError("binary")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gbk")
    except UnicodeDecodeError:
        raise StaffListError("encoding") from None


def csv_rows(text: str) -> list[list[str]]:
    """The CSV's rows of cells (at most MAX_LINES + 1 data rows are read, then it is refused)."""
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            rows.append(row)
            if len(rows) > MAX_LINES + 1:
                raise StaffListError("too_many_lines", MAX_LINES)
    except csv.Error:
        raise StaffListError("unreadable") from None
    return rows


def _header_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().replace("_", " ").split())


def _tidy(text: str) -> str:
    """NFKC, white space collapsed, and no control or format characters (a right-to-left override in
    a name would show the report's cell in another order than it was given)."""
    text = unicodedata.normalize("NFKC", text)
    return " ".join("".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf") or c.isspace()).split())


def read_staff_list(rows: list[list[str]]) -> list[StaffLine]:
    """The staff lines of a list given as rows of cells (header first), or StaffListError."""
    data = [(n, row) for n, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not data:
        raise StaffListError("empty")
    header_no, header = data[0]
    columns: dict[str, int] = {}
    for i, cell in enumerate(header):
        key = HEADERS.get(_header_key(cell))
        if key is not None:
            columns.setdefault(key, i)
    missing = tuple(c for c in ("name", "number") if c not in columns)
    if missing:
        raise StaffListError("columns", columns=missing)
    body = data[1:]
    if not body:
        raise StaffListError("no_lines")
    if len(body) > MAX_LINES:
        raise StaffListError("too_many_lines", MAX_LINES)
    out = []
    for n, row in body:
        if any(len(cell) > MAX_CELL_CHARS for cell in row):
            raise StaffListError("long_cell", MAX_CELL_CHARS)
        out.append(staff_line(n, *(row[columns[c]] if columns[c] < len(row) else "" for c in ("name", "number"))))
    return out


def staff_line(line_no: int, name: str, number: str) -> StaffLine:
    """One line, checked: a name, and a well-formed certificate number (domain/certno.py)."""
    name, given = _tidy(name), normalise(number)
    problem = None
    if not name:
        problem = "no_name"
    elif len(name) > MAX_NAME_CHARS:
        problem = "long_name"
    elif not given:
        problem = "no_number"
    else:
        try:
            given = str(parse_number(given))
        except CertificateNumberError:
            problem = "bad_number"
    return StaffLine(line_no, name, given, problem)


_BY_VERDICT = {
    "valid": LineOutcome.VALID, "suspended": LineOutcome.SUSPENDED, "revoked": LineOutcome.REVOKED,
    "expired": LineOutcome.EXPIRED, "not_yet_valid": LineOutcome.NOT_YET_VALID, "unknown": LineOutcome.UNKNOWN,
}
"""Public verdicts (domain/verdict.VerdictCode values) that a line repeats; any other (a bad token, a key
declared compromised, a register that differs from the token) is UNCONFIRMED."""


def line_outcome(verdict: str | None, name_matches: bool, family_name_given: bool) -> LineOutcome:
    """A well-formed line's outcome from the public verdict (None: the number is not in the register),
    whether the name given is the holder's whole name (Chinese or English), and whether its first or last
    words are the holder's family name (family_name_candidates).

    The public lookup (services/certificates/verify.lookup) answers only to a number with its holder's
    family name, and says "no certificate matches" to a wrong one without telling whether the number
    exists; a line whose name has neither gets that same UNKNOWN. A whole name that matches is at least
    as much as the family name (the QR page confirms it the same way). A family name without the whole
    name shows what the lookup shows with it: the status, and that the name given does not match.
    """
    if verdict is None or not (name_matches or family_name_given):
        return LineOutcome.UNKNOWN
    outcome = _BY_VERDICT.get(verdict, LineOutcome.UNCONFIRMED)
    if outcome in (LineOutcome.UNCONFIRMED, LineOutcome.UNKNOWN) or name_matches:
        return outcome
    return LineOutcome.NAME_MISMATCH


_NAME_WORDS = re.compile(r"[\s,，、·]+")


MAX_FAMILY_WORDS = 3  # "AU YEUNG", "de Sousa Lopes": longer family names are not written


def family_name_candidates(name: str) -> list[str]:
    """The parts of a typed name that may be the holder's family name: its first or last one to three
    words ("CHAN, Siu Ming", "Ana de Sousa"), each to be given to the public lookup's family-name check.

    Only the two ends count, as a family name is written first (Chinese order) or last (Western
    order): a "name" listing a hundred common surnames tests two of them, not a hundred, so one line
    probes no more than two lookups would."""
    words = [w for w in _NAME_WORDS.split(name) if w]
    out: list[str] = []
    for n in range(1, min(MAX_FAMILY_WORDS, len(words)) + 1):
        for part in (words[:n], words[-n:]):
            text = " ".join(part)
            if text not in out:
                out.append(text)
    return out


def neutralise_cell(text: str) -> str:
    """A cell that opens safely in a spreadsheet: a leading quote before anything a formula starts with."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
