"""Translation as a workflow (issue 22): which languages of an item a candidate may be offered.

Each language of an item version other than the source (simplified Chinese, REQUIRED_ITEM_LANGUAGE)
is a draft until an item reviewer marks it reviewed. The reviewer is recorded, never the translator:
the version's author wrote or brought in its translations and may not review them (four eyes, as for
the version itself: domain/bank_workflow.py). A language is *ready* for a set of items when every item
has it reviewed; a sitting offers only ready languages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set

from certexam.domain.catalogue import LANGUAGES, REQUIRED_ITEM_LANGUAGE


class TranslationRefused(ValueError):
    """A review that the rules do not allow; the message says why."""


def check_review(language: str, languages: Set[str], reviewer_id: int, author_id: int | None,
                 already: Set[str]) -> None:
    """Refuse a review of a language the version lacks, the source, one already reviewed, or one
    by the version's author."""
    if language not in LANGUAGES or language not in languages:
        raise TranslationRefused("This version has no text in that language.")
    if language == REQUIRED_ITEM_LANGUAGE:
        raise TranslationRefused("Simplified Chinese is the source: it is reviewed with the version itself.")
    if language in already:
        raise TranslationRefused("That language is already reviewed.")
    if author_id is not None and reviewer_id == author_id:
        raise TranslationRefused("The version's author cannot review its translations.")


def reviewed(languages: Set[str], reviews: Set[str]) -> frozenset[str]:
    """The languages of a version a candidate may read: the source and the reviewed translations."""
    return frozenset(lang for lang in languages if lang == REQUIRED_ITEM_LANGUAGE or lang in reviews)


def ready_languages(items: Iterable[frozenset[str]]) -> tuple[str, ...]:
    """The languages every item (each given as its reviewed languages) has, in catalogue order; every
    language when there are no items (there is nothing to translate)."""
    common = set(LANGUAGES)
    for langs in items:
        common &= langs
    return tuple(lang for lang in LANGUAGES if lang in common)


def coverage(rows: Iterable[tuple[str, frozenset[str], frozenset[str]]]) -> dict[str, dict[str, tuple[int, int]]]:
    """Per module and language: (items with it reviewed, items with it at all), from (module,
    languages, reviewed languages) per approved item."""
    out: dict[str, dict[str, list[int]]] = {}
    for module, langs, done in rows:
        per = out.setdefault(module, {lang: [0, 0] for lang in LANGUAGES})
        for lang in LANGUAGES:
            per[lang][0] += lang in done
            per[lang][1] += lang in langs
    return {m: {lang: (c[0], c[1]) for lang, c in per.items()} for m, per in sorted(out.items())}


def as_sets(mapping: Mapping[int, Iterable[str]]) -> dict[int, frozenset[str]]:
    return {k: frozenset(v) for k, v in mapping.items()}
