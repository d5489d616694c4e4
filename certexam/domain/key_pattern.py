"""Where the key sits: a bank must not give the answer away by length or letter (issue 22).

Test-wise candidates pick the longest option, or the letter they believe is used most. A bank fails
when, among its single-choice items (item-set children included):

* the key is strictly the longest option (in characters, in a given language) in more than 30% of
  them: a tie does not single the key out;
* any letter is the key of more than 35% of its four-option items.

Shares rest on at least MIN_ITEMS items; a handful of items proves nothing either way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from certexam.domain.items import Item

LONGEST_MAX: Final = Fraction(30, 100)
LETTER_MAX: Final = Fraction(35, 100)
MIN_ITEMS: Final = 20


@dataclass(frozen=True, slots=True)
class KeyPattern:
    """The single-choice items counted, how often the key is strictly longest, and the keys' letters."""

    language: str
    items: int
    longest: int
    letters: tuple[tuple[str, int], ...]  # over four-option items
    four_option: int

    def problems(self) -> list[str]:
        """English sentences for each rule broken (none below MIN_ITEMS items)."""
        out = []
        if self.items >= MIN_ITEMS and Fraction(self.longest, self.items) > LONGEST_MAX:
            out.append(f"The key is the longest option ({self.language}) in {self.longest} of {self.items} "
                       "single-choice items, more than 30%.")
        if self.four_option >= MIN_ITEMS:
            for letter, n in self.letters:
                if Fraction(n, self.four_option) > LETTER_MAX:
                    out.append(f"{letter} is the key of {n} of {self.four_option} four-option items, "
                               "more than 35%.")
        return out


def _single_choice(items: Iterable[Item]) -> Iterable[Item]:
    for item in items:
        if item.type == "single_choice":
            yield item
        yield from (c for c in item.children if c.type == "single_choice")


def key_pattern(items: Iterable[Item], language: str) -> KeyPattern:
    """The pattern of the keys of ``items`` in ``language`` (an option without it counts as empty)."""
    count = longest = four = 0
    letters: Counter[str] = Counter()
    for item in _single_choice(items):
        count += 1
        lengths = {o.key: len(o.text.get(language, "")) for o in item.options}
        key = str(item.answer)
        if key in lengths and all(lengths[key] > n for k, n in lengths.items() if k != key):
            longest += 1
        if len(item.options) == 4:
            four += 1
            letters[key] += 1
    return KeyPattern(language, count, longest, tuple(sorted(letters.items())), four)
