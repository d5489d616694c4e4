"""Which of the programme's four languages a browser asks for (pure)."""

from __future__ import annotations

from collections.abc import Iterable

# rules s.2: "simplified Chinese, traditional Chinese, English and Portuguese"
SUPPORTED = ("zh_Hans", "zh_Hant", "en", "pt")
DEFAULT = "zh_Hans"  # simplified Chinese is the programme's default
HTML_LANG = {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en", "pt": "pt"}
NATIVE_NAMES = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English", "pt": "Português"}

_HANT_REGIONS = {"tw", "hk", "mo"}


def map_tag(tag: str) -> str | None:
    """Map one BCP 47 tag (zh-TW, zh-Hant-HK, en-GB, pt-BR, zh) to a supported code."""
    parts = tag.strip().lower().replace("_", "-").split("-")
    lang = parts[0]
    if lang == "zh":
        rest = set(parts[1:])
        if "hant" in rest or (rest & _HANT_REGIONS and "hans" not in rest):
            return "zh_Hant"
        return "zh_Hans"
    if lang in ("en", "pt"):
        return lang
    return None


def negotiate(accepted: Iterable[tuple[str, float]]) -> str:
    """Pick the best supported language from (tag, quality) pairs; default zh_Hans.

    Higher quality wins; among equal qualities the tag listed first wins.
    """
    ranked = [
        (-quality, position, code)
        for position, (tag, quality) in enumerate(accepted)
        if quality > 0 and (code := map_tag(tag)) is not None
    ]
    return min(ranked)[2] if ranked else DEFAULT


# Issue 22: which language an item shows when it lacks the reader's. Portuguese readers in Macao read
# English before Chinese; traditional-Chinese readers read simplified Chinese before English. The
# setting ITEM_LANGUAGE_FALLBACK replaces any of these orders (config.py).
FALLBACK: dict[str, tuple[str, ...]] = {
    "zh_Hans": ("zh_Hans", "zh_Hant", "en", "pt"),
    "zh_Hant": ("zh_Hant", "zh_Hans", "en", "pt"),
    "en": ("en", "zh_Hans", "zh_Hant", "pt"),
    "pt": ("pt", "en", "zh_Hans", "zh_Hant"),
}


def fallback_order(wanted: str, orders: dict[str, tuple[str, ...]] | None = None) -> tuple[str, ...]:
    """The languages to try for a reader of ``wanted``, best first; every supported language appears
    once (an order that names only some is completed in the default order)."""
    order = tuple((orders or FALLBACK).get(wanted) or FALLBACK.get(wanted) or (DEFAULT,))
    return tuple(dict.fromkeys((*order, wanted, *FALLBACK.get(wanted, SUPPORTED), *SUPPORTED)))


def item_language(wanted: str, available: Iterable[str], orders: dict[str, tuple[str, ...]] | None = None) -> str:
    """The language to show an item in: ``wanted`` if the item has it, else the first of its fallback
    order that the item has (an item always has simplified Chinese: catalogue.REQUIRED_ITEM_LANGUAGE)."""
    have = list(available)
    return next((code for code in fallback_order(wanted, orders) if code in have), have[0] if have else wanted)
