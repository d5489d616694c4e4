"""CSV for choice items: the spreadsheet fixture, faults with their lines, and the format notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from certexam.bankio import ExportError, ParseResult
from certexam.bankio.csv_format import CSV_FORMAT_DOC, META_COLUMNS, dump_csv, parse_csv
from certexam.domain.items import Item, Option, Text

FIXTURES = Path(__file__).parent / "fixtures" / "bank"

HEADER = "id,module,type,answer,stem_zh_Hans,stem_en,A_zh_Hans,A_en,B_zh_Hans,B_en,C_zh_Hans,C_en"
ROW1 = "L1-FIN-0001,L1-FIN,single_choice,B,题干一,Stem one,甲,a,乙,b,丙,c"
ROW2 = "L1-FIN-0002,L1-FIN,true_false,false,题干二,Stem two,,,,,,"
BASE = "\n".join([HEADER, ROW1, ROW2]) + "\n"


def parse(text: str) -> ParseResult:
    return parse_csv(text.encode("utf-8"), "bank.csv")


def only_error(result: ParseResult) -> tuple[int | None, str | None, str]:
    assert result.items == ()
    assert len(result.errors) == 1, result.errors
    return result.errors[0].line, result.errors[0].item_id, result.errors[0].message


def test_base_parses() -> None:
    result = parse(BASE)
    assert result.ok
    first, second = result.items
    assert first.options == (Option("A", Text({"zh_Hans": "甲", "en": "a"})), Option("B", Text({"zh_Hans": "乙", "en": "b"})),
                             Option("C", Text({"zh_Hans": "丙", "en": "c"})))
    assert (first.answer, second.answer, second.options) == ("B", False, ())


def test_spreadsheet_fixture_parses() -> None:
    result = parse_csv((FIXTURES / "L1-FIN.csv").read_bytes(), "L1-FIN.csv")
    assert result.errors == ()
    sc, mr, tf = result.items
    assert sc.answer == "C" and sc.difficulty == 2 and sc.tags == ("time-value",)
    assert sc.explanation["en"] == "100 × 1.1<sup>2</sup> = 121"
    assert mr.answer == ("A", "C") and mr.scoring == "all_or_nothing"  # "AC" in the cell
    assert mr.stem["en"] == "Which are derivatives?\n(Choose all that apply)"  # CRLF inside a cell normalised
    assert mr.tags == ("derivatives", "markets") and mr.enemies == ("L1-FIN-0001",)
    assert tf.answer is False  # Excel writes FALSE


def test_columns_may_come_in_any_order_and_blank_rows_are_skipped() -> None:
    cols, r1 = HEADER.split(","), ROW1.split(",")
    order = list(reversed(range(len(cols))))
    text = ",".join(cols[i] for i in order) + "\n\n" + ",".join(r1[i] for i in order) + "\n,,,\n"
    assert parse(text).items == parse("\n".join([HEADER, ROW1])).items


FAULTS = [
    ("semicolons", "id;module;type\nL1-FIN-0001;L1-FIN;true_false\n", 1, None, "separate columns with commas"),
    ("no answer column", BASE.replace(",answer,", ",difficulty,"), 1, None,
     "The header lacks the required column(s) answer."),
    ("duplicate id", BASE.replace("L1-FIN-0002", "L1-FIN-0001"), 3, "L1-FIN-0001",
     "The id 'L1-FIN-0001' is used more than once (first in bank.csv line 2)."),
    ("unknown module", BASE.replace("L1-FIN,true_false", "L1-XXX,true_false"), 3, "L1-FIN-0002",
     "The module 'L1-XXX' is not in the catalogue."),
    ("missing field", BASE.replace(",题干二,", ",,"), 3, "L1-FIN-0002", "The stem is missing its zh_Hans text"),
    ("too few options", BASE.replace(",丙,c", ",,"), 2, "L1-FIN-0001", "A single_choice item needs 3 to 8 options, not 2."),
    ("key not among options", BASE.replace("single_choice,B", "single_choice,D"), 2, "L1-FIN-0001",
     "The answer 'D' is not among the option keys (A, B, C)."),
    ("language gap", BASE.replace(",乙,b,", ",乙,,"), 2, "L1-FIN-0001", "The option B lacks en text, which the stem has."),
    ("unsafe HTML", BASE.replace("Stem one", "<p style=x>Stem</p>"), 2, "L1-FIN-0001",
     "The stem (en) has unsafe HTML: attribute 'style' on <p> is not allowed."),
    ("item set", BASE.replace("true_false,false", "item_set,"), 3, "L1-FIN-0002",
     "The type 'item_set' cannot be carried in CSV, which holds only single_choice, multiple_response, true_false items."),
    ("true_false answer", BASE.replace("true_false,false", "true_false,no"), 3, "L1-FIN-0002",
     "The answer of a true_false item must be true or false."),
    ("difficulty", BASE.replace("difficulty", "x").replace(HEADER, HEADER + ",difficulty").replace(ROW1, ROW1 + ",easy")
     .replace(ROW2, ROW2 + ","), 2, "L1-FIN-0001", "The difficulty must be a whole number, not 'easy'."),
    ("short row", BASE.replace(",,,,,,", ""), 3, None, "The row has 6 cells but the header has 12 columns"),
    ("unclosed quote", BASE.replace("Stem two", '"Stem two'), 3, None, "The CSV is not valid"),
    ("header only", HEADER + "\n", None, None, "The file has a header but no items."),
]


@pytest.mark.parametrize(("text", "line", "item_id", "message"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_fault_gives_one_clear_error_and_no_items(text: str, line: int | None, item_id: str | None, message: str) -> None:
    got_line, got_item, got_message = only_error(parse(text))
    assert message in got_message
    assert (got_line, got_item) == (line, item_id)


def test_a_misspelled_column_is_named_along_with_the_missing_one() -> None:
    result = parse(BASE.replace("id,module,type,answer", "id,module,type,answr"))
    assert result.items == ()
    assert [(e.line, e.message) for e in result.errors] == [
        (1, "The column 'answr' is not known; see the CSV format description."),
        (1, "The header lacks the required column(s) answer."),
    ]


def test_truncated_file_reports_the_cut_row() -> None:
    data = BASE.encode("utf-8")
    line, _, message = only_error(parse_csv(data[: data.index(b"Stem two")], "bank.csv"))
    assert line == 3 and message == "The row has 6 cells but the header has 12 columns (the file may be truncated)."


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (BASE.encode("utf-8").replace("题干二".encode(), "题干二".encode("gbk")), 3, "The file is not UTF-8 text"),
        (BASE.encode("utf-8")[: BASE.encode("utf-8").index("丙".encode()) + 2], 2, "ends in the middle of a character"),
        (b"", None, "The file is empty."),
    ],
    ids=["gbk", "cut in a character", "empty"],
)
def test_encoding_and_empty(data: bytes, line: int | None, message: str) -> None:
    got_line, _, got_message = only_error(parse_csv(data, "bank.csv"))
    assert message in got_message and got_line == line


def test_line_numbers_count_physical_lines_of_multi_line_cells() -> None:
    text = "\n".join([HEADER, ROW1.replace("Stem one", '"Stem\non\nthree lines"'), ROW2.replace(",false,", ",maybe,")])
    _, _, message = only_error(parse(text))
    assert parse(text).errors[0].line == 5 and "true or false" in message


def test_all_bad_rows_are_reported() -> None:
    result = parse(BASE.replace("single_choice,B", "single_choice,Z").replace("true_false,false", "true_false,x"))
    assert result.items == () and [e.line for e in result.errors] == [2, 3]


def test_formula_like_cells_are_guarded_on_export_and_restored_on_import() -> None:
    risky = Item("L1-FIN-0009", "L1-FIN", "single_choice", Text({"zh_Hans": "=1+1"}),
                 (Option("A", Text({"zh_Hans": "-5%"})), Option("B", Text({"zh_Hans": "'quoted"})),
                  Option("C", Text({"zh_Hans": "@x"}))), "A")
    out = dump_csv([risky]).decode("utf-8-sig")
    assert ",'=1+1," in out and ",'-5%," in out and ",''quoted," in out and ",'@x" in out
    assert parse_csv(out.encode("utf-8")).items == (risky,)


def test_export_writes_bom_and_only_the_columns_in_use() -> None:
    out = dump_csv(parse(BASE).items)
    assert out.startswith(b"\xef\xbb\xbf")
    header = out.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[: len(META_COLUMNS)] == list(META_COLUMNS)
    assert "C_en" in header and "D_en" not in header and "stem_pt" not in header


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (Item("L2-AI-0001", "L2-AI", "constructed", Text({"zh_Hans": "x"}), subtype="skill", max_points=5,
              rubric=Text({"zh_Hans": "r"})), "L2-AI-0001: CSV holds only"),
        (Item("L1-FIN-0001", "L1-FIN", "single_choice", Text({"zh_Hans": "x"}),
              tuple(Option(k, Text({"zh_Hans": k})) for k in "BAC"), "A"), "CSV option columns are A to H in order"),
    ],
)
def test_export_refuses_what_csv_cannot_carry(item: Item, reason: str) -> None:
    with pytest.raises(ExportError, match=reason):
        dump_csv([item])


def test_format_doc_names_every_column_family() -> None:
    for name in (*META_COLUMNS, "stem_<lang>", "A_<lang>", "explanation_<lang>"):
        assert f"`{name}`" in CSV_FORMAT_DOC
