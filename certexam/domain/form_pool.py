"""Forms assembled ahead of the sitting, and which of them a candidate is handed (issue 21).

In the "pre_assembled" mode a sitting's papers get a set of forms before the exam (when registration
closes, or by `certexam sittings assemble`), each kept with its seed and expected score; a start then
only hands one out. Both rules here are pure: which seeds make the set, and which form a
registration gets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from certexam.domain.assembly import AssemblyError, Form, PoolItem, assemble_form
from certexam.domain.blueprint import Blueprint, Paper

DEFAULT_FORMS = 20  # per paper (and direction): enough that neighbours rarely share a form
MAX_FORMS = 500  # a typing slip beyond this; 500 forms of a 103-item paper take about a second
TRIES_PER_FORM = 5  # seeds tried per wanted form before the closest misses are kept


@dataclass(frozen=True)
class Assembled:
    """One form of the set and the seed that rebuilds it."""

    seed: int
    form: Form


def assemble_set(bp: Blueprint, paper: Paper, pool: Sequence[PoolItem], seeds: Iterable[int], count: int,
                 direction: str | None = None) -> list[Assembled]:
    """`count` forms from the seeds given: distinct ones (no two with the same items) within the
    tolerance first, in the seeds' order.

    When TRIES_PER_FORM * count seeds give too few of them, the closest of the others fill the set
    (their `within` is False, and the sitting page says so), and last, forms whose items repeat an
    earlier form's in another order (a small pool, or a target so far off that every search ends on
    the same extreme items): a start is always handed a form, as in the per-candidate mode.
    AssemblyError when the pool cannot fill the paper at all.
    """
    if not 1 <= count <= MAX_FORMS:
        raise AssemblyError(f"paper {paper.code}: between 1 and {MAX_FORMS} forms, not {count}")
    inside: list[Assembled] = []
    outside: list[Assembled] = []
    repeats: list[Assembled] = []
    seen: set[frozenset[int]] = set()
    for tried, seed in enumerate(seeds, 1):
        form = assemble_form(bp, paper, pool, seed, direction)
        items = frozenset(e.version_id for e in form.entries)
        if items in seen:  # the same items in another order: the same test, kept only as a last resort
            repeats.append(Assembled(seed, form))
        else:
            seen.add(items)
            (inside if form.within else outside).append(Assembled(seed, form))
        if len(inside) == count or tried >= TRIES_PER_FORM * count:
            break
    outside.sort(key=lambda a: abs(a.form.expected - a.form.target))
    return (inside + outside + repeats)[:count]


def choose(registration_id: int, salt: int, forms: int) -> int:
    """The form (1..forms) a registration is handed: round-robin over registration ids, shifted by the
    paper's salt (its fixed seed), so consecutive registrations, often neighbours in the hall, get
    different forms, and the same registration always gets the same one (reproducible)."""
    if forms < 1:
        raise ValueError("no forms to hand out")
    return (registration_id + salt) % forms + 1
