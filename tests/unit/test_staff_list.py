"""The staff list's pure rules (issue 23): reading the list, each line's check, the outcome, CSV safety."""

from __future__ import annotations

import pytest

from certexam.domain.certno import format_number
from certexam.domain.staff_list import (
    MAX_LINES,
    LineOutcome,
    StaffListError,
    csv_rows,
    decode_csv,
    family_name_candidates,
    line_outcome,
    neutralise_cell,
    read_staff_list,
)

GOOD = format_number(2, 2026, 123)


def test_utf8_with_and_without_bom_and_gbk_decode_alike() -> None:
    text = f"姓名,证书编号\r\n陈大文,{GOOD}\r\n"
    for data in (text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("gbk")):
        (line,) = read_staff_list(csv_rows(decode_csv(data)))
        assert (line.line_no, line.name, line.number, line.problem) == (2, "陈大文", GOOD, None)


@pytest.mark.parametrize(("data", "code"), [
    (b"\x00\x01\x02PNG", "binary"),
    (b"\xff\xfe\xfd\x80\x81", "encoding"),
])
def test_binary_and_undecodable_bytes_are_refused(data: bytes, code: str) -> None:
    with pytest.raises(StaffListError) as caught:
        decode_csv(data)
    assert caught.value.code == code


def test_columns_in_any_order_with_english_headers_and_extra_columns() -> None:
    rows = [["Dept", "Certificate Number", "Name"], ["IT", f" {GOOD.lower()} ", "  Chan   Tai Man "]]
    (line,) = read_staff_list(rows)
    assert (line.name, line.number, line.problem) == ("Chan Tai Man", GOOD, None)


@pytest.mark.parametrize(("rows", "code", "columns"), [
    ([], "empty", ()),
    ([["", " "], []], "empty", ()),
    ([["name", "certificate number"]], "no_lines", ()),
    ([["name", "email"], ["A", "a@example.com"]], "columns", ("number",)),
    ([["foo", "bar"], ["A", GOOD]], "columns", ("name", "number")),
])
def test_lists_that_are_not_staff_lists_are_refused(rows: list[list[str]], code: str,
                                                     columns: tuple[str, ...]) -> None:
    with pytest.raises(StaffListError) as caught:
        read_staff_list(rows)
    assert (caught.value.code, caught.value.columns) == (code, columns)


def test_the_line_limit_is_inclusive() -> None:
    header = [["name", "number"]]
    assert len(read_staff_list(header + [["A", GOOD]] * MAX_LINES)) == MAX_LINES
    with pytest.raises(StaffListError) as caught:
        read_staff_list(header + [["A", GOOD]] * (MAX_LINES + 1))
    assert (caught.value.code, caught.value.limit) == ("too_many_lines", MAX_LINES)
    with pytest.raises(StaffListError):  # the CSV reader stops early instead of reading 10k lines
        csv_rows("name,number\n" + "A,B\n" * 10_000)


def test_malformed_lines_are_reported_not_refused_and_blank_lines_skipped() -> None:
    wrong_check = GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1")
    rows = [["name", "number"], ["", GOOD], [], ["B", ""], ["C", wrong_check], ["D", "12345"],
            ["E" * 201, GOOD], ["F", GOOD, "extra"], ["G"]]
    got = [(line.line_no, line.problem) for line in read_staff_list(rows)]
    assert got == [(2, "no_name"), (4, "no_number"), (5, "bad_number"), (6, "bad_number"), (7, "long_name"),
                   (8, None), (9, "no_number")]


def test_control_and_bidi_characters_leave_the_name() -> None:
    (line,) = read_staff_list([["name", "number"], ["\u202eCHAN\x01 Tai\tMan\u200b", GOOD]])
    assert (line.name, line.problem) == ("CHAN Tai Man", None)
    (line,) = read_staff_list([["name", "number"], ["\x07\u202e", GOOD]])
    assert line.problem == "no_name"


def test_a_huge_cell_refuses_the_file() -> None:
    with pytest.raises(StaffListError) as caught:
        read_staff_list([["name", "number"], ["A" * 1001, GOOD]])
    assert caught.value.code == "long_cell"


def test_an_unclosed_quote_over_a_huge_field_is_refused() -> None:
    with pytest.raises(StaffListError) as caught:  # csv's field limit (128 kB): csv.Error, not a crash
        csv_rows('name,number\n"A' + "x" * 200_000)
    assert caught.value.code == "unreadable"


@pytest.mark.parametrize(("verdict", "whole", "family", "expected"), [
    (None, True, True, LineOutcome.UNKNOWN),  # not in the register
    ("valid", False, False, LineOutcome.UNKNOWN),  # neither the name nor the family name: as the lookup
    ("revoked", False, False, LineOutcome.UNKNOWN),
    ("valid", True, False, LineOutcome.VALID),  # the whole Chinese name, say
    ("valid", True, True, LineOutcome.VALID),
    ("valid", False, True, LineOutcome.NAME_MISMATCH),
    ("revoked", False, True, LineOutcome.NAME_MISMATCH),
    ("revoked", True, True, LineOutcome.REVOKED),
    ("suspended", True, True, LineOutcome.SUSPENDED),
    ("expired", True, True, LineOutcome.EXPIRED),
    ("not_yet_valid", True, True, LineOutcome.NOT_YET_VALID),
    ("invalid_token", True, True, LineOutcome.UNCONFIRMED),
    ("key_compromised", False, True, LineOutcome.UNCONFIRMED),
    ("mismatch", False, False, LineOutcome.UNKNOWN),
])
def test_line_outcome(verdict: str | None, whole: bool, family: bool, expected: LineOutcome) -> None:
    assert line_outcome(verdict, whole, family) is expected


def test_the_family_name_is_looked_for_at_either_end_of_the_name_only() -> None:
    assert family_name_candidates("CHAN, Siu Ming") == ["CHAN", "Ming", "CHAN Siu", "Siu Ming", "CHAN Siu Ming"]
    assert family_name_candidates("欧阳·明华、X") == ["欧阳", "X", "欧阳 明华", "明华 X", "欧阳 明华 X"]
    assert family_name_candidates("Ana Maria de Sousa Lopes")[-2:] == ["Ana Maria de", "de Sousa Lopes"]
    many = " ".join(["WONG", "LI", "ZHANG", "LIU", "CHEN", "YANG", "HUANG", "ZHAO"])
    assert not {"LI", "ZHANG", "LIU", "CHEN", "YANG", "HUANG"} & set(family_name_candidates(many))
    assert family_name_candidates("  ") == []


@pytest.mark.parametrize(("cell", "safe"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("陈大文", "陈大文"), ("", ""), ("a=b", "a=b"),
])
def test_formula_cells_are_neutralised(cell: str, safe: str) -> None:
    assert neutralise_cell(cell) == safe
