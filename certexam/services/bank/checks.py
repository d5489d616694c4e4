"""A bank's checks beyond each item's own (issue 22): the key's pattern per level, the glossary's terms
in every translation, and how much of the bank each language covers.

`certexam bank validate` runs them over the files it reads; the shipped banks pass them in `make test`
(tests/unit/test_bank_checks.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from certexam.bankio import reader
from certexam.domain.catalogue import LANGUAGES, MODULES_BY_CODE
from certexam.domain.glossary import Term, TermProblem, check_texts, parse
from certexam.domain.items import Item, iter_texts
from certexam.domain.key_pattern import KeyPattern, key_pattern

GLOSSARY = Path(__file__).resolve().parents[2] / "question_bank" / reader.GLOSSARY_NAME
PATTERN_LANGUAGES = ("zh_Hans", "zh_Hant", "en", "pt")  # a translation must not single the key out either


@dataclass(frozen=True)
class Coverage:
    """Per module and language: texts in that language over all texts."""

    rows: tuple[tuple[str, dict[str, tuple[int, int]]], ...]

    def complete(self) -> bool:
        return all(have == total for _m, langs in self.rows for have, total in langs.values())


@dataclass(frozen=True)
class BankChecks:
    patterns: tuple[tuple[int, KeyPattern], ...]  # (level, pattern) per pattern language
    terms: tuple[TermProblem, ...]
    coverage: Coverage

    def problems(self) -> list[str]:
        out = [f"Level {level}: {p}" for level, pattern in self.patterns for p in pattern.problems()]
        out += [f"{t.where}: the {t.language} text should use {' / '.join(t.expected)} for '{t.en}'"
                for t in self.terms]
        return out


def glossary(path: Path = GLOSSARY) -> list[Term]:
    return parse(yaml.safe_load(path.read_text(encoding="utf-8")))


def coverage(items: Sequence[Item]) -> Coverage:
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: {lang: [0, 0] for lang in LANGUAGES})
    for item in items:
        for _where, _label, text in iter_texts(item):
            for lang in LANGUAGES:
                counts[item.module][lang][1] += 1
                counts[item.module][lang][0] += lang in text
    return Coverage(tuple((m, {lang: (c[0], c[1]) for lang, c in counts[m].items()}) for m in sorted(counts)))


def run(items: Sequence[Item], terms: Sequence[Term] | None = None) -> BankChecks:
    """Every bank-level check over ``items`` (one pattern per level and pattern language)."""
    by_level: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        module = MODULES_BY_CODE.get(item.module)
        if module is not None:
            by_level[module.level].append(item)
    patterns = tuple((level, key_pattern(its, lang)) for level, its in sorted(by_level.items())
                     for lang in PATTERN_LANGUAGES)
    texts = [(f"{item.id} {where}", text) for item in items for where, _label, text in iter_texts(item)]
    return BankChecks(patterns, tuple(check_texts(texts, glossary() if terms is None else terms)), coverage(items))
