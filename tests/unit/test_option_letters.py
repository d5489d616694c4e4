"""The letters a candidate sees, and when feedback needs a legend for an explanation's letters (issue 18.5)."""

from __future__ import annotations

import pytest

from certexam.domain import option_letters as L


def test_shown_letters_follow_the_order_shown() -> None:
    assert L.shown_letters(["C", "A", "D", "B"]) == {"C": "A", "A": "B", "D": "C", "B": "D"}


@pytest.mark.parametrize("answer,shown", [
    ("D", "C"), (("B", "C"), "A, D"), (["A"], "B"), ((), None), (None, None), (True, None),
])
def test_answers_in_shown_letters(answer: object, shown: str | None) -> None:
    assert L.in_letters(answer, L.shown_letters(["C", "A", "D", "B"])) == shown


@pytest.mark.parametrize("text,cites", [
    ("C is wrong because a true number can still mislead.", True),
    ("A generic risk notice (A) does not cure it.", True),  # the article and the citation alike: a legend
    ("C项的错误在于……A项的笼统风险提示", True),
    ("选项 B、D 与问题无关。", True),
    ("P(E and F) = 0, so events E and F are exclusive.", False),  # E, F: not among this item's keys
    ("A B+ tree keeps keys sorted.", True),  # may or may not cite: a legend is harmless
    ("Only lower-case words and CAPS like ABC here.", False),
])
def test_citations_are_spotted_generously(text: str, cites: bool) -> None:
    assert L.cites_letters([text], "ABCD") is cites


def test_a_legend_only_when_the_order_moved_and_letters_are_cited() -> None:
    cited = ["(B) is the main distractor."]
    assert L.legend(["A", "B", "C", "D"], cited) == ()  # the bank's order: its letters are the candidate's
    assert L.legend(["B", "A", "C", "D"], ["No letters here."]) == ()
    assert L.legend(["B", "A", "C", "D"], cited) == (("A", "B"), ("B", "A"), ("C", "C"), ("D", "D"))
