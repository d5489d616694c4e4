"""QTI 3.0 content packages (issue 22): export and import round-trip choice and written items, and every
package certexam writes keeps the specification's rules, written here as tests because no registry
package ships the QTI 3.0 XSDs (checked: citolab-qti-convert, incept-qti-sdk on PyPI; @citolab/qti-convert,
@citolab/qti-components on npm)."""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET  # noqa: S405 - reads the test's own output

import pytest

from certexam.bankio import detect_format, read_files
from certexam.bankio.moodle_map import MoodleOptions
from certexam.bankio.moodle_xml import NO_RUBRIC
from certexam.bankio.qti import CP_NS, ITEM_TYPE, NS, dump_qti
from certexam.bankio.sanitize import safe_html
from certexam.domain.items import Item, Option, Text

BANK = Path(__file__).parent / "fixtures" / "bank"
MOODLE = Path(__file__).parent / "fixtures" / "moodle" / "moodle-export-iota.xml"
Q = f"{{{NS}}}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NCNAME = re.compile(r"[A-Za-z_][\w.-]*")
# QTI 3.0 ASI information model: the order of qti-assessment-item's children, the rubric views, the
# standard response-processing templates, the cardinalities, and the XHTML a body may hold (the bank's subset).
ITEM_ORDER = ["qti-response-declaration", "qti-outcome-declaration", "qti-template-declaration",
              "qti-template-processing", "qti-assessment-stimulus-ref", "qti-companion-materials-info",
              "qti-stylesheet", "qti-catalog-info", "qti-item-body", "qti-response-processing",
              "qti-modal-feedback"]
VIEWS = {"author", "candidate", "proctor", "scorer", "testConstructor", "tutor"}
TEMPLATES = {f"https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/{t}.xml"
             for t in ("match_correct", "map_response", "map_response_point")}
CARDINALITIES = {"single", "multiple", "ordered", "record"}
XHTML = {"div", "p", "br", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "strong",
         "em", "sub", "sup", "img"}
QTI_BODY = {"qti-choice-interaction", "qti-simple-choice", "qti-extended-text-interaction", "qti-rubric-block",
            "qti-content-body", "qti-prompt"}


def bank_items() -> list[Item]:
    return [i for i in read_files(sorted(BANK.iterdir())).items if i.type != "item_set"]


def moodle_items() -> list[Item]:
    taken = {i.id for i in bank_items()}  # the Moodle questions get the numbers after the bank's
    return list(read_files([MOODLE], taken, moodle=MoodleOptions({"Iota": "L1-ETH", "Mu": "L2-BD"}, True)).items)


def item_problems(href: str, root: ET.Element) -> list[str]:
    problems = []
    if root.tag != Q + "qti-assessment-item":
        return [f"{href}: root {root.tag}"]
    for attr in ("identifier", "title", "time-dependent"):
        if not root.get(attr):
            problems.append(f"{href}: no {attr}")
    if not NCNAME.fullmatch(root.get("identifier", "")) or not root.get(XML_LANG):
        problems.append(f"{href}: identifier or xml:lang")
    order = [ITEM_ORDER.index(c.tag.removeprefix(Q)) if c.tag.removeprefix(Q) in ITEM_ORDER else -1 for c in root]
    if -1 in order or order != sorted(order) or order.count(ITEM_ORDER.index("qti-item-body")) != 1:
        problems.append(f"{href}: children out of the model's order {[c.tag.removeprefix(Q) for c in root]}")
    declared = {d.get("identifier"): d for d in root.findall(Q + "qti-response-declaration")}
    for declaration in declared.values():
        if declaration.get("cardinality") not in CARDINALITIES or not declaration.get("base-type"):
            problems.append(f"{href}: response declaration")
    for outcome in root.findall(Q + "qti-outcome-declaration"):
        if not re.fullmatch(r"\d+(\.\d+)?", outcome.get("normal-maximum", "0")):
            problems.append(f"{href}: normal-maximum")
    body = root.find(Q + "qti-item-body")
    for element in body.iter() if body is not None else []:
        name = element.tag.removeprefix(Q)
        if element is not body and name not in XHTML | QTI_BODY:
            problems.append(f"{href}: <{element.tag}> in the body")
        if name == "qti-rubric-block" and element.get("view") not in VIEWS:
            problems.append(f"{href}: rubric view {element.get('view')}")
    for interaction in body.iter(Q + "qti-choice-interaction") if body is not None else []:
        declaration = declared.get(interaction.get("response-identifier"))
        keys = [c.get("identifier") for c in interaction.findall(Q + "qti-simple-choice")]
        if declaration is None or declaration.get("base-type") != "identifier":
            problems.append(f"{href}: choice interaction without an identifier response")
            continue
        values = [v.text for v in declaration.iter(Q + "qti-value")]
        if not keys or len(set(keys)) != len(keys) or not set(values) <= set(keys) or not values:
            problems.append(f"{href}: choices {keys}, correct {values}")
        single = declaration.get("cardinality") == "single"
        if single != (interaction.get("max-choices") == "1"):
            problems.append(f"{href}: max-choices {interaction.get('max-choices')} for a {declaration.get('cardinality')}")
        for entry in declaration.iter(Q + "qti-map-entry"):
            if entry.get("map-key") not in keys:
                problems.append(f"{href}: map entry {entry.get('map-key')}")
    for interaction in body.iter(Q + "qti-extended-text-interaction") if body is not None else []:
        declaration = declared.get(interaction.get("response-identifier"))
        if declaration is None or declaration.get("base-type") != "string":
            problems.append(f"{href}: extended text without a string response")
    processing = root.find(Q + "qti-response-processing")
    if processing is not None and processing.get("template") not in TEMPLATES:
        problems.append(f"{href}: response processing template {processing.get('template')}")
    return problems


def package_problems(data: bytes) -> list[str]:
    """The specification's rules for a content package of QTI 3.0 items, as problems; [] when it keeps them."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    if "imsmanifest.xml" not in names:
        return ["no imsmanifest.xml at the root"]
    manifest = ET.fromstring(archive.read("imsmanifest.xml"))  # noqa: S314 - the test's own output
    problems = [] if manifest.tag == f"{{{CP_NS}}}manifest" and manifest.get("identifier") else ["manifest root"]
    seen: set[str] = set()
    for resource in manifest.iter(f"{{{CP_NS}}}resource"):
        rid, href = resource.get("identifier", ""), resource.get("href", "")
        if not NCNAME.fullmatch(rid) or rid in seen:
            problems.append(f"resource identifier {rid}")
        seen.add(rid)
        if resource.get("type") != ITEM_TYPE or href not in names:
            problems.append(f"resource {rid}: type {resource.get('type')}, href {href}")
            continue
        if [f.get("href") for f in resource.findall(f"{{{CP_NS}}}file")] != [href]:
            problems.append(f"resource {rid}: its files")
        problems += item_problems(href, ET.fromstring(archive.read(href)))  # noqa: S314
    if not seen:
        problems.append("no resources")
    return problems


def normal(item: Item) -> Item:
    """The item with its texts as a page shows them: QTI carries HTML as XML, so escaping may change."""
    def text(t: Text) -> Text:
        return Text({code: safe_html(value) for code, value in t.items()})
    return dataclasses.replace(item, stem=text(item.stem), explanation=text(item.explanation),
                               rubric=text(item.rubric), options=tuple(Option(o.key, text(o.text)) for o in item.options))


def test_a_package_round_trips() -> None:
    items = [*bank_items(), *moodle_items()]
    assert {i.type for i in items} == {"single_choice", "multiple_response", "true_false", "constructed"}
    data = dump_qti(items)
    assert detect_format("upload", data) == "qti"
    back = read_files([("bank.zip", data)])
    assert back.errors == ()
    assert [normal(i) for i in back.items] == [normal(i) for i in items]


def test_the_package_keeps_the_specification_s_rules() -> None:
    data = dump_qti([*bank_items(), *moodle_items()])
    assert package_problems(data) == []
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "items/L1-ETH-0001/zh_Hant.xml" in names and len(names) > 20


def _replace(data: bytes, href: str, old: bytes, new: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            body = source.read(name)
            archive.writestr(name, body.replace(old, new) if name == href else body)
    return out.getvalue()


@pytest.mark.parametrize(("old", "new", "problem"), [
    (b"<qti-value>B</qti-value>", b"<qti-value>Z</qti-value>", "choices ['A', 'B', 'C'], correct ['Z']"),
    (b'max-choices="1"', b'max-choices="0"', "max-choices 0 for a single"),
    (b'view="tutor"', b'view="teacher"', "rubric view teacher"),
])
def test_the_rules_catch_a_broken_package(old: bytes, new: bytes, problem: str) -> None:
    broken = _replace(dump_qti(bank_items()), "items/L1-ETH-0001/zh_Hans.xml", old, new)
    assert [p for p in package_problems(broken) if problem in p]


@pytest.mark.parametrize(("data", "message"), [
    (b"PK\x03\x04 not really", "The file is not a zip package"),
    (_replace(dump_qti(bank_items()[:1]), "imsmanifest.xml", b'href="items/L1-ETH-0001/en.xml"',
              b'href="items/missing.xml"'), "The manifest names items/missing.xml, which is not in the package."),
    (_replace(dump_qti(bank_items()[:1]), "items/L1-ETH-0001/zh_Hans.xml", b"qti-choice-interaction",
              b"qti-order-interaction"), "has no choice or extended-text interaction"),
])
def test_bad_packages_are_refused(data: bytes, message: str) -> None:
    result = read_files([("bank.zip", data)])
    assert result.items == () and any(message in e.message for e in result.errors), result.errors


# ---- a package from another platform (shaped like 1EdTech's qti-examples, content of its own) ---------------

FOREIGN_CHOICE = b"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="choice-ports"
    title="Network ports" adaptive="false" time-dependent="false" xml:lang="en">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-correct-response><qti-value>ChoiceC</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>
    <p>A web server answers HTTPS requests.</p>
    <qti-choice-interaction response-identifier="RESPONSE" shuffle="true" max-choices="1">
      <qti-prompt>Which port does it listen on by default?</qti-prompt>
      <qti-simple-choice identifier="ChoiceA">21</qti-simple-choice>
      <qti-simple-choice identifier="ChoiceB">80</qti-simple-choice>
      <qti-simple-choice identifier="ChoiceC">443</qti-simple-choice>
    </qti-choice-interaction>
  </qti-item-body>
  <qti-response-processing template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"/>
</qti-assessment-item>
"""
FOREIGN_ESSAY = b"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="essay-backup"
    title="Backups" adaptive="false" time-dependent="false" xml:lang="en">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string"/>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float" normal-maximum="6"/>
  <qti-item-body>
    <p>Describe a backup plan for a small office.</p>
    <qti-extended-text-interaction response-identifier="RESPONSE" expected-length="200"/>
    <qti-rubric-block view="scorer" use="scoring"><qti-content-body><p>3-2-1 rule named (2)</p></qti-content-body></qti-rubric-block>
  </qti-item-body>
</qti-assessment-item>
"""
FOREIGN_MANIFEST = b"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="MANIFEST-1" xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1">
  <metadata><schema>QTI Package</schema><schemaversion>3.0.0</schemaversion></metadata>
  <organizations/>
  <resources>
    <resource identifier="id-choice" type="imsqti_item_xmlv3p0" href="id-choice/ports.xml">
      <file href="id-choice/ports.xml"/>
    </resource>
    <resource identifier="id-essay" type="imsqti_item_xmlv3p0" href="id-essay/backup.xml">
      <file href="id-essay/backup.xml"/>
    </resource>
    <resource identifier="id-css" type="webcontent" href="style.css"><file href="style.css"/></resource>
  </resources>
</manifest>
"""


def foreign_package(choice: bytes = FOREIGN_CHOICE) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("imsmanifest.xml", FOREIGN_MANIFEST)
        archive.writestr("id-choice/ports.xml", choice)
        archive.writestr("id-essay/backup.xml", FOREIGN_ESSAY.replace(b'xml:lang="en"', b'xml:lang="zh-Hans"'))
        archive.writestr("style.css", b"p {}")
    return out.getvalue()


def test_another_platform_s_package_imports_with_a_module_for_it() -> None:
    data = foreign_package(FOREIGN_CHOICE.replace(b'xml:lang="en"', b'xml:lang="zh-Hans"'))
    unmapped = read_files([("other.zip", data)])
    assert unmapped.items == () and {e.message for e in unmapped.errors} >= {"The module is missing."}
    result = read_files([("other.zip", data)], {"L1-NET-0007"}, moodle=MoodleOptions({"": "L1-NET"}))
    assert result.errors == ()
    choice, essay = result.items
    assert (choice.id, choice.module, choice.type, choice.answer) == ("L1-NET-0008", "L1-NET", "single_choice", "C")
    assert choice.stem == Text({"zh_Hans": "<p>A web server answers HTTPS requests.</p>"
                                           "<p>Which port does it listen on by default?</p>"})
    assert [o.key for o in choice.options] == ["A", "B", "C"] and choice.options[2].text["zh_Hans"] == "443"
    assert (essay.id, essay.type, essay.max_points) == ("L1-NET-0009", "constructed", 6)
    assert essay.rubric == Text({"zh_Hans": "<p>3-2-1 rule named (2)</p>"})
    assert essay.subtype == "short_answer"  # the import's essay subtype
    no_rubric = _replace(data, "id-essay/backup.xml", b'view="scorer"', b'view="author"')
    bare = read_files([("other.zip", no_rubric)], moodle=MoodleOptions({"": "L1-NET"}, essay_subtype="skill"))
    essay = bare.items[1]
    assert essay.subtype == "skill" and essay.rubric["zh_Hans"] == NO_RUBRIC["zh_Hans"]
    assert "The written item in id-essay/backup.xml has no scorer's rubric" in bare.notes[0].message


def test_odd_digits_in_data_attributes_are_not_a_crash() -> None:
    data = _replace(dump_qti(bank_items()[:1]), "items/L1-ETH-0001/zh_Hans.xml", b'data-difficulty="2"',
                    'data-difficulty="²"'.encode())
    result = read_files([("bank.zip", data)], {"L1-ETH-0002"})  # its enemy is in the bank
    assert result.errors == () and result.items[0].difficulty is None  # the first language's file is read
