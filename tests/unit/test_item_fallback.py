"""Which language an item shows when it lacks the reader's (issue 22: "fallback that fits the reader")."""

from __future__ import annotations

import pytest

from certexam.domain.locales import fallback_order, item_language


@pytest.mark.parametrize(("wanted", "available", "shown"), [
    ("pt", ("zh_Hans", "en"), "en"),  # was simplified Chinese: a Portuguese reader gets English first
    ("pt", ("zh_Hans", "zh_Hant"), "zh_Hans"),
    ("pt", ("zh_Hans", "en", "pt"), "pt"),
    ("zh_Hant", ("zh_Hans", "en"), "zh_Hans"),
    ("zh_Hant", ("en", "zh_Hans", "zh_Hant"), "zh_Hant"),
    ("en", ("zh_Hans", "pt"), "zh_Hans"),
    ("zh_Hans", ("zh_Hans", "en"), "zh_Hans"),
    ("xx", ("zh_Hans", "en"), "zh_Hans"),  # an unknown wish falls to the programme's default
])
def test_default_orders(wanted: str, available: tuple[str, ...], shown: str) -> None:
    assert item_language(wanted, available) == shown


def test_a_configured_order_wins_and_is_completed() -> None:
    orders = {"pt": ("pt", "zh_Hant")}
    assert item_language("pt", ("zh_Hans", "zh_Hant", "en"), orders) == "zh_Hant"
    assert fallback_order("pt", orders) == ("pt", "zh_Hant", "en", "zh_Hans")
    assert item_language("en", ("zh_Hans", "pt"), orders) == "zh_Hans"  # other readers keep the default


def test_the_setting_parses_and_refuses_unknown_languages() -> None:
    from certexam.config import from_environment

    got = from_environment({"CERTEXAM_ITEM_LANGUAGE_FALLBACK": "pt:pt,zh_Hant; zh_Hant:zh_Hant,en"})
    assert got["ITEM_LANGUAGE_FALLBACK"] == {"pt": ("pt", "zh_Hant"), "zh_Hant": ("zh_Hant", "en")}
    with pytest.raises(ValueError, match="'fr'"):
        from_environment({"CERTEXAM_ITEM_LANGUAGE_FALLBACK": "pt:pt,fr"})
