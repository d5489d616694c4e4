"""The letters a candidate sees on the options, and the bank's letters an explanation cites.

Options are shuffled per candidate (domain.assembly) and shown lettered by position: the option the
bank keys "D" may be the candidate's "C". Feedback states answers in the letters the candidate saw
(issue 18.5). Explanations are left as written: they cite the bank's letters in free text ("C项",
"(A)", "A is wrong", but also "A deployed model", "P = C + PV(K)", "B+ tree"), which no rule can
rewrite safely, so feedback shows a legend from the bank's letters to the candidate's instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

LETTERS = "ABCDEFGH"  # items have at most 8 options (question_bank/README.md)
_STANDALONE = re.compile(r"(?<![A-Za-z0-9_])[A-H](?![A-Za-z0-9_])")


def shown_letters(order: Sequence[str]) -> dict[str, str]:
    """Bank key -> the letter shown, for options shown in `order` (bank keys, first shown first)."""
    return {key: LETTERS[i] for i, key in enumerate(order)}


def in_letters(answer: object, letters: Mapping[str, str]) -> str | None:
    """A choice answer (a key, or keys) in shown letters, in letter order: "C" or "A, D"; None if none."""
    if isinstance(answer, str):
        return letters.get(answer, answer)
    if isinstance(answer, Iterable) and not isinstance(answer, (bytes, Mapping)):
        shown = sorted(letters.get(str(k), str(k)) for k in answer)
        return ", ".join(shown) or None
    return None


def cites_letters(texts: Iterable[str], keys: Iterable[str]) -> bool:
    """Whether any text has a standalone capital letter that is one of `keys` (perhaps an option's name)."""
    wanted = set(keys)
    return any(m.group() in wanted for text in texts for m in _STANDALONE.finditer(text))


def legend(order: Sequence[str], texts: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """(bank letter, shown letter) for every option, when the candidate saw another order and the texts
    may cite the bank's letters; () when no legend is needed."""
    letters = shown_letters(order)
    if all(key == letter for key, letter in letters.items()) or not cites_letters(texts, letters):
        return ()
    return tuple(sorted(letters.items()))
