"""The native YAML bank format (question_bank/README.md), read with line numbers.

Parsing walks the composed node tree (never constructs arbitrary objects), so
every item and field keeps its line, and scalars are read as written: ``yes``
or ``0001`` stay text where the format expects text.  Unknown fields are errors
(they are usually typos).  Export writes the same format in a fixed field order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from certexam.bankio.errors import ExportError, Loaded, Located, ParseResult, clean_text, decode, finish
from certexam.domain.catalogue import MODULES_BY_CODE
from certexam.domain.difficulty import ItemStats, stats_problems
from certexam.domain.items import (
    DEFAULT_SCORING,
    MULTIPLE_RESPONSE,
    NO_TEXT,
    TRUE_FALSE,
    Answer,
    Item,
    Option,
    Text,
)

FORMAT_TAG = "certexam-bank/1"  # README "A file": format, "exactly this string"
FILE_FIELDS = ("format", "module", "items")
ITEM_FIELDS = ("id", "type", "subtype", "max_points", "difficulty", "stats", "tags", "enemies", "stem", "case",
               "options", "answer", "scoring", "children", "rubric", "explanation")
STATS_FIELDS = ("facility", "n")  # issue 21: `stats: {facility: 0.62, n: 240}`
CHILD_FIELDS = ("id", "type", "stem", "options", "answer", "scoring", "explanation")
OPTION_FIELDS = ("key", "text")
_TEXT_FIELDS = ("stem", "case", "rubric", "explanation")
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER_BASE: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_NUMBER = re.compile(r"[0-9]{1,9}")
_DECIMAL = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9})?")
_LONG_LINE = 80  # export: longer single-line texts are written as folded blocks
_SHORT_OPTION = 30  # export: option texts up to this length go on one line


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


class _Reader:
    """Builds one top-level item (and its children), recording lines and malformed fields."""

    def __init__(self, loaded: Loaded, module: str, located: Located) -> None:
        self.loaded, self.module, self.located = loaded, module, located

    def bad(self, path: str, node: Node, message: str) -> None:
        self.located.broken.add(path)
        self.loaded.error(self.located.lines.get(path, _line(node)), message, self.located.item.id)

    def fields(self, node: MappingNode, path: str, allowed: Sequence[str], where: str) -> dict[str, Node]:
        found: dict[str, Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else None
            if name in found:
                self.loaded.error(_line(key), f"The field '{name}' appears twice{where}.", self.located.item.id)
            elif name is None or name not in allowed:
                shown = f"'{name}'" if name is not None else "name that is not plain text"
                self.loaded.error(
                    _line(key), f"Unknown field {shown}{where} (expected {', '.join(allowed)}).", self.located.item.id
                )
            else:
                found[name] = value
                self.located.lines[path + name] = _line(key)
        return found

    def scalar(self, node: Node, path: str, label: str) -> str:
        if isinstance(node, ScalarNode):
            return str(node.value)
        self.bad(path, node, f"The {label} must be a single value, not a list or mapping.")
        return ""

    def number(self, node: Node, path: str, label: str) -> int | None:
        raw = self.scalar(node, path, label).strip()
        if _NUMBER.fullmatch(raw):
            return int(raw)
        if path not in self.located.broken:
            self.bad(path, node, f"The {label} must be a whole number, not '{raw}'.")
        return None

    def words(self, node: Node, path: str, label: str) -> tuple[str, ...]:
        if isinstance(node, ScalarNode) and node.tag == _NULL_TAG:
            return ()
        if isinstance(node, SequenceNode) and all(isinstance(n, ScalarNode) for n in node.value):
            return tuple(str(n.value).strip() for n in node.value)
        self.bad(path, node, f"The {label} must be a list of words, e.g. [a, b].")
        return ()

    def text(self, node: Node, path: str, label: str) -> Text:
        if not isinstance(node, MappingNode):
            self.bad(path, node, f"The {label} must map language codes to text, e.g. {{zh_Hans: ..., en: ...}}.")
            return NO_TEXT
        values: dict[str, str] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode) or not isinstance(value, ScalarNode):
                self.bad(path, key, f"The {label} must map each language code to one piece of text.")
                return NO_TEXT
            if key.value in values:
                self.bad(path, key, f"The {label} has {key.value} text twice.")
            values[str(key.value)] = clean_text(str(value.value))
        if not values:
            self.bad(path, node, f"The {label} has no text.")
        return Text(values)

    def stats(self, node: Node, path: str) -> ItemStats | None:
        """`{facility: 0.62, n: 240}`: a share from 0 to 1 and the responses it rests on."""
        if not isinstance(node, MappingNode):
            self.bad(path, node, "The stats must be a mapping like {facility: 0.62, n: 240}.")
            return None
        fields = self.fields(node, path + ".", STATS_FIELDS, " in stats")
        raw = self.scalar(fields["facility"], path + ".facility", "facility").strip() if "facility" in fields else ""
        facility = float(raw) if _DECIMAL.fullmatch(raw) else None
        n = self.number(fields["n"], path + ".n", "n of stats") if "n" in fields else None
        problems = stats_problems(facility, n if path + ".n" not in self.located.broken else 1)  # n: told once
        if problems:
            self.bad(path, node, f"The stats are not usable: {'; '.join(problems)}.")
            return None
        return ItemStats(facility, n) if facility is not None and n is not None else None

    def answer(self, node: Node, path: str, item_type: str) -> Answer:
        if isinstance(node, SequenceNode):
            return self.words(node, path, "answer")
        raw = self.scalar(node, path, "answer").strip()
        if item_type == MULTIPLE_RESPONSE and isinstance(node, ScalarNode):
            self.bad(path, node, "The answer of a multiple_response item must be a list of keys, e.g. [A, C].")
        elif item_type == TRUE_FALSE and isinstance(node, ScalarNode):
            if raw.lower() in ("true", "false") or node.tag == _BOOL_TAG:
                return raw.lower() in ("true", "yes", "on")
            self.bad(path, node, "The answer of a true_false item must be true or false.")
        return raw

    def options(self, node: Node, path: str) -> tuple[Option, ...]:
        if not isinstance(node, SequenceNode):
            self.bad(path, node, "The options must be a list of entries with key and text.")
            self.located.broken.add(path.removesuffix("options") + "answer")  # no keys to check it against
            return ()
        found: list[Option] = []
        for i, entry in enumerate(node.value):
            sub = f"{path}[{i}]"
            self.located.lines[sub] = _line(entry)
            if not isinstance(entry, MappingNode):
                self.bad(sub, entry, f"Option {i + 1} must be a mapping with key and text.")
                continue
            fields = self.fields(entry, sub + ".", OPTION_FIELDS, f" in option {i + 1}")
            key = self.scalar(fields["key"], sub + ".key", "option key").strip() if "key" in fields else ""
            text = self.text(fields["text"], sub + ".text", f"text of option {i + 1}") if "text" in fields else NO_TEXT
            found.append(Option(key, text))
        return tuple(found)

    def children(self, node: Node, path: str) -> tuple[Item, ...]:
        if not isinstance(node, SequenceNode):
            self.bad(path, node, "The children must be a list of items.")
            return ()
        found = []
        for i, entry in enumerate(node.value):
            sub = f"{path}[{i}]"
            self.located.lines[sub] = _line(entry)
            if isinstance(entry, MappingNode):
                found.append(self.item(entry, sub + ".", f" in child {i + 1}", child=True))
            else:
                self.bad(sub, entry, f"Child {i + 1} must be a mapping of fields (id, type, stem, ...).")
        return tuple(found)

    def item(self, node: MappingNode, path: str, where: str, child: bool = False) -> Item:
        if not child:  # find the id first, so that every error names the item
            ids = [v.value for k, v in node.value if isinstance(k, ScalarNode) and k.value == "id"]
            first = str(ids[0]).strip() if ids and isinstance(ids[0], str) else ""
            self.located.item = Item(first, self.module, "", NO_TEXT)
        fields = self.fields(node, path, CHILD_FIELDS if child else ITEM_FIELDS, where)
        get = fields.get
        item_id = self.scalar(fields["id"], path + "id", "id").strip() if "id" in fields else ""
        item_type = self.scalar(fields["type"], path + "type", "type").strip() if "type" in fields else ""
        texts = {n: self.text(fields[n], path + n, n) if n in fields else NO_TEXT for n in _TEXT_FIELDS}
        answer = self.answer(fields["answer"], path + "answer", item_type) if "answer" in fields else None
        scoring = self.scalar(fields["scoring"], path + "scoring", "scoring").strip() if "scoring" in fields else None
        points, difficulty, tags, enemies = get("max_points"), get("difficulty"), get("tags"), get("enemies")
        subtype, stats = get("subtype"), get("stats")
        return Item(
            id=item_id,
            module=self.module,
            type=item_type,
            stem=texts["stem"],
            options=self.options(fields["options"], path + "options") if "options" in fields else (),
            answer=answer,
            explanation=texts["explanation"],
            difficulty=self.number(difficulty, path + "difficulty", "difficulty") if difficulty is not None else None,
            tags=self.words(tags, path + "tags", "tags") if tags is not None else (),
            enemies=self.words(enemies, path + "enemies", "enemies") if enemies is not None else (),
            scoring=DEFAULT_SCORING if scoring is None and item_type == MULTIPLE_RESPONSE else scoring,
            case=texts["case"],
            children=self.children(fields["children"], path + "children") if "children" in fields else (),
            subtype=self.scalar(subtype, path + "subtype", "subtype").strip() if subtype is not None else None,
            max_points=self.number(points, path + "max_points", "max_points") if points is not None else None,
            rubric=texts["rubric"],
            stats=self.stats(stats, path + "stats") if stats is not None and not child else None,
        )


def _compose(text: str, loaded: Loaded) -> Node | None:
    try:
        node: Node | None = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = f"{exc.context}, {exc.problem}" if exc.context else str(exc.problem)
        loaded.error(int(mark.line) + 1 if mark else None, f"The YAML is not valid: {detail}.")
        return None
    except yaml.YAMLError as exc:
        loaded.error(None, f"The YAML is not valid: {exc}.")
        return None
    except RecursionError:
        loaded.error(None, "The YAML is nested too deeply.")
        return None
    if node is None:
        loaded.error(None, "The file is empty.")
    elif (shared := _aliased(node)) is not None:
        loaded.error(_line(shared), "The file uses YAML anchors and aliases (&name, *name), which bank files "
                                    "do not allow: write each item out in full.")
        return None
    return node


def _aliased(root: Node) -> Node | None:
    """The first node reached twice: composing shares a node only through an alias."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            stack.extend(part for pair in node.value for part in pair)
    return None


def load_yaml(data: bytes, file: str) -> Loaded:
    """Parse one YAML bank file into located items and file-level errors."""
    loaded = Loaded(file)
    text = decode(data, loaded)
    root = _compose(text, loaded) if text is not None else None
    if root is None:
        return loaded
    if not isinstance(root, MappingNode):
        loaded.error(_line(root), "The file must be a mapping with format, module and items.")
        return loaded
    top = Located(Item("", "", "", NO_TEXT), None)
    fields = _Reader(loaded, "", top).fields(root, "", FILE_FIELDS, " at the top of the file")
    fmt = fields.get("format")
    if fmt is None or not isinstance(fmt, ScalarNode) or fmt.value != FORMAT_TAG:
        shown = f"'{fmt.value}' is not" if isinstance(fmt, ScalarNode) else "is missing; it must be"
        loaded.error(_line(fmt) if fmt else 1, f"The format {shown} '{FORMAT_TAG}'.")
    mod = fields.get("module")
    module = str(mod.value).strip() if isinstance(mod, ScalarNode) else ""
    if module not in MODULES_BY_CODE:
        shown = f"'{module}' is not in the catalogue" if module else "is missing"
        loaded.error(_line(mod) if mod else 1, f"The module {shown}.")
    items = fields.get("items")
    if not isinstance(items, SequenceNode) or not items.value:
        loaded.error(_line(items) if items else 1, "The file needs an items list with at least one item.")
        return loaded
    for i, node in enumerate(items.value):
        if not isinstance(node, MappingNode):
            loaded.error(_line(node), f"Item {i + 1} must be a mapping of fields (id, type, stem, ...).")
            continue
        located = Located(Item("", module, "", NO_TEXT), _line(node))
        if module not in MODULES_BY_CODE:
            located.broken.add("module")  # reported once above
        located.item = _Reader(loaded, module, located).item(node, "", f" in item {i + 1}")
        loaded.items.append(located)
    return loaded


def parse_yaml(data: bytes, file: str = "bank.yaml") -> ParseResult:
    """Parse and check one YAML file on its own."""
    return finish([load_yaml(data, file)])


class _Flow(list[str]):
    """A short list written inline: [A, C]."""


class _FlowMap(dict[str, str]):
    """A short text mapping written inline: {zh_Hans: ..., en: ...}."""


class _Dumper(_DUMPER_BASE):  # type: ignore[misc]
    """libyaml's emitter when present (about ten times faster); the pure one writes the same text."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else (">" if len(data) > _LONG_LINE else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _represent_flow_map(dumper: yaml.SafeDumper, data: _FlowMap) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(_FlowMap, _represent_flow_map)


def _option_text(text: Text) -> dict[str, str]:
    short = all(len(v) <= _SHORT_OPTION and "\n" not in v for v in text.values())
    return _FlowMap(text) if short else dict(text)


def _item_doc(item: Item) -> dict[str, object]:
    doc: dict[str, object] = {"id": item.id, "type": item.type}
    extras = {"subtype": item.subtype, "max_points": item.max_points, "difficulty": item.difficulty}
    doc |= {k: v for k, v in extras.items() if v is not None}
    if item.stats is not None:
        doc["stats"] = _FlowMap({"facility": item.stats.facility, "n": item.stats.n})  # type: ignore[dict-item]
    doc |= {k: _Flow(v) for k, v in (("tags", item.tags), ("enemies", item.enemies)) if v}
    doc["stem"] = dict(item.stem)
    if item.case:
        doc["case"] = dict(item.case)
    if item.options:
        doc["options"] = [{"key": o.key, "text": _option_text(o.text)} for o in item.options]
    if item.answer is not None:
        doc["answer"] = _Flow(item.answer) if isinstance(item.answer, tuple) else item.answer
    if item.scoring is not None and item.scoring != DEFAULT_SCORING:
        doc["scoring"] = item.scoring
    if item.children:
        doc["children"] = [_item_doc(child) for child in item.children]
    for name, text in (("rubric", item.rubric), ("explanation", item.explanation)):
        if text:
            doc[name] = dict(text)
    return doc


def dump_yaml(items: Sequence[Item]) -> bytes:
    """One module's items as a YAML bank file (UTF-8, unicode unescaped)."""
    modules = sorted({item.module for item in items})
    if len(modules) != 1:
        raise ExportError(f"A YAML bank file holds one module's items; got modules {modules or 'none'}.")
    doc = {"format": FORMAT_TAG, "module": modules[0], "items": [_item_doc(item) for item in items]}
    out = yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=88, default_flow_style=False)
    return str(out).encode("utf-8")
