"""Form assembly: draw approved item versions for one candidate's paper.

Everything random comes from one integer seed, so a candidate's paper can be
rebuilt and audited from (seed, pool) alone; the chosen versions and orders are
also stored with the attempt so later bank edits never change a taken exam.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class FormEntry:
    version_id: int
    external_id: str
    section: int  # index of the blueprint section it fills
    option_order: tuple[str, ...]  # keys in the order shown
    child_option_orders: tuple[tuple[str, ...], ...]


class AssemblyError(ValueError):
    """The pool cannot fill the blueprint (too few items, or enemies block it)."""


def _shuffled(rng: random.Random, keys: Sequence[str], item_type: str) -> tuple[str, ...]:
    if item_type == "true_false" or not keys:
        return tuple(keys)
    order = list(keys)
    rng.shuffle(order)
    return tuple(order)


def assemble(blueprint: Blueprint, paper: Paper, pool: Sequence[PoolItem], seed: int,
             direction: str | None = None, shuffle_items: bool = True) -> list[FormEntry]:
    """Draw a form for `paper`: per section, `count` items at random, never two enemies.

    Items are shuffled across the paper and options within each choice item;
    the children of an item set keep their order (their options are shuffled).
    """
    rng = random.Random(seed)
    by_key: dict[tuple[str, str, str | None], list[PoolItem]] = {}
    for item in sorted(pool, key=lambda p: p.external_id):  # stable input order: reproducible draws
        by_key.setdefault((item.module, item.item_type, item.subtype), []).append(item)
    chosen: list[tuple[int, PoolItem]] = []
    taken: set[str] = set()
    blocked: set[str] = set()
    for index, section in enumerate(paper.sections):
        module = blueprint.resolve(section, direction)
        candidates = list(by_key.get((module, section.item_type, section.subtype), []))
        rng.shuffle(candidates)
        picked = 0
        for item in candidates:
            if picked == section.count:
                break
            if item.external_id in taken or item.external_id in blocked or item.enemies & taken:
                continue
            chosen.append((index, item))
            taken.add(item.external_id)
            blocked |= item.enemies
            picked += 1
        if picked < section.count:
            raise AssemblyError(
                f"paper {paper.code}: {module} has only {picked} usable approved "
                f"{section.item_type} item(s) for a section of {section.count}")
    if shuffle_items:
        rng.shuffle(chosen)
    return [
        FormEntry(item.version_id, item.external_id, index, _shuffled(rng, item.option_keys, item.item_type),
                  tuple(_shuffled(rng, keys, "single_choice") for keys in item.child_option_keys))
        for index, item in chosen
    ]


def exposure(forms: Sequence[Sequence[FormEntry]]) -> Mapping[str, int]:
    """How many forms each item appears on."""
    counts: dict[str, int] = {}
    for form in forms:
        for entry in form:
            counts[entry.external_id] = counts.get(entry.external_id, 0) + 1
    return counts
