"""The native YAML format: parsing the shipped-style fixture and the faults real files have."""

from __future__ import annotations

from pathlib import Path

import pytest

from certexam.bankio import ParseResult, safe_html
from certexam.bankio.sanitize import html_problems
from certexam.bankio.yaml_format import dump_yaml, parse_yaml
from certexam.domain.items import Text

FIXTURES = Path(__file__).parent / "fixtures" / "bank"

BASE = """\
format: certexam-bank/1
module: L1-ETH
items:
  - id: L1-ETH-0001
    type: single_choice
    stem: {zh_Hans: 题干一, en: Stem one}
    options:
      - {key: A, text: {zh_Hans: 甲, en: a}}
      - {key: B, text: {zh_Hans: 乙, en: b}}
      - {key: C, text: {zh_Hans: 丙, en: c}}
    answer: B
  - id: L1-ETH-0002
    type: true_false
    stem: {zh_Hans: 题干二, en: Stem two}
    answer: false
"""


def parse(text: str) -> ParseResult:
    return parse_yaml(text.encode("utf-8"), "bank.yaml")


def only_error(result: ParseResult) -> tuple[int | None, str | None, str]:
    assert result.items == ()
    assert len(result.errors) == 1, result.errors
    error = result.errors[0]
    assert error.file == "bank.yaml"
    return error.line, error.item_id, error.message


def test_base_parses() -> None:
    result = parse(BASE)
    assert result.ok and [i.id for i in result.items] == ["L1-ETH-0001", "L1-ETH-0002"]
    assert result.items[0].stem == Text({"zh_Hans": "题干一", "en": "Stem one"})
    assert result.items[1].answer is False


def test_fixture_with_every_item_type_parses() -> None:
    result = parse_yaml((FIXTURES / "L1-ETH.yaml").read_bytes(), "L1-ETH.yaml")
    assert result.errors == ()
    by_id = {item.id: item for item in result.items}
    assert [i.type for i in result.items] == [
        "single_choice", "multiple_response", "true_false", "item_set", "constructed"]
    assert by_id["L1-ETH-0001"].languages() == ("zh_Hans", "zh_Hant", "en")
    assert by_id["L1-ETH-0001"].enemies == ("L1-ETH-0002",) and by_id["L1-ETH-0001"].difficulty == 2
    assert by_id["L1-ETH-0002"].answer == ("A", "C") and by_id["L1-ETH-0002"].scoring == "partial"
    assert by_id["L1-ETH-0003"].answer is True
    assert by_id["L1-ETH-0003"].stem["en"] == "If a < b and b < c, then a < c."  # plain '<' survives
    item_set = by_id["L1-ETH-0004"]
    assert [c.id for c in item_set.children] == ["L1-ETH-0004-1", "L1-ETH-0004-2"]
    assert all(c.module == "L1-ETH" for c in item_set.children)
    assert '<img src="assets/eth/chart-1.png" alt="Returns chart">' in item_set.case["en"]
    essay = by_id["L1-ETH-0005"]
    assert (essay.subtype, essay.max_points) == ("short_answer", 10)
    assert essay.rubric["en"].startswith("<ul>\n<li>Ethics")  # block text: line ends kept, outer space trimmed


def test_multiple_response_without_scoring_defaults_to_all_or_nothing() -> None:
    text = BASE.replace("type: single_choice", "type: multiple_response").replace("answer: B", "answer: [A, B]")
    assert parse(text).items[0].scoring == "all_or_nothing"


def test_scalars_are_read_as_written() -> None:
    text = BASE.replace("en: a}", "en: yes}").replace("en: b}", "en: '0012'}").replace("answer: false", "answer: no")
    result = parse(text)
    assert result.ok, result.errors
    assert result.items[0].options[0].text["en"] == "yes"
    assert result.items[0].options[1].text["en"] == "0012"
    assert result.items[1].answer is False


def test_a_utf8_bom_and_crlf_line_ends_are_fine() -> None:
    data = b"\xef\xbb\xbf" + BASE.replace("\n", "\r\n").encode("utf-8")
    assert parse_yaml(data).items == parse(BASE).items


# ---- faults: each gives a clear message with its line, and no items -------------------------------------

FAULTS = [
    ("missing stem", BASE.replace("    stem: {zh_Hans: 题干二, en: Stem two}\n", ""), 12, "L1-ETH-0002",
     "The stem is missing its zh_Hans text (zh_Hans is required)."),
    ("missing type", BASE.replace("    type: true_false\n", ""), 12, "L1-ETH-0002",
     "The type is missing; it must be one of single_choice"),
    ("missing id", BASE.replace("  - id: L1-ETH-0002\n    type", "  - type"), 12, None, "The id is missing."),
    ("duplicate id", BASE.replace("L1-ETH-0002", "L1-ETH-0001"), 12, "L1-ETH-0001",
     "The id 'L1-ETH-0001' is used more than once (first in bank.yaml line 4)."),
    ("unknown module", BASE.replace("module: L1-ETH", "module: L1-XYZ"), 2, None,
     "The module 'L1-XYZ' is not in the catalogue."),
    ("too few options", BASE.replace("      - {key: C, text: {zh_Hans: 丙, en: c}}\n", ""), 7, "L1-ETH-0001",
     "A single_choice item needs 3 to 8 options, not 2."),
    ("key not among options", BASE.replace("answer: B", "answer: E"), 11, "L1-ETH-0001",
     "The answer 'E' is not among the option keys (A, B, C)."),
    ("duplicate option key", BASE.replace("{key: C,", "{key: A,"), 10, "L1-ETH-0001",
     "Option key 'A' is used more than once."),
    ("option lacks a language", BASE.replace("{zh_Hans: 乙, en: b}", "{zh_Hans: 乙}"), 9, "L1-ETH-0001",
     "The option B lacks en text, which the stem has."),
    ("unsafe HTML", BASE.replace("en: Stem two", "en: Stem <script>alert(1)</script>"), 14, "L1-ETH-0002",
     "The stem (en) has unsafe HTML: tag <script> is not allowed."),
    ("event attribute", BASE.replace("en: Stem two", "en: '<p onclick=\"x()\">Stem</p>'"), 14, "L1-ETH-0002",
     "The stem (en) has unsafe HTML: attribute 'onclick' on <p> is not allowed."),
    ("foreign image", BASE.replace("en: b}", "en: '<img src=\"https://evil.example/x.png\">'}"), 9, "L1-ETH-0001",
     "must be a file in the bank's assets/ folder"),
    ("image outside assets", BASE.replace("en: b}", "en: '<img src=\"assets/../../etc/passwd\">'}"), 9,
     "L1-ETH-0001", "image source 'assets/../../etc/passwd' must be a file in the bank's assets/ folder"),
    ("unknown field", BASE.replace("    answer: false", "    answer: false\n    colour: red"), 16, "L1-ETH-0002",
     "Unknown field 'colour' in item 2 (expected id, type,"),
    ("field twice", BASE.replace("    answer: false", "    answer: false\n    answer: true"), 16, "L1-ETH-0002",
     "The field 'answer' appears twice in item 2."),
    ("true_false answer", BASE.replace("answer: false", "answer: maybe"), 15, "L1-ETH-0002",
     "The answer of a true_false item must be true or false."),
    ("options not a list", BASE.replace(BASE[BASE.index("    options:"):BASE.index("    answer: B")], "    options: A B C\n"), 7, "L1-ETH-0001",
     "The options must be a list of entries with key and text."),
    ("text not a mapping", BASE.replace("stem: {zh_Hans: 题干二, en: Stem two}", "stem: Stem two"), 14,
     "L1-ETH-0002", "The stem must map language codes to text, e.g. {zh_Hans: ..., en: ...}."),
    ("difficulty not a number", BASE.replace("    answer: false", "    answer: false\n    difficulty: hard"), 16,
     "L1-ETH-0002", "The difficulty must be a whole number, not 'hard'."),
    ("wrong format", BASE.replace("certexam-bank/1", "certexam-bank/2"), 1, None,
     "The format 'certexam-bank/2' is not 'certexam-bank/1'."),
    ("no format", BASE.replace("format: certexam-bank/1\n", ""), 1, None, "The format is missing"),
    ("invalid syntax", BASE.replace("    answer: B", "   answer: B"), 11, None, "The YAML is not valid"),
    ("item not a mapping", BASE.replace("  - id: L1-ETH-0002\n", "  - just text\n  - id: L1-ETH-0002\n"), 12, None,
     "Item 2 must be a mapping of fields"),
    ("items empty", "format: certexam-bank/1\nmodule: L1-ETH\nitems: []\n", 3, None,
     "The file needs an items list with at least one item."),
    ("not a mapping", "- a\n- b\n", 1, None, "The file must be a mapping with format, module and items."),
]


@pytest.mark.parametrize(("text", "line", "item_id", "message"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_fault_gives_one_clear_error_and_no_items(text: str, line: int, item_id: str | None, message: str) -> None:
    got_line, got_item, got_message = only_error(parse(text))
    assert message in got_message
    assert (got_line, got_item) == (line, item_id)


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (BASE.encode("utf-8").replace("题干二".encode(), "题干二".encode("gb18030")), 14, "The file is not UTF-8 text"),
        (BASE.encode("utf-8")[: BASE.encode("utf-8").index("丙".encode()) + 1], 10, "ends in the middle of a character"),
        (BASE.encode("utf-16"), 1, "The file is not UTF-8 text (byte 0xFF is invalid)"),
        (b"", None, "The file is empty."),
        (b"  \n# only a comment\n", None, "The file is empty."),
    ],
    ids=["gb18030 bytes", "cut inside a character", "utf-16", "empty", "comment only"],
)
def test_encoding_and_empty_files(data: bytes, line: int | None, message: str) -> None:
    got_line, _, got_message = only_error(parse_yaml(data, "bank.yaml"))
    assert message in got_message and got_line == line


def test_anchors_and_aliases_are_refused() -> None:
    text = BASE.replace("stem: {zh_Hans: 题干一, en: Stem one}", "stem: &s {zh_Hans: 题干一, en: Stem one}").replace(
        "stem: {zh_Hans: 题干二, en: Stem two}", "stem: *s")
    line, _, message = only_error(parse(text))
    assert line == 6 and message.startswith("The file uses YAML anchors and aliases")


def test_truncated_inside_a_quoted_string_is_a_syntax_error_with_its_line() -> None:
    text = BASE.replace("en: Stem two}", "en: 'Stem two'}")
    cut = text[: text.index("Stem two") + 4]
    line, _, message = only_error(parse(cut))
    assert message.startswith("The YAML is not valid: while scanning a quoted scalar")
    assert line == 14  # the end of the file, where the string should have closed


def test_truncated_mid_item_reports_the_missing_fields() -> None:
    cut = BASE[: BASE.index("    options:")]
    result = parse(cut)
    assert result.items == ()
    assert [(e.line, e.message) for e in result.errors] == [
        (4, "A single_choice item needs 3 to 8 options, not 0."),
        (4, "The answer is missing."),
    ]


def test_every_error_in_a_file_is_reported() -> None:
    text = BASE.replace("answer: B", "answer: E").replace("answer: false", "answer: maybe")
    result = parse(text)
    assert result.items == ()
    assert [(e.line, e.item_id) for e in result.errors] == [(11, "L1-ETH-0001"), (15, "L1-ETH-0002")]


def test_unknown_file_module_is_reported_once_not_per_item() -> None:
    result = parse(BASE.replace("module: L1-ETH", "module: nope"))
    assert [e.message for e in result.errors] == ["The module 'nope' is not in the catalogue."]


def test_errors_inside_an_item_set_child_name_the_child_and_its_line() -> None:
    text = (FIXTURES / "L1-ETH.yaml").read_text(encoding="utf-8").replace("        answer: A\n", "        answer: Q\n")
    result = parse(text)
    assert result.items == ()
    [error] = result.errors
    assert error.item_id == "L1-ETH-0004"
    assert error.message.startswith("Child 1 (L1-ETH-0004-1): The answer 'Q' is not among the option keys")
    assert text.splitlines()[error.line - 1].strip() == "answer: Q"  # type: ignore[operator]


def test_less_than_glued_to_a_letter_is_malformed_html_with_a_hint() -> None:
    result = parse(BASE.replace("en: Stem two", "en: if x<y then"))
    assert result.items == ()
    assert "malformed HTML" in result.errors[0].message
    assert "a literal '<' must be followed by a space or written as &lt;" in result.errors[0].message


def test_error_text_reads_well() -> None:
    result = parse(BASE.replace("answer: B", "answer: E"))
    assert str(result.errors[0]) == (
        "bank.yaml, line 11, item L1-ETH-0001: The answer 'E' is not among the option keys (A, B, C)."
    )


def test_export_writes_the_readme_format() -> None:
    out = dump_yaml(parse_yaml((FIXTURES / "L1-ETH.yaml").read_bytes()).items).decode("utf-8")
    assert out.startswith("format: certexam-bank/1\nmodule: L1-ETH\nitems:\n- id: L1-ETH-0001\n")
    assert "  answer: [A, C]\n" in out and "  tags: [conflicts-of-interest]\n" in out
    assert "    text: {zh_Hans: 不作任何说明, zh_Hant: 不作任何說明, en: Say nothing}\n" in out
    assert "利益冲突" in out  # unicode is not escaped
    assert "  case:\n    zh_Hans: |-\n      <p>" in out  # block style for multi-line text
    assert out == dump_yaml(parse_yaml(out.encode("utf-8")).items).decode("utf-8")  # deterministic


# ---- the rich-text policy (certexam/bankio/sanitize.py) ------------------------------------------------

@pytest.mark.parametrize(
    "text",
    ["a < b and c > d", "1<2", "R&D &amp; P&L", "<p>x</p><p>y", "<strong>bold", "<br/>", "<pre>\ncode</pre>",
     '<img src="assets/q/1.png" alt="chart">', "<table><tr><td>1</td></tr></table>", "x<sub>2</sub><sup>n</sup>",
     "<ol><li>a</li></ol>", "<code>if a &lt; b</code>"],
)
def test_safe_text_is_accepted(text: str) -> None:
    assert html_problems(text) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<script>alert(1)</script>", "unsafe HTML: tag <script> is not allowed"),
        ('<a href="https://x.example">x</a>', "unsafe HTML: tag <a> is not allowed"),
        ("<p style='color:red'>x</p>", "unsafe HTML: attribute 'style' on <p> is not allowed"),
        ('<img src="assets/x.png" onerror="alert(1)">', "attribute 'onerror' on <img> is not allowed"),
        ('<img src="javascript:alert(1)">', "image source 'javascript:alert(1)' must be a file"),
        ('<img src="/assets/x.png">', "must be a file in the bank's assets/ folder"),
        ('<img src="assets//x.png">', "must be a file in the bank's assets/ folder"),
        ("<img alt=x>", "<img> needs a src"),
        ("x <!-- note --> y", "HTML comments are not allowed"),
        ("<td>cell</td>", "malformed HTML near <td>"),
        ("if x<y then", "malformed HTML"),
    ],
)
def test_unsafe_or_malformed_text_is_refused_with_a_reason(text: str, problem: str) -> None:
    problems = html_problems(text)
    assert len(problems) == 1 and problem in problems[0]


def test_safe_html_strips_what_is_not_allowed() -> None:
    assert safe_html('<p onclick="x">a < b<script>bad()</script></p>') == "<p>a &lt; b</p>"
