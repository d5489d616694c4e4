"""The pure item model and its structural rules (certexam/domain/items.py)."""

from __future__ import annotations

import ast
import copy
import dataclasses
import pickle
import sys
from pathlib import Path

import pytest

from certexam.domain.items import (
    DEFAULT_SCORING,
    Item,
    Option,
    Problem,
    Text,
    find_duplicate_ids,
    find_unknown_enemies,
    iter_texts,
    validate_item,
)

ZH_EN = {"zh_Hans": "题干", "en": "stem"}


def opt(key: str, langs: tuple[str, ...] = ("zh_Hans", "en")) -> Option:
    return Option(key, Text({lang: f"{key}-{lang}" for lang in langs}))


def single(**changes: object) -> Item:
    base = Item("L1-ETH-0001", "L1-ETH", "single_choice", Text(ZH_EN), tuple(opt(k) for k in "ABC"), "B")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def multi(**changes: object) -> Item:
    base = single(type="multiple_response", answer=("A", "C"), scoring=DEFAULT_SCORING)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def child(item_id: str, **changes: object) -> Item:
    return single(id=item_id, **changes)


def item_set(**changes: object) -> Item:
    base = Item("L1-ETH-0100", "L1-ETH", "item_set", Text(ZH_EN), case=Text({"zh_Hans": "案例", "en": "case"}),
                children=(child("L1-ETH-0101"), child("L1-ETH-0102", type="true_false", options=(), answer=True)))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def constructed(**changes: object) -> Item:
    base = Item("L2-AI-0001", "L2-AI", "constructed", Text(ZH_EN), subtype="skill", max_points=20,
                rubric=Text({"zh_Hans": "评分", "en": "marking"}))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def messages(item: Item) -> list[str]:
    return [p.message for p in validate_item(item)]


# ---- Text -------------------------------------------------------------------------------------------

def test_text_orders_languages_as_the_catalogue_and_is_a_hashable_mapping() -> None:
    text = Text({"en": "b", "pt": "c", "zh_Hans": "a"})
    assert list(text) == ["zh_Hans", "en", "pt"]
    assert text.languages() == ("zh_Hans", "en", "pt")
    assert text["en"] == "b" and text.get("zh_Hant") is None and len(text) == 3
    assert text == Text({"zh_Hans": "a", "pt": "c", "en": "b"}) == {"zh_Hans": "a", "en": "b", "pt": "c"}
    assert hash(text) == hash(Text([("pt", "c"), ("zh_Hans", "a"), ("en", "b")]))
    assert not Text() and text
    with pytest.raises(AttributeError):
        text.x = 1  # type: ignore[attr-defined]
    with pytest.raises(KeyError):
        text["fr"]


def test_items_survive_copy_and_pickle() -> None:
    item = item_set()
    assert copy.deepcopy(item) == item
    assert pickle.loads(pickle.dumps(item)) == item


def test_items_are_hashable_values_and_report_their_languages() -> None:
    assert single() == single() and len({single(), single()}) == 1
    assert single().languages() == ("zh_Hans", "en")
    assert single().option_keys() == ("A", "B", "C")


# ---- valid items ------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [single, multi, item_set, constructed,
                                  lambda: single(type="true_false", options=(), answer=False)])
def test_valid_items_have_no_problems(make) -> None:  # type: ignore[no-untyped-def]
    assert validate_item(make()) == []


# ---- faults, table-driven ------------------------------------------------------------------------------

FAULTS = [
    ("missing id", single(id=""), "id", "The id is missing."),
    ("lower-case id", single(id="l1-eth-1"), "id", "The id 'l1-eth-1' is not valid"),
    ("id too short", single(id="AB"), "id", "is not valid"),
    ("id too long", single(id="A" * 41), "id", "is not valid"),
    ("unknown module", single(module="L9-XYZ"), "module", "The module 'L9-XYZ' is not in the catalogue."),
    ("missing module", single(module=""), "module", "The module is missing."),
    ("unknown type", single(type="essay"), "type", "The type 'essay' is not one of single_choice"),
    ("difficulty 0", single(difficulty=0), "difficulty", "The difficulty must be from 1 to 5, not 0."),
    ("difficulty 6", single(difficulty=6), "difficulty", "not 6"),
    ("two options", single(options=(opt("A"), opt("B"))), "options", "needs 3 to 8 options, not 2."),
    ("nine options", single(options=tuple(opt(k) for k in "ABCDEFGHI")), "options", "not 9."),
    ("duplicate key", single(options=(opt("A"), opt("B"), opt("B"))), "options[2].key",
     "Option key 'B' is used more than once."),
    ("lower-case key", single(options=(opt("A"), opt("b"), opt("C")), answer="A"), "options[1].key",
     "Option key 'b' must be a single capital letter."),
    ("missing key", single(options=(opt("A"), opt(""), opt("C")), answer="A"), "options[1].key",
     "Option 2 has no key."),
    ("option without text", single(options=(opt("A"), Option("B", Text()), opt("C"))), "options[1].text",
     "Option B has no text."),
    ("key not among options", single(answer="E"), "answer", "The answer 'E' is not among the option keys (A, B, C)."),
    ("missing answer", single(answer=None), "answer", "The answer is missing."),
    ("single with a list", single(answer=("A", "B")), "answer", "must be one option key"),
    ("multiple with one key", multi(answer=("A",)), "answer", "must list 2 or more keys"),
    ("multiple with unknown key", multi(answer=("A", "Z")), "answer", "The answer key 'Z' is not among"),
    ("multiple repeating a key", multi(answer=("A", "A")), "answer", "lists a key more than once"),
    ("multiple without scoring", multi(scoring=None), "scoring", "The scoring is missing"),
    ("multiple with bad scoring", multi(scoring="half"), "scoring", "'half', which is not valid"),
    ("scoring on single", single(scoring="partial"), "scoring", "Only multiple_response items take a scoring."),
    ("true_false with options", single(type="true_false", answer=True), "options",
     "A true_false item takes no options."),
    ("true_false with a key", single(type="true_false", options=(), answer="A"), "answer", "must be true or false"),
    ("no zh_Hans stem", single(stem=Text({"en": "x"})), "stem", "The stem is missing its zh_Hans text"),
    ("unknown language", single(stem=Text({"zh_Hans": "x", "fr": "y"})), "stem",
     "The stem has unknown language code 'fr'"),
    ("option lacks a language", single(options=(opt("A"), opt("B", ("zh_Hans",)), opt("C"))), "options[1].text",
     "The option B lacks en text, which the stem has."),
    ("explanation has an extra language", single(explanation=Text({"zh_Hans": "x", "en": "y", "pt": "z"})),
     "explanation", "The explanation has pt text, which the stem lacks."),
    ("empty text", single(stem=Text({"zh_Hans": "  ", "en": "x"})), "stem", "The stem has empty zh_Hans text."),
    ("control character", single(stem=Text({"zh_Hans": "a\x07b", "en": "x"})), "stem",
     "contains a control character U+0007"),
    ("bad tag", single(tags=("two words",)), "tags[0]", "The tag 'two words' must be 1 to 40 letters"),
    ("repeated tag", single(tags=("a", "a")), "tags", "A tag is listed more than once."),
    ("own enemy", single(enemies=("L1-ETH-0001",)), "enemies[0]", "An item cannot be its own enemy."),
    ("bad enemy id", single(enemies=("x",)), "enemies[0]", "The enemy 'x' is not a valid item id."),
    ("case on a choice item", single(case=Text({"zh_Hans": "c", "en": "c"})), "case", "Only item_set items"),
    ("rubric on a choice item", single(rubric=Text({"zh_Hans": "r", "en": "r"})), "rubric",
     "Only constructed items take a rubric."),
    ("item set with one child", item_set(children=(child("L1-ETH-0101"),)), "children",
     "An item set needs 2 to 8 children, not 1."),
    ("item set with nine children", item_set(children=tuple(child(f"L1-ETH-010{i}") for i in range(9))),
     "children", "not 9."),
    ("item set without case", item_set(case=Text()), "case", "The case text is missing."),
    ("item set with an answer", item_set(answer="A"), "answer", "An item_set item takes no answer."),
    ("child of a constructed type", item_set(children=(child("L1-ETH-0101"), constructed(id="L1-ETH-0102"))),
     "children[1].type", "Child 2 (L1-ETH-0102): The type 'constructed' is not one of"),
    ("child lacking a language", item_set(children=(child("L1-ETH-0101"), child("L1-ETH-0102",
     stem=Text({"zh_Hans": "x"})))), "children[1].stem", "Child 2 (L1-ETH-0102): The stem lacks en text"),
    ("child with a wrong key", item_set(children=(child("L1-ETH-0101", answer="Q"), child("L1-ETH-0102"))),
     "children[0].answer", "Child 1 (L1-ETH-0101): The answer 'Q' is not among"),
    ("child with difficulty", item_set(children=(child("L1-ETH-0101", difficulty=2), child("L1-ETH-0102"))),
     "children[0].difficulty", "A child of an item set takes no difficulty."),
    ("constructed bad subtype", constructed(subtype="essay"), "subtype", "The subtype is 'essay', not one of"),
    ("constructed no subtype", constructed(subtype=None), "subtype", "The subtype is missing"),
    ("constructed 0 points", constructed(max_points=0), "max_points", "The maximum points (max_points) must be a whole number from 1 to 100."),
    ("constructed 101 points", constructed(max_points=101), "max_points", "from 1 to 100"),
    ("constructed no points", constructed(max_points=None), "max_points", "from 1 to 100"),
    ("constructed no rubric", constructed(rubric=Text()), "rubric", "The rubric (marking guide) is missing."),
    ("constructed rubric lacks a language", constructed(rubric=Text({"zh_Hans": "r"})), "rubric",
     "The rubric lacks en text"),
    ("constructed with options", constructed(options=(opt("A"), opt("B"), opt("C"))), "options",
     "A constructed item takes no options."),
]


@pytest.mark.parametrize(("item", "path", "message"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_each_fault_is_reported_with_its_field(item: Item, path: str, message: str) -> None:
    problems = validate_item(item)
    assert any(p.path == path and message in p.message for p in problems), problems


@pytest.mark.parametrize(("value", "ok"), [(1, True), (5, True), (0, False), (6, False), (None, True)])
def test_difficulty_boundaries(value: int | None, ok: bool) -> None:
    assert (validate_item(single(difficulty=value)) == []) is ok


@pytest.mark.parametrize(("points", "ok"), [(1, True), (100, True), (0, False), (101, False), (True, False)])
def test_max_points_boundaries(points: int, ok: bool) -> None:
    assert (validate_item(constructed(max_points=points)) == []) is ok


@pytest.mark.parametrize(("count", "ok"), [(2, False), (3, True), (8, True), (9, False)])
def test_option_count_boundaries(count: int, ok: bool) -> None:
    options = tuple(opt(k) for k in "ABCDEFGHI"[:count])
    assert (validate_item(single(options=options, answer="A")) == []) is ok


def test_an_unknown_type_is_reported_once_without_type_specific_noise() -> None:
    assert messages(single(type="weird", options=(), answer=None)) == [
        "The type 'weird' is not one of single_choice, multiple_response, true_false, item_set, constructed."
    ]


def test_all_problems_of_an_item_are_reported_together() -> None:
    problems = validate_item(single(id="", answer="Z", difficulty=9))
    assert {p.path for p in problems} == {"id", "answer", "difficulty"}


def test_iter_texts_walks_children_with_paths_and_labels() -> None:
    paths = [(path, label) for path, label, _ in iter_texts(item_set())]
    assert ("case", "case") in paths
    assert ("children[1].stem", "child 2 stem") in paths
    assert ("children[0].options[2].text", "child 1 option C") in paths


# ---- bank-level checks ----------------------------------------------------------------------------

def test_duplicate_ids_across_items_and_children() -> None:
    items = [single(), item_set(), single(id="L1-ETH-0101")]
    found = find_duplicate_ids(items)
    assert [(d.id, d.index, d.path, d.first_index, d.first_path) for d in found] == [
        ("L1-ETH-0101", 2, "id", 1, "children[0].id")
    ]
    assert find_duplicate_ids([single(), single()])[0].index == 1


def test_enemies_must_exist_in_the_import_or_the_bank() -> None:
    items = [single(enemies=("L1-ETH-0002", "L1-ETH-0101")), item_set()]
    assert find_unknown_enemies(items) == [
        (0, Problem("enemies[0]", "The enemy 'L1-ETH-0002' is not an item in this import or the bank."))
    ]
    assert find_unknown_enemies(items, existing_ids={"L1-ETH-0002"}) == []


def test_domain_module_is_pure() -> None:
    source = Path(sys.modules[Item.__module__].__file__ or "").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0] if not node.module.startswith("certexam") else node.module)
    third_party = {name for name in imported if name not in sys.stdlib_module_names and not name.startswith("certexam.domain")}
    assert third_party == set()
    assert "datetime" not in imported and "time" not in imported
