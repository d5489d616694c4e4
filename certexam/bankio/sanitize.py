"""The safe rich-text subset of bank items (question_bank/README.md "Rich text").

Policy: import REJECTS text that the sanitiser would change materially, with a
message naming what is wrong, instead of silently altering an author's item.
Accepted text is stored exactly as written (so exports and round trips are
faithful); "immaterial" differences are escaping (``a < b`` vs ``a &lt; b``),
attribute quoting and end tags the parser would add.  Because of that, pages
must render item text through :func:`safe_html`, never raw: it re-sanitises,
which for accepted text changes only such immaterial details.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

# README "Rich text": the allowed tags; img only with src (the bank's assets) and alt.
ALLOWED_TAGS = frozenset(
    {"p", "br", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "strong", "em",
     "sub", "sup", "img"}
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"img": {"src", "alt"}}
# README: img src "names a file in the bank's own assets/ folder (no scheme, no ..)"; ASCII names only.
ASSET_SRC = re.compile(r"assets(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)+")
_HINT = " (a literal '<' must be followed by a space or written as &lt;)"

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=lambda tag, attr, value: value if tag != "img" or attr != "src" or ASSET_SRC.fullmatch(value) else None,
    url_schemes=set(),
    strip_comments=True,
    link_rel=None,
)

Token = tuple[str, str, tuple[tuple[str, str], ...]]


def safe_html(text: str) -> str:
    """The sanitised markup to put in a page for this item text."""
    return _CLEANER.clean(text)


class _Scanner(HTMLParser):
    """Collects tokens (end tags ignored: the sanitiser may add them) and policy problems."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[Token] = []
        self.problems: list[str] = []

    def _problem(self, message: str) -> None:
        if message not in self.problems:
            self.problems.append(message)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = tuple(sorted((name, value or "") for name, value in attrs))
        if tag != "tbody":  # the HTML parser inserts tbody in tables; it changes nothing
            self.tokens.append(("start", tag, values))
        if tag not in ALLOWED_TAGS:
            self._problem(f"tag <{tag}> is not allowed")
            return
        allowed = ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in values:
            if name not in allowed:
                self._problem(f"attribute '{name}' on <{tag}> is not allowed")
            elif tag == "img" and name == "src" and not ASSET_SRC.fullmatch(value):
                self._problem(f"image source '{value}' must be a file in the bank's assets/ folder (no scheme, no '..')")
        if tag == "img" and "src" not in dict(values):
            self._problem("<img> needs a src naming a file in assets/")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED_TAGS:
            self._problem(f"tag <{tag}> is not allowed")

    def handle_data(self, data: str) -> None:
        last = self.tokens[-1] if self.tokens else None
        if last and last[0] == "start" and last[1] == "pre" and data.startswith("\n"):
            data = data[1:]  # HTML drops the newline right after <pre>
        if last and last[0] == "data":
            self.tokens[-1] = ("data", last[1] + data, ())
        elif data:
            self.tokens.append(("data", data, ()))

    def handle_comment(self, data: str) -> None:
        self._problem("HTML comments are not allowed")

    def handle_decl(self, decl: str) -> None:
        self._problem(f"the declaration <!{decl[:20]}> is not allowed")

    def unknown_decl(self, data: str) -> None:
        self._problem(f"<![{data[:20]}]> sections are not allowed")

    def handle_pi(self, data: str) -> None:
        self._problem("processing instructions <?...> are not allowed")


def _scan(text: str) -> _Scanner:
    scanner = _Scanner()
    try:
        scanner.feed(text)
        scanner.close()
    except Exception:  # html.parser has no documented errors; any failure means unreadable markup
        scanner.problems.append("the text could not be read as HTML")
    return scanner


def _show(token: Token | None) -> str:
    if token is None:
        return "the end of the text"
    kind, value, _ = token
    return f"<{value}>" if kind == "start" else repr(value[:30])


def html_problems(text: str) -> list[str]:
    """Why ``text`` is not in the safe subset, as message fragments; [] when it is."""
    if "<" not in text and "&" not in text:
        return []  # plain text: nothing the sanitiser could change
    cleaned_text = _CLEANER.clean(text)
    if cleaned_text == text:
        return []  # already in sanitised form (the common case: no need to parse it twice)
    original = _scan(text)
    if original.problems:
        return ["unsafe HTML: " + p for p in original.problems]
    cleaned = _scan(cleaned_text).tokens
    if cleaned == original.tokens:
        return []
    at = next((i for i, (a, b) in enumerate(zip(original.tokens, cleaned, strict=False)) if a != b),
              min(len(original.tokens), len(cleaned)))
    near = original.tokens[at] if at < len(original.tokens) else None
    return [f"malformed HTML near {_show(near)}: sanitising would change the text "
            f"(check that tags are complete and properly nested){_HINT}"]


# ---- HTML written by Moodle's editors (Atto, TinyMCE) --------------------------------------------------------
# Moodle's editors write presentation (<p dir="ltr" style="text-align: left;">, <span>, <b>, <div>) that the
# safe subset leaves out.  Such markup is brought into the subset: attributes go, <b>/<i> become <strong>/<em>,
# headings and divs become paragraphs, wrappers (<span>, <a>, <font>) keep only their content.  What would lose
# content a candidate needs (scripts, frames, media, forms, images outside the bank's assets) is not dropped
# silently: it is reported, and the question is not imported.
_RENAMED = {"b": "strong", "i": "em", "div": "p", "tt": "code", "kbd": "code", "samp": "code", "var": "em"}
_HEADINGS = frozenset(f"h{n}" for n in range(1, 7))  # a heading becomes a paragraph in bold
_LOSSY = frozenset({"script", "style", "iframe", "frame", "object", "embed", "applet", "audio", "video", "source",
                    "track", "canvas", "svg", "math", "form", "input", "select", "textarea", "button", "map"})
_VOID = frozenset({"br", "img", "hr", "wbr", "col", "area", "input", "source", "track", "embed", "meta", "link"})
_EMPTY_P = re.compile(r"<p>\s*(?:<br>\s*)*</p>")
PLUGINFILE = "@@PLUGINFILE@@"


class _Rewriter(HTMLParser):
    """Re-writes Moodle's HTML with renamed tags and no attributes except img's; collects what would be lost."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lost: list[str] = []

    def _lose(self, what: str) -> None:
        if what not in self.lost:
            self.lost.append(what)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _LOSSY:
            self._lose(f"<{tag}>")
            return
        if tag == "img":
            src, alt = dict(attrs).get("src") or "", dict(attrs).get("alt") or ""
            if not ASSET_SRC.fullmatch(src):
                self._lose("a file embedded from Moodle (" + src.replace(PLUGINFILE + "/", "")[:60] + ")"
                           if src.startswith(PLUGINFILE) else f"an image outside the bank's assets ({src[:60]})")
                return
            self.out.append(f'<img src="{html.escape(src)}" alt="{html.escape(alt)}">')
            return
        if tag in _HEADINGS:
            self.out.append("<p><strong>")
            return
        name = _RENAMED.get(tag, tag)
        if name in ALLOWED_TAGS:
            self.out.append(f"<{name}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and tag not in _LOSSY:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HEADINGS:
            self.out.append("</strong></p>")
            return
        name = _RENAMED.get(tag, tag)
        if name in ALLOWED_TAGS and tag not in _VOID:
            self.out.append(f"</{name}>")

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))


def from_moodle_html(text: str) -> tuple[str, list[str]]:
    """Moodle's HTML brought into the safe subset, and what could not be brought (empty when all could).

    The result is in nh3's normal form, so :func:`html_problems` accepts it.
    """
    rewriter = _Rewriter()
    try:
        rewriter.feed(text)
        rewriter.close()
    except Exception:  # html.parser has no documented errors; any failure means unreadable markup
        return text, ["the text could not be read as HTML"]
    cleaned = _EMPTY_P.sub("", _CLEANER.clean("".join(rewriter.out))).strip()
    return cleaned, rewriter.lost


def plain_to_html(text: str) -> str:
    """Moodle's plain-text formats (moodle_auto_format, plain_text, markdown) as safe text: escaped."""
    return html.escape(text, quote=False)
