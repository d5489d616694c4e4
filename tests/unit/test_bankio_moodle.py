"""Moodle XML: a Moodle-style export, hostile XML, faults with their lines, and what export refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from certexam.bankio import ExportError, ParseResult
from certexam.bankio.moodle_xml import dump_moodle, parse_moodle
from certexam.domain.items import Item, Option, Text

FIXTURES = Path(__file__).parent / "fixtures" / "bank"


def span(zh: str, en: str) -> str:
    return f'<![CDATA[<span lang="zh_cn" class="multilang">{zh}</span><span lang="en" class="multilang">{en}</span>]]>'


BASE = f"""\
<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/certexam/L1-NET</text></category></question>
  <question type="multichoice">
    <name><text>q1</text></name>
    <questiontext format="html"><text>{span("题干一", "Stem one")}</text></questiontext>
    <idnumber>L1-NET-0001</idnumber>
    <single>true</single>
    <answer fraction="0"><text>{span("甲", "a")}</text></answer>
    <answer fraction="100"><text>{span("乙", "b")}</text></answer>
    <answer fraction="0"><text>{span("丙", "c")}</text></answer>
  </question>
  <question type="truefalse">
    <questiontext format="html"><text>{span("题干二", "Stem two")}</text></questiontext>
    <idnumber>L1-NET-0002</idnumber>
    <answer fraction="0"><text>true</text></answer>
    <answer fraction="100"><text>false</text></answer>
  </question>
</quiz>
"""


def parse(text: str) -> ParseResult:
    return parse_moodle(text.encode("utf-8"), "bank.xml")


def only_error(result: ParseResult) -> tuple[int | None, str | None, str]:
    assert result.items == ()
    assert len(result.errors) == 1, result.errors
    return result.errors[0].line, result.errors[0].item_id, result.errors[0].message


def test_base_parses() -> None:
    result = parse(BASE)
    assert result.ok, result.errors
    first, second = result.items
    assert (first.id, first.module, first.type, first.answer) == ("L1-NET-0001", "L1-NET", "single_choice", "B")
    assert first.options[2] == Option("C", Text({"zh_Hans": "丙", "en": "c"}))
    assert (second.type, second.answer, second.options) == ("true_false", False, ())


def test_moodle_style_fixture_parses() -> None:
    result = parse_moodle((FIXTURES / "moodle-L2-AI.xml").read_bytes(), "moodle-L2-AI.xml")
    assert result.errors == ()
    sc, mr, tf, essay = result.items
    assert {i.module for i in result.items} == {"L2-AI"}  # from $course$/top/certexam/L2-AI
    assert sc.answer == "B" and sc.difficulty == 3 and sc.tags == ("regularisation",)
    assert sc.options[1].text["en"] == "L<sub>2</sub> regularisation"
    assert sc.explanation == Text({"zh_Hans": "正则化惩罚复杂模型。", "en": "Regularisation penalises complex models."})
    assert mr.type == "multiple_response" and mr.answer == ("A", "C")
    assert mr.stem == Text({"zh_Hans": "<p>以下哪些指标适用于不平衡分类？</p>"})  # no spans: zh_Hans
    assert tf.answer is False and tf.stem["en"] == "Gradient descent converges with a learning rate &lt; 0."
    assert (essay.type, essay.subtype, essay.max_points) == ("constructed", "proposal", 25)
    assert essay.rubric["en"].startswith("<ol><li>Inventory")


ENTITY_BOMB = """<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<quiz><question type="essay"><questiontext><text>&b;</text></questiontext></question></quiz>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<quiz><question type="essay"><questiontext><text>&x;</text></questiontext></question></quiz>
"""


@pytest.mark.parametrize("text", [ENTITY_BOMB, EXTERNAL], ids=["entity bomb", "external entity"])
def test_dtds_and_entities_are_refused(text: str) -> None:
    _, _, message = only_error(parse(text))
    assert message == "The XML declares a DTD or entities, which are refused for safety."


FAULTS = [
    ("truncated", BASE[: BASE.index("<idnumber>L1-NET-0002")], 15, None, "The XML is not valid: no element found"),
    ("mismatched tag", BASE.replace("</single>", "</singel>"), 8, None, "The XML is not valid: mismatched tag"),
    ("unsupported type", BASE.replace('"truefalse"', '"matching"'), 13, None,
     "The question '(no name)' cannot be imported: certexam has no kind for Moodle's matching questions "
     "(it imports multichoice, truefalse, shortanswer, essay). Import again with 'skip unsupported questions'"),
    ("duplicate id", BASE.replace("L1-NET-0002", "L1-NET-0001"), 15, "L1-NET-0001",
     "The id 'L1-NET-0001' is used more than once (first in bank.xml line 7)."),
    ("no category", BASE.replace(BASE.splitlines()[2], ""), 4, None,
     "The category (no category: questions before the first category) holds 2 question(s) and is mapped to no "
     "module: map it, for example =L1-ETH."),
    ("unknown module", BASE.replace("certexam/L1-NET", "certexam/Default"), 3, None,
     "The category 'certexam/Default' holds 2 question(s) and is mapped to no module: map it, for example "
     "certexam/Default=L1-ETH."),
    ("too few options", BASE.replace(f'    <answer fraction="0"><text>{span("丙", "c")}</text></answer>\n', ""), 4,
     "L1-NET-0001", "A single_choice item needs 3 to 8 options, not 2."),
    ("two keys in single", BASE.replace('<answer fraction="0"><text><![CDATA[<span lang="zh_cn" class="multilang">丙',
                                        '<answer fraction="100"><text><![CDATA[<span lang="zh_cn" class="multilang">丙'),
     9, "L1-NET-0001", "A single-answer question must give 100% to exactly one answer"),
    ("partial credit in single", BASE.replace('fraction="100"><text><![CDATA[<span lang="zh_cn" class="multilang">乙',
                                              'fraction="50"><text><![CDATA[<span lang="zh_cn" class="multilang">乙'),
     9, "L1-NET-0001", "(certexam single choice has one key and no partial credit)"),
    ("no key", BASE.replace('fraction="100"><text><![CDATA[', 'fraction="0"><text><![CDATA['), 9, "L1-NET-0001",
     "The answer is missing."),
    ("bad truefalse", BASE.replace("<text>true</text>", "<text>yes</text>"), 16, "L1-NET-0002",
     "A truefalse question needs the answers 'true' and 'false', one with 100%."),
    ("language gap", BASE.replace(span("乙", "b"), span("乙", "b").replace('<span lang="en" class="multilang">b</span>', "")),
     10, "L1-NET-0001", "The option B lacks en text, which the stem has."),
    ("unsafe HTML", BASE.replace("Stem two", "Stem <iframe src=x></iframe>"), 13, None,
     "The question '(no name)' cannot be imported: it holds <iframe>, which certexam cannot show."),
    ("text outside spans", BASE.replace("]]></text></questiontext>\n    <idnumber>L1-NET-0002",
                                        "extra]]></text></questiontext>\n    <idnumber>L1-NET-0002"), 14, "L1-NET-0002",
     "The question text has text outside its multilang spans."),
    ("root", BASE.replace("<quiz>", "<questions>").replace("</quiz>", "</questions>"), 2, None,
     "The root element is <questions>; Moodle XML starts with <quiz>."),
    ("latin-1 declared", BASE.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'), 1, None,
     "The XML declares the encoding ISO-8859-1; save it as UTF-8."),
    ("unknown certexam tag", BASE.replace("</single>", "</single><tags><tag><text>certexam:colour=red</text></tag></tags>"),
     8, "L1-NET-0001", "The tag 'certexam:colour=red' is not a certexam tag"),
]


@pytest.mark.parametrize(("text", "line", "item_id", "message"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_fault_gives_one_clear_error_and_no_items(text: str, line: int | None, item_id: str | None, message: str) -> None:
    got_line, got_item, got_message = only_error(parse(text))
    assert message in got_message
    assert (got_line, got_item) == (line, item_id)


ESSAY = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/certexam/L2-BD</text></category></question>
  <question type="essay">
    <questiontext format="html"><text>写一个方案</text></questiontext>
    <defaultgrade>{grade}</defaultgrade>
    <idnumber>L2-BD-0001</idnumber>
    <graderinfo format="html"><text>评分要点</text></graderinfo>
    <tags><tag><text>certexam:subtype={subtype}</text></tag></tags>
  </question>
</quiz>
"""


@pytest.mark.parametrize(
    ("grade", "subtype", "line", "message"),
    [
        ("12.5", "skill", 6, "The default grade '12.5' must be a whole number of points."),
        ("0", "skill", 6, "The maximum points (max_points) must be a whole number from 1 to 100."),
        ("10", "essay", 9, "The subtype is 'essay', not one of short_answer, skill, proposal"),
    ],
)
def test_essay_faults(grade: str, subtype: str, line: int, message: str) -> None:
    got_line, item_id, got_message = only_error(parse(ESSAY.format(grade=grade, subtype=subtype)))
    assert message in got_message and (got_line, item_id) == (line, "L2-BD-0001")


def test_valid_essay_parses() -> None:
    [item] = parse(ESSAY.format(grade="10.0000000", subtype="skill")).items
    assert (item.max_points, item.subtype, item.rubric) == (10, "skill", Text({"zh_Hans": "评分要点"}))


@pytest.mark.parametrize(
    ("data", "message"),
    [(BASE.encode("utf-8").replace("题干一".encode(), "题干一".encode("gbk")), "The file is not UTF-8 text"),
     (b"", "The file is empty."),
     (b"<quiz></quiz>", "The file holds no questions.")],
)
def test_encoding_and_empty(data: bytes, message: str) -> None:
    assert message in only_error(parse_moodle(data, "bank.xml"))[2]


def test_every_bad_question_is_reported() -> None:
    result = parse(BASE.replace('"truefalse"', '"numerical"').replace("<single>true</single>", "<single>true</single>"
                   '<tags><tag><text>certexam:difficulty=x</text></tag></tags>'))
    assert result.items == () and [e.line for e in result.errors] == [8, 13]


def test_export_shape() -> None:
    items = parse_moodle((FIXTURES / "moodle-L2-AI.xml").read_bytes()).items
    out = dump_moodle(items).decode("utf-8")
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>')
    assert out.count('<question type="category">') == 1 and "$course$/top/certexam/L2-AI" in out
    assert "<idnumber>L2-AI-0001</idnumber>" in out and "<single>false</single>" in out
    assert 'fraction="50"' in out and 'fraction="-50"' in out  # multiple response: keys share 100
    assert "<defaultgrade>25.0000000</defaultgrade>" in out and "certexam:subtype=proposal" in out
    assert '&lt;span lang="zh_cn" class="multilang"&gt;' in out


def _choice(keys: str) -> Item:
    return Item("L1-NET-0009", "L1-NET", "single_choice", Text({"zh_Hans": "x"}),
                tuple(Option(k, Text({"zh_Hans": k})) for k in keys), keys[0])


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (Item("L1-NET-0010", "L1-NET", "item_set", Text({"zh_Hans": "x"}), case=Text({"zh_Hans": "c"}),
              children=(_choice("ABC"), _choice("ABC"))), "L1-NET-0010: Moodle XML has no item sets"),
        (_choice("ABD"), "Moodle letters options A, B, C... in order; the keys are A, B, D"),
    ],
)
def test_export_refuses_what_moodle_cannot_carry(item: Item, reason: str) -> None:
    with pytest.raises(ExportError, match=reason):
        dump_moodle([item])
