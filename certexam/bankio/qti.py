"""IMS QTI 3.0 content packages (a zip with imsmanifest.xml) for choice and written items (issue 22).

One qti-assessment-item per item and language (QTI items hold one language each):
``items/<id>/<lang>.xml``, all listed in the manifest as ``imsqti_item_xmlv3p0``
resources.  single_choice and multiple_response are a qti-choice-interaction
(max-choices 1 or 0; all_or_nothing scores by the match_correct template, partial
by map_response with +1/k per key and -1/k per other option, lower bound 0);
true_false is a choice between ``true`` and ``false``; constructed is a
qti-extended-text-interaction with the rubric as a scorer's qti-rubric-block and
max_points as SCORE's normal-maximum.  The explanation is a tutor's rubric block.
What QTI has no field for (module, subtype, difficulty, tags, enemies) travels as
data- attributes of qti-item-body, which QTI 3.0 allows on body elements.
No registry package ships the QTI 3.0 XSDs, so the tests check the
specification's rules (tests/unit/test_bankio_qti.py).
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Sequence
from xml.etree import ElementTree as ET  # noqa: S405 - types only; parsing goes through defusedxml

import defusedxml.ElementTree as SafeET
import lxml.html
from lxml import etree as LET  # writing: a default namespace with unqualified attributes

from certexam.bankio.errors import MAX_FILE_BYTES, ExportError, Loaded, Located, clean_text
from certexam.bankio.moodle_export import KEYS
from certexam.bankio.moodle_map import MoodleOptions
from certexam.bankio.moodle_xml import NO_RUBRIC
from certexam.domain.catalogue import LANGUAGES
from certexam.domain.items import (
    CONSTRUCTED,
    ID_PATTERN,
    MULTIPLE_RESPONSE,
    SINGLE_CHOICE,
    TRUE_FALSE,
    Answer,
    Item,
    Option,
    Text,
)
from certexam.domain.items import (
    KEY_PATTERN as KEY,
)

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ITEM_TYPE = "imsqti_item_xmlv3p0"
TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
LANG_TAGS = {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en", "pt": "pt"}  # BCP 47 for xml:lang
FROM_TAGS = {v: k for k, v in LANG_TAGS.items()}
TRUE_FALSE_WORDS = {"zh_Hans": ("正确", "错误"), "zh_Hant": ("正確", "錯誤"), "en": ("True", "False"),
                    "pt": ("Verdadeiro", "Falso")}
MAX_MEMBERS = 20_000  # a guard against zip bombs of many small files, not a programme rule
_Q = f"{{{NS}}}"


def unsupported_reason(item: Item) -> str | None:
    """Why a QTI package of this kind cannot carry the item, or None."""
    if item.type not in (SINGLE_CHOICE, MULTIPLE_RESPONSE, TRUE_FALSE, CONSTRUCTED):
        return "QTI export carries choice and written items, not item sets (export them as YAML)"
    return None


# ---- writing --------------------------------------------------------------------------------------------------

def _sub(parent: LET._Element, tag: str, **attrs: str) -> LET._Element:
    return LET.SubElement(parent, _Q + tag, {k.replace("_", "-"): v for k, v in attrs.items()})


def _flow(parent: LET._Element, html: str) -> None:
    """Item HTML (the bank's safe subset) as XHTML children of ``parent`` in the QTI namespace."""
    holder = lxml.html.fragment_fromstring(html or "", create_parent="div")
    parent.text = (parent.text or "") + (holder.text or "")
    for child in holder:
        parent.append(_copy(child))


def _copy(node: lxml.html.HtmlElement) -> LET._Element:
    element = LET.Element(_Q + str(node.tag), {k: v for k, v in node.attrib.items() if k in ("src", "alt")})
    element.text = node.text
    for child in node:
        element.append(_copy(child))
    element.tail = node.tail
    return element


def _item_xml(item: Item, lang: str) -> bytes:
    root = LET.Element(_Q + "qti-assessment-item", {
        "identifier": item.id, "title": item.id, "adaptive": "false", "time-dependent": "false",
        XML_LANG: LANG_TAGS.get(lang, lang)}, nsmap={None: NS})
    body_attrs = {"data-module": item.module}
    for name in ("subtype", "difficulty"):
        if getattr(item, name) is not None:
            body_attrs[f"data-{name}"] = str(getattr(item, name))
    for name in ("tags", "enemies"):
        if getattr(item, name):
            body_attrs[f"data-{name}"] = " ".join(getattr(item, name))
    if item.type == CONSTRUCTED:
        _sub(root, "qti-response-declaration", identifier="RESPONSE", cardinality="single", base_type="string")
    else:
        keys = _keys(item)
        declaration = _sub(root, "qti-response-declaration", identifier="RESPONSE",
                           cardinality="multiple" if item.type == MULTIPLE_RESPONSE else "single",
                           base_type="identifier")
        correct = _sub(declaration, "qti-correct-response")
        for key in keys:
            _sub(correct, "qti-value").text = key
        if item.type == MULTIPLE_RESPONSE and item.scoring == "partial":
            share = 1 / len(keys)
            mapping = _sub(declaration, "qti-mapping", lower_bound="0", default_value="0")
            for option in item.options:
                _sub(mapping, "qti-map-entry", map_key=option.key,
                     mapped_value=f"{share if option.key in keys else -share:.6g}")
    _sub(root, "qti-outcome-declaration", identifier="SCORE", cardinality="single", base_type="float",
         normal_maximum=str(item.max_points or 1))
    body = _sub(root, "qti-item-body", **{k.replace("-", "_"): v for k, v in body_attrs.items()})
    stem = _sub(body, "div", **{"class": "stem"})
    _flow(stem, item.stem.get(lang, ""))
    if item.type == CONSTRUCTED:
        _sub(body, "qti-extended-text-interaction", response_identifier="RESPONSE")
        _rubric(body, "scorer", item.rubric.get(lang, ""))
    else:
        interaction = _sub(body, "qti-choice-interaction", response_identifier="RESPONSE", shuffle="false",
                           max_choices="0" if item.type == MULTIPLE_RESPONSE else "1")
        for key, text in _choices(item, lang):
            _flow(_sub(interaction, "qti-simple-choice", identifier=key), text)
    if item.explanation:
        _rubric(body, "tutor", item.explanation.get(lang, ""))
    if item.type != CONSTRUCTED:
        template = "map_response" if item.type == MULTIPLE_RESPONSE and item.scoring == "partial" else "match_correct"
        _sub(root, "qti-response-processing", template=f"{TEMPLATES}{template}.xml")
    return LET.tostring(root, encoding="UTF-8", xml_declaration=True)  # no indent: it would enter the texts


def _keys(item: Item) -> tuple[str, ...]:
    if item.type == TRUE_FALSE:
        return ("true" if item.answer else "false",)
    return item.answer if isinstance(item.answer, tuple) else (str(item.answer),)


def _choices(item: Item, lang: str) -> list[tuple[str, str]]:
    if item.type == TRUE_FALSE:
        yes, no = TRUE_FALSE_WORDS.get(lang, TRUE_FALSE_WORDS["en"])
        return [("true", yes), ("false", no)]
    return [(o.key, o.text.get(lang, "")) for o in item.options]


def _rubric(body: LET._Element, view: str, html: str) -> None:
    block = _sub(body, "qti-rubric-block", view=view, use="scoring" if view == "scorer" else "explanation")
    _flow(_sub(block, "qti-content-body"), html)


def dump_qti(items: Sequence[Item]) -> bytes:
    """Items as a QTI 3.0 content package (zip bytes)."""
    refused = [f"{item.id}: {reason}" for item in items if (reason := unsupported_reason(item))]
    if refused:
        raise ExportError("These items cannot be exported as QTI: " + "; ".join(refused))
    manifest = LET.Element(f"{{{CP_NS}}}manifest", {"identifier": "certexam-bank"}, nsmap={None: CP_NS})
    meta = LET.SubElement(manifest, f"{{{CP_NS}}}metadata")
    LET.SubElement(meta, f"{{{CP_NS}}}schema").text = "QTI Package"
    LET.SubElement(meta, f"{{{CP_NS}}}schemaversion").text = "3.0.0"
    LET.SubElement(manifest, f"{{{CP_NS}}}organizations")
    resources = LET.SubElement(manifest, f"{{{CP_NS}}}resources")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in items:
            for lang in item.languages():
                href = f"items/{item.id}/{lang}.xml"
                archive.writestr(href, _item_xml(item, lang))
                resource = LET.SubElement(resources, f"{{{CP_NS}}}resource", {
                    "identifier": f"{item.id}-{lang}", "type": ITEM_TYPE, "href": href})
                LET.SubElement(resource, f"{{{CP_NS}}}file", {"href": href})
        archive.writestr("imsmanifest.xml", LET.tostring(manifest, encoding="UTF-8", xml_declaration=True,
                                                         pretty_print=True))
    return buffer.getvalue()


# ---- reading --------------------------------------------------------------------------------------------------

def _html(element: ET.Element | None) -> str:
    """The XHTML children of ``element`` as item HTML (namespace dropped)."""
    if element is None:
        return ""
    parts = [_escape(element.text)]
    for child in element:
        parts.append(_tag_html(child))
    return clean_text("".join(parts))


def _stem(body: ET.Element) -> str:
    """The stem: certexam's stem div, or (another platform's item) the body's own XHTML and the prompt."""
    own = body.find(_Q + "div")
    if own is not None and own.get("class") == "stem":
        return _html(own)
    parts = [_escape(body.text)]
    for child in body:  # whitespace between elements is layout: dropped
        if child.tag.startswith(_Q + "qti-"):
            prompt = child.find(_Q + "qti-prompt")
            if prompt is not None and _html(prompt):
                parts.append(f"<p>{_html(prompt)}</p>")
        else:
            parts.append(_tag_html(child, tail=False))
        if (child.tail or "").strip():
            parts.append(_escape(child.tail))
    return clean_text("".join(parts))


def _tag_html(element: ET.Element, tail: bool = True) -> str:
    name = element.tag.rsplit("}", 1)[-1]
    attrs = "".join(f' {k}="{html.escape(v)}"' for k, v in element.attrib.items() if k in ("src", "alt"))
    after = _escape(element.tail) if tail else ""
    if name in ("br", "img"):
        return f"<{name}{attrs}>" + after
    inner = _escape(element.text) + "".join(_tag_html(c) for c in element)
    return f"<{name}{attrs}>{inner}</{name}>" + after


def _escape(text: str | None) -> str:
    return html.escape(text or "", quote=False)


class _Reader:
    """Gathers the languages of each item from its per-language files."""

    def __init__(self, loaded: Loaded, options: MoodleOptions) -> None:
        self.loaded, self.options = loaded, options
        self.default_module = options.module_for("")
        self.items: dict[str, dict[str, object]] = {}

    def read(self, href: str, data: bytes) -> None:
        try:
            root = SafeET.fromstring(data, forbid_dtd=True)
        except Exception as exc:  # defusedxml and expat errors: the file is unreadable either way
            self.loaded.error(None, f"The item file {href} is not valid XML ({exc}).")
            return
        if root.tag != _Q + "qti-assessment-item":
            self.loaded.error(None, f"The item file {href} is not a QTI 3.0 qti-assessment-item.")
            return
        lang = FROM_TAGS.get(root.get(XML_LANG, ""), root.get(XML_LANG, "zh_Hans"))
        body = root.find(_Q + "qti-item-body")
        if body is None:
            self.loaded.error(None, f"The item file {href} has no qti-item-body.")
            return
        entry = self.items.setdefault(root.get("identifier", ""), {"texts": {}, "root": root, "body": body,
                                                                   "href": href})
        texts: dict[str, dict[str, str]] = entry["texts"]  # type: ignore[assignment]
        texts.setdefault("stem", {})[lang] = _stem(body)
        for block in body.findall(_Q + "qti-rubric-block"):
            field = "rubric" if block.get("view") == "scorer" else "explanation"
            texts.setdefault(field, {})[lang] = _html(block.find(_Q + "qti-content-body"))
        choice = body.find(_Q + "qti-choice-interaction")
        for simple in choice.findall(_Q + "qti-simple-choice") if choice is not None else []:
            texts.setdefault("option:" + simple.get("identifier", ""), {})[lang] = _html(simple)

    def build(self, item_id: str, entry: dict[str, object]) -> Located:
        usable = bool(ID_PATTERN.fullmatch(item_id))
        root: ET.Element = entry["root"]  # type: ignore[assignment]
        body: ET.Element = entry["body"]  # type: ignore[assignment]
        texts: dict[str, dict[str, str]] = entry["texts"]  # type: ignore[assignment]
        declaration = root.find(_Q + "qti-response-declaration")
        choice = body.find(_Q + "qti-choice-interaction")
        correct = [v.text or "" for v in declaration.iter(_Q + "qti-value")] if declaration is not None else []
        keys = [s.get("identifier", "") for s in choice.findall(_Q + "qti-simple-choice")] if choice is not None else []
        letter = {k: k if all(KEY.fullmatch(k) for k in keys) else KEYS[i] for i, k in enumerate(keys[: len(KEYS)])}
        correct = [letter.get(c, c) for c in correct] if sorted(keys) != ["false", "true"] else correct
        answer: Answer = None
        options: tuple[Option, ...] = ()
        scoring = subtype = None
        points = None
        if body.find(_Q + "qti-extended-text-interaction") is not None:
            item_type, subtype = CONSTRUCTED, body.get("data-subtype") or self.options.essay_subtype
            if not texts.get("rubric") and texts.get("stem"):  # another platform's essay without a scorer's rubric
                texts["rubric"] = {code: NO_RUBRIC.get(code, NO_RUBRIC["en"]) for code in texts["stem"]}
                self.loaded.note(None, f"The written item in {entry['href']} has no scorer's rubric: its rubric says "
                                       "to write the marking guide before approval.", item_id)
            maximum = root.find(_Q + "qti-outcome-declaration")
            raw = maximum.get("normal-maximum", "") if maximum is not None else ""
            points = int(float(raw)) if re.fullmatch(r"[0-9]{1,6}(\.0*)?", raw) else None
        elif sorted(keys) == ["false", "true"]:
            item_type, answer = TRUE_FALSE, correct == ["true"]
        elif choice is not None:
            multiple = declaration is not None and declaration.get("cardinality") == "multiple"
            item_type = MULTIPLE_RESPONSE if multiple else SINGLE_CHOICE
            answer = tuple(correct) if multiple else (correct[0] if correct else None)
            options = tuple(Option(letter[k], Text(texts.get("option:" + k, {}))) for k in letter)
            if multiple:
                processing = root.find(_Q + "qti-response-processing")
                template = processing.get("template", "") if processing is not None else ""
                scoring = "partial" if template.endswith("map_response.xml") else "all_or_nothing"
        else:
            item_type = ""
            self.loaded.error(None, f"The item in {entry['href']} has no choice or extended-text interaction, "
                                    "which are what certexam imports.", item_id)
        difficulty = body.get("data-difficulty")
        item = Item(
            id=item_id if usable else "", module=body.get("data-module") or self.default_module or "",
            type=item_type, stem=Text(texts.get("stem", {})),
            options=options, answer=answer, explanation=Text(texts.get("explanation", {})),
            difficulty=int(difficulty) if difficulty and re.fullmatch(r"[0-9]{1,3}", difficulty) else None,
            tags=tuple((body.get("data-tags") or "").split()), enemies=tuple((body.get("data-enemies") or "").split()),
            scoring=scoring, subtype=subtype, max_points=points, rubric=Text(texts.get("rubric", {})),
        )
        located = Located(item, None)
        if not usable:
            located.renumber = item_id  # another platform's identifier: the import gives a certexam id
        return located


def load_qti(data: bytes, file: str, options: MoodleOptions | None = None) -> Loaded:
    """Read a QTI 3.0 content package into located items and errors.

    Items from another platform carry no data-module: the mapping's line for the empty category
    (``--map '=L1-ETH'``) gives them one; their identifiers become certexam ids when they are none;
    their written items take the import's essay subtype, and a placeholder rubric (noted) if they have none.
    """
    loaded = Loaded(file)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        loaded.error(None, "The file is not a zip package (a QTI content package is a zip with imsmanifest.xml).")
        return loaded
    if len(data) > MAX_FILE_BYTES or sum(i.file_size for i in archive.infolist()) > MAX_FILE_BYTES * 5:
        loaded.error(None, f"The package is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, or unpacks to "
                           "more than five times that.")
        return loaded
    if len(names) > MAX_MEMBERS or "imsmanifest.xml" not in names:
        loaded.error(None, "The package has no imsmanifest.xml at its root." if len(names) <= MAX_MEMBERS
                     else "The package holds too many files.")
        return loaded
    try:
        manifest = SafeET.fromstring(archive.read("imsmanifest.xml"), forbid_dtd=True)
    except Exception as exc:  # defusedxml and expat errors: unreadable either way
        loaded.error(None, f"The manifest imsmanifest.xml is not valid XML ({exc}).")
        return loaded
    reader = _Reader(loaded, options or MoodleOptions())
    for resource in manifest.iter(f"{{{CP_NS}}}resource"):
        href = resource.get("href", "")
        if resource.get("type") != ITEM_TYPE:
            continue
        if href not in names:
            loaded.error(None, f"The manifest names {href}, which is not in the package.")
            continue
        reader.read(href, archive.read(href))
    for item_id, entry in reader.items.items():
        loaded.items.append(reader.build(item_id, entry))
    if not loaded.items and not loaded.errors:
        loaded.error(None, "The package holds no QTI 3.0 items.")
    for located in loaded.items:
        unknown = [c for c in located.item.stem if c not in LANGUAGES]
        if unknown:
            loaded.error(None, f"The item uses the language {unknown[0]}, which certexam does not offer.",
                         located.item.id)
    return loaded
