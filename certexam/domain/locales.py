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
