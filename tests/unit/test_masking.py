"""Masking holder names for the public page, and matching a typed name."""

import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certexam.domain.masking import mask_name, matching_key, name_matches


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三明", "张*明"),
        ("张三", "张*"),
        ("欧阳明", "欧*明"),
        ("欧阳明华", "欧*华"),
        ("司马相如", "司*如"),
        ("阿依古丽·买买提", "阿*提"),
        ("张 三 明", "张*明"),
        ("王", "*"),
        ("Li Ming", "L*** M***"),
        ("Christopher Alexander Montgomery", "C*** A*** M***"),
        ("  li   ming ", "l*** m***"),
        ("Madonna", "M***"),
        ("J Smith", "J*** S***"),
        ("X", "*"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_mask_table(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_english_mask_does_not_reveal_word_lengths() -> None:
    assert mask_name("Al Bo") == mask_name("Alexandra Bonaventura") == "A*** B***"


cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
latin = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
cjk_names = st.text(cjk, min_size=2, max_size=6)
latin_names = (
    st.lists(st.text(latin, min_size=1, max_size=12), min_size=1, max_size=4)
    .map(" ".join)
    .filter(lambda n: len(n) >= 2)
)


@given(st.one_of(cjk_names, latin_names))
def test_mask_never_contains_the_full_name(name: str) -> None:
    masked = mask_name(name)
    assert name not in masked
    assert "*" in masked


@given(cjk_names)
def test_cjk_mask_hides_the_middle(name: str) -> None:
    masked = mask_name(name)
    assert masked[0] == name[0]
    assert len(masked) <= 3  # one star, however long the name
    assert sum(char != "*" for char in masked) <= 2  # nothing of the middle shows


@pytest.mark.parametrize(
    ("typed", "name_zh", "name_en", "expected"),
    [
        ("张三明", "张三明", "Zhang Sanming", True),
        ("张 三明", "张三明", "Zhang Sanming", True),
        ("张三明 ", "张三明", None, True),
        ("zhang sanming", "张三明", "Zhang Sanming", True),
        ("ZHANG   SANMING", "张三明", "Zhang Sanming", True),
        ("Sanming Zhang", "张三明", "Zhang Sanming", True),  # either order of a romanised name
        ("Ｚｈａｎｇ Ｓａｎｍｉｎｇ", "张三明", "Zhang Sanming", True),  # full-width letters (NFKC)
        ("STRASSE Anna", None, "Anna Straße", True),  # case folding: ß == ss
        ("张三", "张三明", "Zhang Sanming", False),
        ("张三明明", "张三明", "Zhang Sanming", False),
        ("張三明", "张三明", "Zhang Sanming", False),  # traditional form: not folded (documented)
        ("Zhang", "张三明", "Zhang Sanming", False),
        ("ZhangSanming", "张三明", "Zhang Sanming", False),  # spaces matter in Latin names
        ("Zhang San ming", "张三明", "Zhang Sanming", False),
        ("", "张三明", "Zhang Sanming", False),
        ("   ", "张三明", "", False),
        ("", "", "", False),
        ("", None, None, False),
        ("张三明", None, None, False),
    ],
)
def test_name_match_table(typed: str, name_zh: str | None, name_en: str | None, expected: bool) -> None:
    assert name_matches(typed, name_zh, name_en) is expected


def test_matching_compares_both_names_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return bool(real(a, b))

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert name_matches("张三明", "张三明", "Zhang Sanming")
    # No short cut after the first match, and fixed-size digests so length does not leak.
    assert len(calls) == 2
    assert {len(x) for pair in calls for x in pair} == {32}


def test_matching_key_examples() -> None:
    assert matching_key(" Ming  LI ") == "li ming"
    assert matching_key("欧阳 明华") == "欧阳明华"
