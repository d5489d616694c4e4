"""Form assembly: draw approved item versions for one candidate's paper.

Everything random comes from one integer seed, so a candidate's paper can be
rebuilt and audited from (seed, pool) alone; the chosen versions and orders are
also stored with the attempt so later bank edits never change a taken exam.
A form meets its blueprint's sections, keeps enemies apart and lies within the
blueprint's difficulty tolerance (issue 21; the search is domain/form_search.py,
the settings domain/difficulty.py).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from certexam.domain import difficulty, form_search
from certexam.domain.blueprint import Blueprint, Paper


@dataclass(frozen=True)
class PoolItem:
    version_id: int
    external_id: str
    module: str
    item_type: str
    subtype: str | None
    option_keys: tuple[str, ...]  # for choice items; empty otherwise
    child_option_keys: tuple[tuple[str, ...], ...]  # per item-set child, in their fixed order
    enemies: frozenset[str]
    facility: float | None = None  # share of points scored (item analysis or pretest); None: the prior
    n: int = 0  # responses the facility rests on
    points: int = 1  # the item's maximum (an item set: its children's)


@dataclass(frozen=True)
class FormEntry:
    version_id: int
    external_id: str
    section: int  # index of the blueprint section it fills
    option_order: tuple[str, ...]  # keys in the order shown
    child_option_orders: tuple[tuple[str, ...], ...]


class AssemblyError(ValueError):
    """The pool cannot fill the blueprint (too few items, enemies block it, or with `strict` the
    difficulty target is out of reach)."""


def _shuffled(rng: random.Random, keys: Sequence[str], item_type: str) -> tuple[str, ...]:
    if item_type == "true_false" or not keys:
        return tuple(keys)
    order = list(keys)
    rng.shuffle(order)
    return tuple(order)


@dataclass(frozen=True)
class Form:
    """An assembled form and where its expected score lies (in points)."""

    entries: list[FormEntry]
    expected: float
    target: float
    tolerance: float
    within: bool


def _candidates(blueprint: Blueprint, paper: Paper, pool: Sequence[PoolItem],
                direction: str | None) -> list[list[PoolItem]]:
    by_key: dict[tuple[str, str, str | None], list[PoolItem]] = {}
    for item in sorted(pool, key=lambda p: p.external_id):  # stable input order: reproducible draws
        by_key.setdefault((item.module, item.item_type, item.subtype), []).append(item)
    return [list(by_key.get((blueprint.resolve(s, direction), s.item_type, s.subtype), [])) for s in paper.sections]


def aim(blueprint: Blueprint, paper: Paper, candidates: Sequence[Sequence[PoolItem]],
        units: Mapping[str, int]) -> tuple[int, int]:
    """(target, tolerance) in 1/SCALE points for a paper drawn from `candidates` (one list per section).

    Without a set target: the average expected score of each section's candidates times its count,
    which any pool meets; a paper's points are counted the same way (its items' average maximum)."""
    settings = blueprint.difficulty
    # Floats, each step rounded the same on every IEEE machine (Fractions cost a sixth of a draw).
    mean_units = points = 0.0
    for section, cands in zip(paper.sections, candidates, strict=True):
        if cands:
            mean_units += section.count * sum(units[c.external_id] for c in cands) / len(cands)
            points += section.count * sum(c.points for c in cands) / len(cands)
    target = mean_units if settings.target is None else float(settings.target) * points * difficulty.SCALE
    return round(target), round(float(settings.tolerance) * points * difficulty.SCALE)


def unit_map(blueprint: Blueprint, items: Iterable[PoolItem]) -> dict[str, int]:
    """Each item's expected score in 1/SCALE points, the blueprint's prior for items without statistics."""
    prior = float(blueprint.difficulty.prior)
    return {p.external_id: difficulty.units(p.facility, p.points, prior) for p in items}


def assemble_form(blueprint: Blueprint, paper: Paper, pool: Sequence[PoolItem], seed: int,
                  direction: str | None = None, shuffle_items: bool = True, strict: bool = False) -> Form:
    """Draw a form for `paper`: per section `count` items, never two enemies, the expected score
    within the blueprint's tolerance of its target.

    A form that cannot reach the target is the closest one found (`within` False), or with `strict`
    an AssemblyError: a start hands out a form, and the sitting page warns before the exam when its
    sample of forms misses. Items are shuffled across the paper and options within each choice item;
    the children of an item set keep their order (their options are shuffled).
    """
    rng = random.Random(seed)
    candidates = _candidates(blueprint, paper, pool, direction)
    counts = [s.count for s in paper.sections]
    for section, cands in zip(paper.sections, candidates, strict=True):
        if len(cands) < section.count:
            raise AssemblyError(
                f"paper {paper.code}: {blueprint.resolve(section, direction)} has only {len(cands)} usable "
                f"approved {section.item_type} item(s) for a section of {section.count}")
    units = unit_map(blueprint, (c for cands in candidates for c in cands))
    target, tolerance = aim(blueprint, paper, candidates, units)
    best: tuple[int, int, form_search.Picks[PoolItem]] | None = None  # (distance, total, picks)
    for _attempt in range(form_search.RESTARTS + 1):
        for cands in candidates:
            rng.shuffle(cands)
        picks = form_search.fill(candidates, counts) or form_search.backtrack(candidates, counts)
        if picks is None:
            raise AssemblyError(f"paper {paper.code}: enemy pairs leave no form that fills every section")
        total = form_search.balance(picks, candidates, units, target, tolerance, rng)
        if best is None or abs(total - target) < best[0]:
            best = (abs(total - target), total, picks)
        if best[0] <= tolerance:
            break
    assert best is not None  # the loop runs at least once
    distance, total, picks = best
    scale = difficulty.SCALE
    if strict and distance > tolerance:
        raise AssemblyError(f"paper {paper.code}: the closest form found expects {total / scale:.2f} points, "
                            f"{distance / scale:.2f} from the target {target / scale:.2f} "
                            f"(tolerance {tolerance / scale:.2f})")
    chosen = [(s, item) for s, items in enumerate(picks.chosen) for item in items]
    if shuffle_items:
        rng.shuffle(chosen)
    entries = [
        FormEntry(item.version_id, item.external_id, index, _shuffled(rng, item.option_keys, item.item_type),
                  tuple(_shuffled(rng, keys, "single_choice") for keys in item.child_option_keys))
        for index, item in chosen
    ]
    return Form(entries, total / scale, target / scale, tolerance / scale, distance <= tolerance)


def assemble(blueprint: Blueprint, paper: Paper, pool: Sequence[PoolItem], seed: int,
             direction: str | None = None, shuffle_items: bool = True, strict: bool = False) -> list[FormEntry]:
    """The entries of `assemble_form`."""
    return assemble_form(blueprint, paper, pool, seed, direction, shuffle_items, strict).entries


def exposure(forms: Sequence[Sequence[FormEntry]]) -> Mapping[str, int]:
    """How many forms each item appears on."""
    counts: dict[str, int] = {}
    for form in forms:
        for entry in form:
            counts[entry.external_id] = counts.get(entry.external_id, 0) + 1
    return counts
