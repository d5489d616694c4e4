"""Question-bank items as plain values, and the structural rules they obey.

The format is question_bank/README.md; the numbers below come from there
unless a programme clause is cited.  Validation never raises: it returns
``Problem`` values naming the field (``path``) so that a reader can attach
the file line where that field was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field

from certexam.domain.catalogue import LANGUAGES, MODULES_BY_CODE, REQUIRED_ITEM_LANGUAGE
from certexam.domain.difficulty import ItemStats

SINGLE_CHOICE = "single_choice"
MULTIPLE_RESPONSE = "multiple_response"
TRUE_FALSE = "true_false"
ITEM_SET = "item_set"
CONSTRUCTED = "constructed"
CHOICE_TYPES: tuple[str, ...] = (SINGLE_CHOICE, MULTIPLE_RESPONSE, TRUE_FALSE)
ITEM_TYPES: tuple[str, ...] = (*CHOICE_TYPES, ITEM_SET, CONSTRUCTED)
# rules s.2, "Level 2: 60 single-choice, 3 short-answer, 2 skill and 2 proposal questions"
SUBTYPES: tuple[str, ...] = ("short_answer", "skill", "proposal")
SCORINGS: tuple[str, ...] = ("all_or_nothing", "partial")  # README "Answers by type"
DEFAULT_SCORING = "all_or_nothing"  # README: multiple_response default

ID_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{2,39}")  # README "A file": id
KEY_PATTERN = re.compile(r"[A-Z]")  # README: "a single capital letter"
TAG_PATTERN = re.compile(r"[\w.-]{1,40}")  # README "short words": no spaces, commas or colons
MIN_OPTIONS, MAX_OPTIONS = 3, 8  # README "Answers by type": 3-8 options
MIN_RESPONSE_KEYS = 2  # README: multiple_response answer is "a list of 2+ keys"
MIN_CHILDREN, MAX_CHILDREN = 2, 8  # README: item_set children "2-8 choice items"
MIN_DIFFICULTY, MAX_DIFFICULTY = 1, 5  # README: difficulty "1 (easy) to 5 (hard)"
MIN_POINTS, MAX_POINTS = 1, 100  # README: constructed max_points "1-100, integer"

Answer = str | tuple[str, ...] | bool | None
"""single_choice: a key; multiple_response: keys; true_false: bool; else None."""


def _language_rank(code: str) -> tuple[int, str]:
    return (LANGUAGES.index(code) if code in LANGUAGES else len(LANGUAGES), code)


class Text(Mapping[str, str]):
    """Immutable text per language code, ordered as in the catalogue.

    An empty Text means "absent" (no explanation, no case, ...).
    """

    __slots__ = ("_pairs",)
    _pairs: tuple[tuple[str, str], ...]

    def __init__(self, values: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        pairs = values.items() if isinstance(values, Mapping) else values
        object.__setattr__(self, "_pairs", tuple(sorted(pairs, key=lambda p: _language_rank(p[0]))))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Text is immutable")

    def __getitem__(self, lang: str) -> str:
        for code, value in self._pairs:
            if code == lang:
                return value
        raise KeyError(lang)

    def __iter__(self) -> Iterator[str]:
        return (code for code, _ in self._pairs)

    def as_dict(self) -> dict[str, str]:
        """A plain dict, built directly (dict(text) would look every language up one by one)."""
        return dict(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def __hash__(self) -> int:
        return hash(self._pairs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Text):
            return self._pairs == other._pairs
        return super().__eq__(other)

    def __repr__(self) -> str:
        return f"Text({dict(self._pairs)!r})"

    def __reduce__(self) -> tuple[type[Text], tuple[tuple[tuple[str, str], ...]]]:
        return (Text, (self._pairs,))  # copy and pickle rebuild through __init__ (setattr is blocked)

    def languages(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self._pairs)


NO_TEXT = Text()


@dataclass(frozen=True)
class Option:
    key: str
    text: Text


@dataclass(frozen=True)
class Item:
    """One bank item; item_set children are Items of a choice type."""

    id: str
    module: str
    type: str
    stem: Text
    options: tuple[Option, ...] = ()
    answer: Answer = None
    explanation: Text = NO_TEXT
    difficulty: int | None = None
    tags: tuple[str, ...] = ()
    enemies: tuple[str, ...] = ()
    scoring: str | None = None
    case: Text = NO_TEXT
    children: tuple[Item, ...] = ()
    subtype: str | None = None
    max_points: int | None = None
    rubric: Text = NO_TEXT
    # Difficulty statistics (issue 21): not content. Kept on the version's columns, outside the
    # canonical JSON and its hash, and left out of equality: new statistics make no new version.
    stats: ItemStats | None = field(default=None, compare=False)

    def languages(self) -> tuple[str, ...]:
        """The languages this item offers (its stem's; every text field must match)."""
        return self.stem.languages()

    def option_keys(self) -> tuple[str, ...]:
        return tuple(o.key for o in self.options)


@dataclass(frozen=True)
class Problem:
    path: str  # field inside the item, e.g. "options[1].key", "children[0].answer"
    message: str  # an English sentence naming the field


def iter_texts(item: Item, path: str = "", label: str = "") -> Iterator[tuple[str, str, Text]]:
    """Yield (path, label, text) for every non-empty text field, children included."""
    fields = [("stem", "stem", item.stem), ("case", "case", item.case)]
    fields += [(f"options[{i}].text", f"option {o.key}", o.text) for i, o in enumerate(item.options)]
    fields += [("rubric", "rubric", item.rubric), ("explanation", "explanation", item.explanation)]
    for sub, name, text in fields:
        if text:
            yield path + sub, label + name, text
    for i, child in enumerate(item.children):
        yield from iter_texts(child, f"{path}children[{i}].", f"{label}child {i + 1} ")


# Control characters (except tab and newline), surrogates and the XML-invalid U+FFFE/U+FFFF:
# invisible in a browser, and they break XML and CSV exports.
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _bad_character(value: str) -> str | None:
    found = _BAD_CHARACTER.search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def _a(item_type: str) -> str:
    return ("An " if item_type[:1] in ("a", "e", "i", "o", "u") else "A ") + item_type


class _Checker:
    def __init__(self, path: str, label: str, problems: list[Problem]) -> None:
        self.path, self.label, self.problems = path, label, problems

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.path + field, self.label + message))

    def texts(self, item: Item, langs: tuple[str, ...]) -> None:
        for path, label, text in iter_texts(item):
            if path.startswith("children["):
                continue  # checked by the child's own checker
            for code, value in text.items():
                if code not in LANGUAGES:
                    self.add(path, f"The {label} has unknown language code '{code}' (use {', '.join(LANGUAGES)}).")
                elif not value.strip():
                    self.add(path, f"The {label} has empty {code} text.")
                elif bad := _bad_character(value):
                    self.add(path, f"The {label} ({code}) contains a control character {bad}.")
            missing = [c for c in langs if c not in text]
            extra = [c for c in text.languages() if c not in langs and c in LANGUAGES]
            if missing:
                self.add(path, f"The {label} lacks {', '.join(missing)} text, which the stem has.")
            if extra:
                self.add(path, f"The {label} has {', '.join(extra)} text, which the stem lacks.")

    def options(self, item: Item) -> None:
        keys = item.option_keys()
        if item.type in (SINGLE_CHOICE, MULTIPLE_RESPONSE):
            if not MIN_OPTIONS <= len(keys) <= MAX_OPTIONS:
                self.add("options", f"{_a(item.type)} item needs {MIN_OPTIONS} to {MAX_OPTIONS} options, not {len(keys)}.")
        elif keys:
            self.add("options", f"{_a(item.type)} item takes no options.")
        seen: set[str] = set()
        for i, option in enumerate(item.options):
            if not option.key:
                self.add(f"options[{i}].key", f"Option {i + 1} has no key.")
            elif not KEY_PATTERN.fullmatch(option.key):
                self.add(f"options[{i}].key", f"Option key '{option.key}' must be a single capital letter.")
            elif option.key in seen:
                self.add(f"options[{i}].key", f"Option key '{option.key}' is used more than once.")
            seen.add(option.key)
            if not option.text:
                self.add(f"options[{i}].text", f"Option {option.key} has no text.")

    def answer(self, item: Item) -> None:
        keys, answer = item.option_keys(), item.answer
        listed = ", ".join(keys) or "none"
        if item.type in (ITEM_SET, CONSTRUCTED):
            if answer is not None:
                self.add("answer", f"{_a(item.type)} item takes no answer.")
        elif answer is None:
            self.add("answer", "The answer is missing.")
        elif item.type == TRUE_FALSE:
            if not isinstance(answer, bool):
                self.add("answer", "The answer of a true_false item must be true or false.")
        elif item.type == SINGLE_CHOICE:
            if not isinstance(answer, str):
                self.add("answer", "The answer of a single_choice item must be one option key.")
            elif answer not in keys:
                self.add("answer", f"The answer '{answer}' is not among the option keys ({listed}).")
        elif item.type == MULTIPLE_RESPONSE:
            if not isinstance(answer, tuple) or len(answer) < MIN_RESPONSE_KEYS:
                self.add("answer", f"The answer of a multiple_response item must list {MIN_RESPONSE_KEYS} or more keys.")
                return
            for key in sorted(set(answer) - set(keys)):
                self.add("answer", f"The answer key '{key}' is not among the option keys ({listed}).")
            if len(set(answer)) != len(answer):
                self.add("answer", "The answer lists a key more than once.")

    def shape(self, item: Item, child: bool) -> None:
        """Fields that belong to some types only."""
        if item.type == MULTIPLE_RESPONSE and item.scoring not in SCORINGS:
            shown = "missing" if item.scoring is None else f"'{item.scoring}', which is not valid"
            self.add("scoring", f"The scoring is {shown} (use {' or '.join(SCORINGS)}).")
        elif item.type != MULTIPLE_RESPONSE and item.scoring is not None:
            self.add("scoring", "Only multiple_response items take a scoring.")
        if item.type != ITEM_SET and (item.case or item.children):
            self.add("case" if item.case else "children", "Only item_set items take a case and children.")
        if item.type != CONSTRUCTED:
            for name in ("subtype", "max_points", "rubric"):
                if getattr(item, name):
                    self.add(name, f"Only constructed items take a {name}.")
        if child:
            for name in ("difficulty", "tags", "enemies"):
                if getattr(item, name):
                    self.add(name, f"A child of an item set takes no {name}.")

    def constructed(self, item: Item) -> None:
        if item.subtype not in SUBTYPES:
            shown = "missing" if item.subtype is None else f"'{item.subtype}', not one of {', '.join(SUBTYPES)}"
            self.add("subtype", f"The subtype is {shown} (use {', '.join(SUBTYPES)}).")
        points = item.max_points
        if points is None or isinstance(points, bool) or not MIN_POINTS <= points <= MAX_POINTS:
            self.add("max_points", f"The maximum points (max_points) must be a whole number from {MIN_POINTS} to {MAX_POINTS}.")
        if not item.rubric:
            self.add("rubric", "The rubric (marking guide) is missing.")

    def item_set(self, item: Item, langs: tuple[str, ...]) -> None:
        if not item.case:
            self.add("case", "The case text is missing.")
        if not MIN_CHILDREN <= len(item.children) <= MAX_CHILDREN:
            self.add("children", f"An item set needs {MIN_CHILDREN} to {MAX_CHILDREN} children, not {len(item.children)}.")
        for i, child in enumerate(item.children):
            name = f"Child {i + 1}" + (f" ({child.id})" if child.id else "")
            sub = _Checker(f"{self.path}children[{i}].", f"{self.label}{name}: ", self.problems)
            sub.check(child, item.module, langs)

    def check(self, item: Item, parent_module: str | None, langs: tuple[str, ...] | None) -> None:
        child = parent_module is not None
        if not item.id:
            self.add("id", "The id is missing.")
        elif not ID_PATTERN.fullmatch(item.id):
            self.add("id", f"The id '{item.id}' is not valid: use 3 to 40 capital letters, digits and hyphens.")
        if child and item.module != parent_module:
            self.add("module", "A child must belong to its item set's module.")
        elif not item.module:
            self.add("module", "The module is missing.")
        elif item.module not in MODULES_BY_CODE:
            self.add("module", f"The module '{item.module}' is not in the catalogue.")
        allowed = CHOICE_TYPES if child else ITEM_TYPES
        if item.type not in allowed:
            shown = f"'{item.type}' is not" if item.type else "is missing; it must be"
            self.add("type", f"The type {shown} one of {', '.join(allowed)}.")
        if item.difficulty is not None and not MIN_DIFFICULTY <= item.difficulty <= MAX_DIFFICULTY:
            self.add("difficulty", f"The difficulty must be from {MIN_DIFFICULTY} to {MAX_DIFFICULTY}, not {item.difficulty}.")
        self.words(item)
        if REQUIRED_ITEM_LANGUAGE not in item.stem:
            self.add("stem", f"The stem is missing its {REQUIRED_ITEM_LANGUAGE} text ({REQUIRED_ITEM_LANGUAGE} is required).")
        own = tuple(c for c in item.languages() if c in LANGUAGES)
        self.texts(item, own if langs is None else langs)
        if item.type not in allowed:
            return  # the type-specific rules would only repeat the type problem
        self.options(item)
        self.answer(item)
        self.shape(item, child)
        if item.type == CONSTRUCTED:
            self.constructed(item)
        elif item.type == ITEM_SET:
            self.item_set(item, own)

    def words(self, item: Item) -> None:
        for i, tag in enumerate(item.tags):
            if not TAG_PATTERN.fullmatch(tag):
                self.add(f"tags[{i}]", f"The tag '{tag}' must be 1 to 40 letters, digits, '-', '_' or '.'.")
        if len(set(item.tags)) != len(item.tags):
            self.add("tags", "A tag is listed more than once.")
        for i, enemy in enumerate(item.enemies):
            if not ID_PATTERN.fullmatch(enemy):
                self.add(f"enemies[{i}]", f"The enemy '{enemy}' is not a valid item id.")
            elif enemy == item.id:
                self.add(f"enemies[{i}]", "An item cannot be its own enemy.")
        if len(set(item.enemies)) != len(item.enemies):
            self.add("enemies", "An enemy is listed more than once.")


def validate_item(item: Item) -> list[Problem]:
    """Every structural problem of one item (children included); [] if valid."""
    problems: list[Problem] = []
    _Checker("", "", problems).check(item, None, None)
    return problems


@dataclass(frozen=True)
class Duplicate:
    """Item ``index`` reuses at ``path`` the id first used by item ``first_index`` at ``first_path``."""

    id: str
    index: int
    path: str
    first_index: int
    first_path: str


def _ids(item: Item) -> Iterator[tuple[str, str]]:
    yield "id", item.id
    for i, child in enumerate(item.children):
        yield f"children[{i}].id", child.id


def find_duplicate_ids(items: Sequence[Item]) -> list[Duplicate]:
    """Ids (of items and item-set children) used more than once in ``items``."""
    first: dict[str, tuple[int, str]] = {}
    found: list[Duplicate] = []
    for index, item in enumerate(items):
        for path, item_id in _ids(item):
            if not item_id:
                continue
            if item_id in first:
                found.append(Duplicate(item_id, index, path, *first[item_id]))
            else:
                first[item_id] = (index, path)
    return found


def find_unknown_enemies(items: Sequence[Item], existing_ids: Set[str] = frozenset()) -> list[tuple[int, Problem]]:
    """Enemies that name neither an item in ``items`` nor one of ``existing_ids``, among the modules
    being imported. An enemy of another module may come in a later import (issue 22: the shipped banks
    pair items across modules, and a test or a writer loads some modules only): enemies are declared on
    both sides, so the pair applies once both items are in the bank."""
    known = set(existing_ids) | {item_id for item in items for _, item_id in _ids(item)}
    modules = {item.module for item in items}
    return [
        (index, Problem(f"enemies[{i}]", f"The enemy '{enemy}' is not an item in this import or the bank."))
        for index, item in enumerate(items)
        for i, enemy in enumerate(item.enemies)
        if ID_PATTERN.fullmatch(enemy) and enemy not in known and enemy.rsplit("-", 1)[0] in modules
    ]
