"""The terminology check (issue 22): a translation uses the glossary's term where the English does.

The glossary (question_bank/glossary.yaml) lists terms with their accepted forms per language. For each
text of an item (stem, option, explanation, case, marking guide) whose English uses a term as whole
words, in any case, every other language the text has must contain one of that language's forms
(case-insensitive). The first form is the preferred one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Term:
    """One glossary entry: the English term and its accepted forms in each other language."""

    en: str
    forms: Mapping[str, tuple[str, ...]]

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(r"(?<![\w-])" + re.escape(self.en) + r"(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TermProblem:
    """A text whose ``language`` misses the term ``en``."""

    where: str
    language: str
    en: str
    expected: tuple[str, ...]


def parse(data: Mapping[str, object]) -> list[Term]:
    """Terms from the glossary file's mapping; ValueError on a malformed entry."""
    if data.get("format") != "certexam-glossary/1":
        raise ValueError("the glossary's format must be certexam-glossary/1")
    terms = []
    raw_terms = data.get("terms")
    if not isinstance(raw_terms, list):
        raise ValueError("the glossary needs a list of terms")
    for entry in raw_terms:
        if not isinstance(entry, dict) or not isinstance(entry.get("en"), str):
            raise ValueError(f"a glossary entry needs an English term: {entry!r}")
        forms = {}
        for lang, values in entry.items():
            if lang == "en":
                continue
            if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
                raise ValueError(f"{entry['en']}: {lang} needs a list of forms")
            forms[lang] = tuple(values)
        terms.append(Term(entry["en"], forms))
    return terms


def check_text(where: str, text: Mapping[str, str], terms: Sequence[Term]) -> list[TermProblem]:
    """The terms a text's translations miss (a text without English is not checked)."""
    english = text.get("en")
    if not english:
        return []
    problems = []
    for term in terms:
        if not term.pattern.search(english):
            continue
        for lang, value in text.items():
            expected = term.forms.get(lang)
            if lang == "en" or not expected:
                continue
            low = value.lower()
            if not any(form.lower() in low for form in expected):
                problems.append(TermProblem(where, lang, term.en, expected))
    return problems


def check_texts(texts: Iterable[tuple[str, Mapping[str, str]]], terms: Sequence[Term]) -> list[TermProblem]:
    """Every problem of many (where, text) pairs."""
    return [p for where, text in texts for p in check_text(where, text, terms)]
