"""The search behind form assembly: content and enemies first, then the difficulty target (issue 21).

A form is a set of items per section. The search is randomised but driven by one `random.Random`,
so the same seed and pool give the same form. Three steps:

1. fill: per section, the shuffled candidates in order, skipping enemies of what is taken (the
   draw the platform always made; a seed's form is unchanged when it already meets the target);
2. backtrack: when enemies leave a section short, a depth-first search over the same orders
   undoes earlier choices until every section is full (bounded: a pool with no solution ends);
3. balance: swaps within a section, each keeping enemies apart, until the expected score is within
   the tolerance; among the swaps that land inside it one is taken at random (forms stay varied);
   while none lands, the swap that comes closest. A search that stalls starts again on a fresh
   shuffle, a bounded number of times, keeping the closest form.

Expected scores are integers (difficulty.SCALE), so every comparison is exact.
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from typing import Generic, Protocol, TypeVar

BACKTRACK_STEPS = 200_000  # candidate checks before the enemy search gives up (a 240-item form needs ~300)
MAX_SWAPS = 60  # per attempt; a shipped-bank form needs 0 to 3
RESTARTS = 8  # fresh shuffles after a stalled balance


class Candidate(Protocol):
    @property
    def external_id(self) -> str: ...

    @property
    def enemies(self) -> frozenset[str]: ...


C = TypeVar("C", bound=Candidate)


class Picks(Generic[C]):
    """The chosen items per section, with what they block, updated in place."""

    def __init__(self, sections: int) -> None:
        self.chosen: list[list[C]] = [[] for _ in range(sections)]
        self.taken: set[str] = set()
        self.blocked: dict[str, int] = {}  # id -> chosen items that name it an enemy

    def fits(self, item: C, leaving: C | None = None) -> bool:
        """Whether `item` can join (with `leaving` gone): not taken, no enemy either way."""
        xid = item.external_id
        if xid in self.taken:
            return False
        if leaving is None:
            return not self.blocked.get(xid) and item.enemies.isdisjoint(self.taken)
        out = leaving.external_id
        by = self.blocked.get(xid, 0) - (1 if xid in leaving.enemies else 0)
        return by == 0 and not any(e in self.taken and e != out for e in item.enemies)

    def add(self, s: int, item: C) -> None:
        self.chosen[s].append(item)
        self.taken.add(item.external_id)
        for e in item.enemies:
            self.blocked[e] = self.blocked.get(e, 0) + 1

    def remove(self, s: int, item: C) -> None:
        self.chosen[s].remove(item)
        self.taken.discard(item.external_id)
        for e in item.enemies:
            self.blocked[e] -= 1


def fill(candidates: Sequence[Sequence[C]], counts: Sequence[int]) -> Picks[C] | None:
    """Step 1: each section's first fitting candidates in order; None if enemies leave one short."""
    picks: Picks[C] = Picks(len(counts))
    taken, blocked = picks.taken, picks.blocked
    for s, (cands, need) in enumerate(zip(candidates, counts, strict=True)):
        chosen = picks.chosen[s]
        for item in cands:  # Picks.fits and .add written out: this loop is most of a start's assembly
            if len(chosen) == need:
                break
            xid, enemies = item.external_id, item.enemies
            if xid in taken or blocked.get(xid) or (enemies and not enemies.isdisjoint(taken)):
                continue
            chosen.append(item)
            taken.add(xid)
            for e in enemies:
                blocked[e] = blocked.get(e, 0) + 1
        if len(chosen) < need:
            return None
    return picks


def backtrack(candidates: Sequence[Sequence[C]], counts: Sequence[int]) -> Picks[C] | None:
    """Step 2: depth-first over slots (a section's slots take candidates in increasing position, so
    each set is tried once); None when no form exists or the step budget runs out."""
    slots = [s for s, need in enumerate(counts) for _ in range(need)]
    first = [k == 0 or slots[k - 1] != slots[k] for k in range(len(slots))]
    left = [sum(1 for j in range(k + 1, len(slots)) if slots[j] == slots[k]) for k in range(len(slots))]
    at = [-1] * len(slots)  # the candidate position each slot holds (-1: none yet)
    picks: Picks[C] = Picks(len(counts))
    steps, k = 0, 0
    while 0 <= k < len(slots):
        s = slots[k]
        cands = candidates[s]
        if at[k] >= 0:
            picks.remove(s, cands[at[k]])
        start = at[k] + 1 if at[k] >= 0 else (0 if first[k] else at[k - 1] + 1)
        found = -1
        for j in range(start, len(cands) - left[k]):  # leave a candidate for each later slot of s
            steps += 1
            if picks.fits(cands[j]):
                found = j
                break
        if steps > BACKTRACK_STEPS:
            return None
        if found < 0:
            at[k] = -1
            k -= 1
        else:
            picks.add(s, cands[found])
            at[k] = found
            k += 1
    return picks if k == len(slots) else None


def balance(picks: Picks[C], candidates: Sequence[Sequence[C]], units: Mapping[str, int],
            target: int, tolerance: int, rng: random.Random) -> int:
    """Step 3: swap within sections toward the target; returns the expected score reached."""
    total = sum(units[i.external_id] for chosen in picks.chosen for i in chosen)
    for _ in range(MAX_SWAPS):
        gap = target - total
        if abs(gap) <= tolerance:
            break
        landing: list[tuple[int, C, C]] = []
        best: tuple[int, int, C, C] | None = None  # (remaining gap, section, out, in)
        for s, chosen in enumerate(picks.chosen):
            spare = sorted((units[c.external_id], c.external_id, c) for c in candidates[s]
                           if c.external_id not in picks.taken)
            values = [u for u, _, _ in spare]
            for out in chosen:
                want = units[out.external_id] + gap  # the value an incoming item would ideally have
                lo, hi = bisect_left(values, want - tolerance), bisect_right(values, want + tolerance)
                landing += [(s, out, c) for _, _, c in spare[lo:hi] if picks.fits(c, out)]
                if landing:
                    continue
                # Nearest fitting candidates on either side of the ideal value.
                mid = bisect_left(values, want)
                for step in (-1, 1):
                    j = mid if step == 1 else mid - 1
                    while 0 <= j < len(spare) and not picks.fits(spare[j][2], out):
                        j += step
                    if 0 <= j < len(spare):
                        rest = abs(want - values[j])
                        if best is None or rest < best[0]:
                            best = (rest, s, out, spare[j][2])
        if landing:
            s, out, inn = landing[rng.randrange(len(landing))]
        elif best is not None and best[0] < abs(gap):
            _, s, out, inn = best
        else:
            break  # stalled: no swap comes closer
        picks.remove(s, out)
        picks.add(s, inn)
        total += units[inn.external_id] - units[out.external_id]
    return total
