"""The pieces of a Moodle XML file: a line-numbered element tree, and its texts by language.

Parsing uses defusedxml (no DTDs, entities or external references) through SAX, so
that every element keeps its line number.  Languages travel as Moodle multilang spans
(``<span lang="en" class="multilang">``, zh_Hans = zh_cn, zh_Hant = zh_tw) or the
multilang2 filter's ``{mlang en}...{mlang}``; text without them is zh_Hans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.sax import SAXException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl, Locator

import defusedxml.sax
from defusedxml import DefusedXmlException

from certexam.bankio.errors import Loaded, clean_text, decode
from certexam.bankio.moodle_export import TO_MOODLE_LANG
from certexam.bankio.sanitize import from_moodle_html, html_problems, plain_to_html

FROM_MOODLE_LANG = ({v: k for k, v in TO_MOODLE_LANG.items()} | {k.lower(): k for k in TO_MOODLE_LANG}
                    | {"zh_hk": "zh_Hant", "zh_mo": "zh_Hant", "pt_pt": "pt"})
PLAIN_FORMATS = frozenset({"moodle_auto_format", "plain_text", "markdown"})  # Moodle's non-HTML text formats
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)""")
_SPAN_TAG = re.compile(r"<(/?)span\b([^>]*)>", re.I)
_LANG = re.compile(r"""\blang\s*=\s*["']?([\w-]+)""", re.I)
_MULTILANG = re.compile(r"""\bclass\s*=\s*["'][^"']*\bmultilang\b""", re.I)
_MLANG2 = re.compile(r"\{mlang\s+([\w-]+)\s*\}(.*?)\{mlang\}", re.S | re.I)
_TAGS = re.compile(r"<[^>]*>|&nbsp;|\s")


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    def find(self, tag: str) -> Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def own_text(self) -> str:
        return "".join(self.parts)

    def text_of(self, tag: str) -> str:
        """The <text> inside child ``tag`` (Moodle's usual nesting), or the child's own text."""
        node = self.find(tag)
        return node.inner_text() if node is not None else ""

    def inner_text(self) -> str:
        """The text of this node's <text> child, or its own."""
        inner = self.find("text")
        return (inner or self).own_text()

    def has_files(self) -> bool:
        """True when a file (an embedded image or sound) is anywhere inside: <file>, or Moodle 1.x's
        <image>/<image_base64> (question/format/xml/tests/fixtures/sample_questions_with_old_image_tag.xml)."""
        return any((c.tag == "file" or (c.tag in ("image", "image_base64") and c.own_text().strip()))
                   or c.has_files() for c in self.children)


class _Builder(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[Node] = []
        self.root: Node | None = None
        self.locator: Locator | None = None

    def setDocumentLocator(self, locator: Locator) -> None:  # SAX API names
        self.locator = locator

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        line = self.locator.getLineNumber() if self.locator else 0
        node = Node(name, {k: attrs[k] for k in attrs.getNames()}, line or 0)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def endElement(self, name: str) -> None:
        self.stack.pop()

    def characters(self, content: str) -> None:
        if self.stack:
            self.stack[-1].parts.append(content)


def parse_tree(data: bytes, loaded: Loaded) -> Node | None:
    """The file's element tree, or None after recording why it cannot be read."""
    if decode(data, loaded) is None:
        return None
    declared = _ENCODING.match(data.removeprefix(b"\xef\xbb\xbf"))
    if declared and declared[1].decode("ascii", "replace").lower().replace("_", "-") not in ("utf-8", "utf8"):
        loaded.error(1, f"The XML declares the encoding {declared[1].decode('ascii', 'replace')}; save it as UTF-8.")
        return None
    builder = _Builder()
    try:
        defusedxml.sax.parseString(data, builder, forbid_dtd=True)
    except DefusedXmlException:
        loaded.error(None, "The XML declares a DTD or entities, which are refused for safety.")
        return None
    except SAXException as exc:
        line = exc.getLineNumber() if hasattr(exc, "getLineNumber") else None
        loaded.error(line, f"The XML is not valid: {exc.getMessage()} (the file may be truncated or mis-edited).")
        return None
    return builder.root


def split_languages(html: str) -> tuple[list[tuple[str, str]], str]:
    """(language, text) of every multilang span at the top level, and what lies outside them.

    Spans nest (Moodle's editors put styled spans inside multilang ones), so the
    end of a multilang span is found by counting, not by the first </span>.
    """
    found = [(m[1], m[2]) for m in _MLANG2.finditer(html)]
    html = _MLANG2.sub("", html)
    outside: list[str] = []
    depth, start, code, at = 0, 0, "", 0
    for tag in _SPAN_TAG.finditer(html):
        closing = bool(tag[1])
        if depth == 0:
            if closing or not (_MULTILANG.search(tag[2]) and (lang := _LANG.search(tag[2]))):
                continue
            outside.append(html[at : tag.start()])
            depth, start, code = 1, tag.end(), lang[1]
        elif closing:
            depth -= 1
            if depth == 0:
                found.append((code, html[start : tag.start()]))
                at = tag.end()
        else:
            depth += 1
    outside.append(html[at:] if depth == 0 else html[at:start])
    return found, "".join(outside)


def has_words(html: str) -> bool:
    """True when ``html`` shows any text (not only tags, spaces and &nbsp;)."""
    return bool(_TAGS.sub("", html))


def safe_value(raw: str, fmt: str, lost: list[str]) -> str:
    """One language's text as certexam stores it: plain formats escaped, Moodle's HTML brought into the subset.

    Text already in the subset is kept exactly as written; what the subset cannot hold goes to ``lost``.
    """
    value = clean_text(raw)
    if fmt in PLAIN_FORMATS:
        return plain_to_html(value)
    if not html_problems(value):
        return value
    cleaned, missing = from_moodle_html(value)
    lost += [m for m in missing if m not in lost]
    return clean_text(cleaned)
