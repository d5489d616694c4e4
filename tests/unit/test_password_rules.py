"""What a new password must be (domain/passwords.py, after NIST SP 800-63B 5.1.1.2)."""

from __future__ import annotations

import pytest

from certexam.domain import passwords as P

COMMON = {"password12", "qwertyuiop", "iloveyou12"}
CONTEXT = P.context_words("li.xiaolong@example.com", ("李小龙", "Li Xiaolong"), ("110101199003070011",))


def problem(pw: str) -> str | None:
    return P.problem(pw, COMMON.__contains__, CONTEXT)


@pytest.mark.parametrize("pw,code", [
    ("password12", P.COMMON), ("PASSWORD12", P.COMMON), ("Ｐａｓｓｗｏｒｄ１２", P.COMMON),  # full width: NFKC
    ("1234567890", P.SEQUENTIAL), ("abcdefghij", P.SEQUENTIAL), ("9876543210", P.SEQUENTIAL),
    ("\u200b" * 10, P.TOO_SHORT), ("\u200bab\u200ccd\u200d", P.TOO_SHORT), ("short", P.TOO_SHORT),
    ("😀" * 10, P.REPETITIVE), ("abababababab", P.REPETITIVE), ("aaaaaaaaaaaaaaa", P.REPETITIVE),
    ("li.xiaolong@example.com", P.PERSONAL), ("my-li.xiaolong-pw", P.PERSONAL), ("LiXiaolong2026", P.PERSONAL),
    ("li xiaolong 2026", P.PERSONAL), ("李小龙李小龙李小龙1", P.PERSONAL), ("id110101199003070011", P.PERSONAL),
    ("certexam-2026-pw", P.PERSONAL), ("x" * 150 + "abcdefghij" * 6, P.TOO_LONG),
])
def test_refused(pw: str, code: str) -> None:
    assert problem(pw) == code


@pytest.mark.parametrize("pw", [
    "correct-horse-9", "change-my-mind", "a sentence with spaces", "😀🎉🚀🌏🍜🐼😀🎉🚀🌏", "密码要够长而且好记才行",
    "Ünïcödé-pässwörd", "Li-Ming-is-not-here",
])
def test_accepted(pw: str) -> None:
    assert problem(pw) is None


def test_normalisation_is_nfkc() -> None:
    assert P.normalise("e\u0301") == "\u00e9" and P.normalise("ﬁ") == "fi" and P.normalise("１") == "1"


def test_short_name_parts_are_not_context_words() -> None:
    """A two-letter surname would refuse half the dictionary; whole names and emails only."""
    assert "li" not in P.context_words("li@example.com", ("Li",)) and "lixiaolong" in CONTEXT
