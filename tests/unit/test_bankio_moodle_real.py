"""Moodle XML as Moodle writes it (issue 22): nested categories mapped to modules, Moodle's HTML, empty
idnumbers, essays and short answers, unsupported questions, and an export Moodle's importer takes.

The fixture is shaped like the files in Moodle's question/format/xml/tests/fixtures (nested categories,
editor HTML, empty idnumbers, embedded files), with content of its own.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - reads the test's own output
from pathlib import Path

import pytest

from certexam.bankio import read_files
from certexam.bankio.moodle_export import dump_moodle
from certexam.bankio.moodle_map import MoodleOptions, build_options, category_path, parse_mapping
from certexam.bankio.moodle_parts import split_languages
from certexam.bankio.moodle_xml import parse_moodle
from certexam.bankio.sanitize import from_moodle_html, html_problems
from certexam.domain.items import Text

MOODLE = Path(__file__).parent / "fixtures" / "moodle" / "moodle-export-iota.xml"
BANK = Path(__file__).parent / "fixtures" / "bank"
MAPPING = {"Iota": "L1-ETH", "Mu": "L2-BD"}


def moodle_file(options: MoodleOptions, existing: frozenset[str] = frozenset()):  # noqa: ANN201
    return read_files([MOODLE], existing, moodle=options)


def test_a_moodle_export_is_refused_with_every_reason_listed() -> None:
    result = moodle_file(MoodleOptions())
    assert result.items == ()
    messages = [(e.line, e.message) for e in result.errors]
    assert [line for line, _ in messages] == [4, 73, 144, 231, 268, 294]
    assert messages[1][1] == ("The category 'Iota/Kappa' holds 2 question(s) and is mapped to no module: "
                              "map it, for example Iota/Kappa=L1-ETH.")
    assert "certexam has no kind for Moodle's matching questions" in messages[4][1]
    assert "a file embedded from Moodle (logo.png)" in messages[5][1]


def test_mapping_every_category_leaves_only_the_unsupported_questions() -> None:
    result = moodle_file(MoodleOptions(MAPPING))
    assert [e.line for e in result.errors] == [268, 294] and result.items == ()


def test_with_a_mapping_and_skipping_the_moodle_file_imports() -> None:
    result = moodle_file(MoodleOptions(MAPPING, skip_unsupported=True))
    assert result.errors == ()
    sc, essay, bare_essay, tf, mr, short = result.items
    assert [i.id for i in result.items] == ["L1-ETH-0001", "L1-ETH-0002", "L1-ETH-0003", "L1-ETH-0004",
                                            "ETH-MOODLE-305", "L2-BD-0001"]
    assert {i.module for i in result.items[:5]} == {"L1-ETH"}  # Iota/Kappa/Lambda falls under Iota
    # Moodle's editor HTML is brought into the safe subset: no dir, style or class; <b> is <strong>
    assert sc.stem["zh_Hans"] == "<p>一名顾问同时为买卖双方提供意见，<strong>首先</strong>应当怎么做？<br></p>"
    assert sc.explanation["zh_Hans"] == "<p>先向双方披露利益冲突。</p>"
    assert (sc.answer, sc.tags) == ("B", ("conflict-of-interest",))
    assert essay.type == "constructed" and (essay.subtype, essay.max_points) == ("short_answer", 10)
    assert essay.stem["zh_Hans"].startswith("<p><strong>案例</strong></p><p>客户投诉")
    assert essay.rubric["zh_Hans"] == "<ol><li>确认事实（3 分）</li><li>通知负责人（3 分）</li><li>书面答复客户（4 分）</li></ol>"
    assert bare_essay.stem["zh_Hans"] == "举报制度为何需要保护举报人？ (至少两点 &amp; 举例)"  # plain text, escaped
    assert bare_essay.rubric["zh_Hans"] == "（导入时未附评分说明：批准前请填写评分标准。）"
    assert tf.answer is False and tf.stem == Text({"zh_Hans": "价值很低的礼品<em>一律</em>无需登记。",
                                                    "en": "Gifts of low value <em>never</em> need to be recorded."})
    assert (mr.type, mr.answer, mr.scoring) == ("multiple_response", ("A", "C", "D"), "partial")
    assert (short.type, short.subtype, short.max_points) == ("constructed", "short_answer", 2)
    assert short.rubric["zh_Hans"] == "<p>可接受的答案：</p><ul><li>AMCM (100%)</li><li>金管局 (50%)</li></ul>"
    notes = [(n.line, n.message) for n in result.notes]
    assert [line for line, _ in notes] == [116, 268, 294]
    assert notes[0][1].startswith("The essay has no information for graders")
    assert notes[1][1].startswith("Skipped the question 'Match the duties'")
    for item in result.items:
        for text in (item.stem, item.explanation, item.rubric, *(o.text for o in item.options)):
            assert not any(html_problems(v) or "style=" in v or "dir=" in v for v in text.values())


def test_the_essay_subtype_and_a_nearer_mapping_are_the_import_s_choice() -> None:
    result = moodle_file(MoodleOptions({**MAPPING, "Iota/Kappa": "L2-BD"}, True, essay_subtype="skill"))
    assert [(i.id, i.subtype) for i in result.items if i.type == "constructed"] == [
        ("L2-BD-0001", "skill"), ("L2-BD-0002", "skill"), ("L2-BD-0004", "short_answer")]
    assert [i.module for i in result.items][3:5] == ["L2-BD", "L2-BD"]  # Lambda is under Iota/Kappa


def test_new_ids_follow_the_bank_s_highest() -> None:
    result = moodle_file(MoodleOptions(MAPPING, True), frozenset({"L1-ETH-0041", "L1-ETH-0007", "L2-BD-0002"}))
    assert [i.id for i in result.items] == ["L1-ETH-0042", "L1-ETH-0043", "L1-ETH-0044", "L1-ETH-0045",
                                            "ETH-MOODLE-305", "L2-BD-0003"]


def test_an_idnumber_that_is_no_certexam_id_is_replaced_and_said() -> None:
    data = MOODLE.read_bytes().replace(b"<idnumber>ETH-MOODLE-305</idnumber>", b"<idnumber>T &amp; F</idnumber>")
    result = parse_moodle(data, "m.xml", MoodleOptions(MAPPING, True))
    assert result.items[4].id == "L1-ETH-0005"
    assert "The Moodle idnumber 'T & F' is not a certexam id" in result.notes[-1].message


def test_round_trip_import_export_import_gives_the_same_items() -> None:
    first = moodle_file(MoodleOptions(MAPPING, skip_unsupported=True))
    exported = dump_moodle(first.items)
    again = read_files([("again.xml", exported)])  # no mapping: the export names the modules
    assert again.errors == () and again.notes == ()
    assert again.items == first.items


# ---- what Moodle's importer takes (question/format/xml/format.php, read as a specification) -------------------

# question_bank::fraction_options_full(): the grades Moodle accepts for an answer, in percent (and negated).
MOODLE_GRADES = {100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667, 14.28571,
                 12.5, 11.11111, 10, 5, 0}
ESSAY_FORMATS = {"editor", "editorfilepicker", "plain", "monospaced", "noinline"}


def moodle_would_take(data: bytes) -> list[str]:
    """The rules Moodle's XML import applies, as problems; [] when it would take every question."""
    problems: list[str] = []
    quiz = ET.fromstring(data)  # noqa: S314 - the test's own export
    if quiz.tag != "quiz":
        return ["root is not <quiz>"]
    for question in quiz:
        qtype = question.get("type")
        if qtype == "category":
            if not (question.findtext("category/text") or "").startswith("$course$/"):
                problems.append("a category outside the course")
            continue
        where = question.findtext("idnumber")
        if not (question.findtext("name/text") or "").strip():
            problems.append(f"{where}: no name")
        if not (question.findtext("questiontext/text") or "").strip():
            problems.append(f"{where}: no question text")
        if question.find("questiontext").get("format") not in ("html", "moodle_auto_format", "plain_text", "markdown"):
            problems.append(f"{where}: unknown text format")
        grade = float(question.findtext("defaultgrade") or "1")
        if grade <= 0:
            problems.append(f"{where}: default grade {grade}")
        fractions = [float(a.get("fraction")) for a in question.findall("answer")]
        if any(round(abs(f), 5) not in MOODLE_GRADES for f in fractions):
            problems.append(f"{where}: a fraction outside Moodle's grades {fractions}")
        if qtype == "multichoice":
            single = question.findtext("single") == "true"
            if single and max(fractions) != 100:
                problems.append(f"{where}: one answer must have 100%")
            if not single and abs(sum(f for f in fractions if f > 0) - 100) > 0.01:
                problems.append(f"{where}: positive grades add to {sum(f for f in fractions if f > 0)}, not 100")
            if len(fractions) < 2 or any(not (a.findtext("text") or "").strip() for a in question.findall("answer")):
                problems.append(f"{where}: fewer than two answers, or an empty one")
        elif qtype == "truefalse":
            words = sorted(a.findtext("text") for a in question.findall("answer"))
            if words != ["false", "true"] or sorted(fractions) != [0, 100]:
                problems.append(f"{where}: truefalse answers {words} {fractions}")
        elif qtype == "essay":
            if question.findtext("responseformat") not in ESSAY_FORMATS:
                problems.append(f"{where}: response format")
        else:
            problems.append(f"{where}: type {qtype}")
    return problems


def test_the_export_is_what_moodle_s_importer_takes() -> None:
    items = (*moodle_file(MoodleOptions(MAPPING, skip_unsupported=True)).items,
             *read_files(sorted(BANK.iterdir())).items)
    exportable = [i for i in items if i.type != "item_set" and "".join(i.option_keys()) in "ABCDEFGH"]
    data = dump_moodle(exportable)
    assert moodle_would_take(data) == []
    assert len(re.findall(rb'<question type="(?!category)', data)) == len(exportable) >= 10


def test_the_rules_catch_a_file_moodle_would_refuse() -> None:
    bad = dump_moodle(moodle_file(MoodleOptions(MAPPING, True)).items).replace(b'fraction="33.33333"', b'fraction="33"')
    assert moodle_would_take(bad) == ["ETH-MOODLE-305: a fraction outside Moodle's grades [33.0, -33.33333, 33.0, "
                                      "33.0]", "ETH-MOODLE-305: positive grades add to 99.0, not 100"]


# ---- the pieces ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "path"), [
    ("$course$/top/Iota/Kappa", "Iota/Kappa"), ("$course$/Iota/Kappa/", "Iota/Kappa"), ("$system$/top", ""),
    ("$cat$/Default for C1", "Default for C1"), ("Iota / Kappa", "Iota/Kappa"), ("$course$/topics/A", "topics/A"),
])
def test_category_paths(raw: str, path: str) -> None:
    assert category_path(raw) == path


def test_a_mapping_file_and_its_errors() -> None:
    mapping, errors = parse_mapping(["# Moodle course C1", "", "$course$/top/Iota = L1-ETH", "Mu=L2-BD",
                                     "Nu", "Xi=L9-XX", "Mu=L1-ETH"], "map.txt")
    assert mapping == {"Iota": "L1-ETH", "Mu": "L2-BD"}
    assert [(e.line, e.message[:40]) for e in errors] == [
        (5, "'Nu' is not of the form category=MODULE "), (6, "The module 'L9-XX' is not in the catalog"),
        (7, "The category 'Mu' is mapped twice (L2-BD")]
    options, errors = build_options(["Iota=L1-ETH"], ("f.txt", "Mu=L2-BD\n"), essay_subtype="essay")
    assert options.mapping == {"Iota": "L1-ETH", "Mu": "L2-BD"}
    assert [e.message for e in errors] == ["The essay subtype must be one of short_answer, skill, proposal, not 'essay'."]


def test_module_for_takes_the_nearest_mapped_parent() -> None:
    options = MoodleOptions({"Iota": "L1-ETH", "Iota/Kappa": "L2-BD"})
    assert [options.module_for(c) for c in ("$course$/top/Iota/Mu", "$course$/Iota/Kappa/Lambda", "Nu",
                                            "$course$/top/certexam/L1-NET")] == ["L1-ETH", "L2-BD", None, "L1-NET"]


@pytest.mark.parametrize(("html", "clean", "lost"), [
    ('<p dir="ltr" style="text-align: left;">1<br></p>', "<p>1<br></p>", []),
    ('<div class="x"><p>a &lt; b &amp; c</p></div>', "<p>a &lt; b &amp; c</p>", []),
    ("<h3>T</h3><b>x</b><i>y</i><span style='c'>z</span><a href='http://e.org'>link</a>",
     "<p><strong>T</strong></p><strong>x</strong><em>y</em>zlink", []),
    ('<p>A<img src="@@PLUGINFILE@@/logo.jpg" alt="l"></p>', "<p>A</p>", ["a file embedded from Moodle (logo.jpg)"]),
    ('<p>A<img src="http://e.org/x.png"></p>', "<p>A</p>", ["an image outside the bank's assets (http://e.org/x.png)"]),
    ('<img src="assets/m/x.png" alt="x" width="5">', '<img src="assets/m/x.png" alt="x">', []),
    ("<p>x</p><script>alert(1)</script><video src=v></video>", "<p>x</p>alert(1)", ["<script>", "<video>"]),
    ("x<br/>y<!-- a comment -->", "x<br>y", []),
])
def test_moodle_html_is_brought_into_the_safe_subset(html: str, clean: str, lost: list[str]) -> None:
    assert from_moodle_html(html) == (clean, lost)
    assert html_problems(clean) == []


def test_multilang_spans_nest_and_the_multilang2_syntax_is_read() -> None:
    spans, outside = split_languages('<p><span class="multilang" lang="en">A <span style="x">b</span> c</span>'
                                     '<span lang="zh_cn" class="multilang">甲</span></p>{mlang pt}Á{mlang}')
    assert spans == [("pt", "Á"), ("en", 'A <span style="x">b</span> c'), ("zh_cn", "甲")]
    assert outside == "<p></p>"


def test_moodle_1_image_tags_make_a_question_unsupported() -> None:
    data = MOODLE.read_bytes().replace(b"<idnumber>ETH-MOODLE-305</idnumber>",
                                       b"<idnumber>ETH-MOODLE-305</idnumber><image>pics/records.png</image>")
    result = parse_moodle(data, "m.xml", MoodleOptions(MAPPING))
    assert "The question 'Records' cannot be imported: it holds embedded files (images or sound)" in \
        result.errors[0].message


def test_a_superscript_difficulty_is_an_error_not_a_crash() -> None:
    """'²'.isdigit() is true but int('²') raises: the tag is refused with its message (it raised before)."""
    data = MOODLE.read_bytes().replace(b"<tag><text>conflict of interest</text></tag>",
                                       "<tag><text>certexam:difficulty=²</text></tag>".encode())
    result = parse_moodle(data, "m.xml", MoodleOptions(MAPPING, True))
    assert [e.message for e in result.errors] == ["The tag 'certexam:difficulty=²' must give a whole number."]
