"""A form's frozen items compiled once for fast scoring (see scoring.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import lcm
from operator import itemgetter

from certexam.domain.scoring_types import POINT_UNITS, ScoringItem, ScoringPolicy

Row = list[int]
"""Item scores of one attempt in units, one per form column (non-voided item,
form order); NOT_COUNTED / UNMARKED are negative sentinels."""

_Getter = Callable[[Sequence[int]], tuple[int, ...]]


class _Never:
    """A key no response equals: routes an item out of the equality fast path."""

    __slots__ = ()


_NEVER = _Never()


def _getter(cols: Sequence[int]) -> _Getter:
    """itemgetter that always returns a tuple (itemgetter(i) returns a scalar)."""
    if len(cols) == 1:
        only = cols[0]
        return lambda row: (row[only],)
    if not cols:
        return lambda row: ()
    return itemgetter(*cols)


class ScoringForm:
    """A form compiled for fast scoring: validated once, used for every attempt."""

    __slots__ = (
        "_eth",
        "_eth_weight",
        "_groups",
        "_mods",
        "_spec",
        "_special",
        "_weights",
        "column_index",
        "columns",
        "ethics_columns",
        "items",
        "max_units",
        "policy",
        "total_max_units",
    )

    def __init__(self, items: Sequence[ScoringItem], policy: ScoringPolicy) -> None:
        ids = [it.item_id for it in items]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate item ids on the form")
        self.items = tuple(items)
        self.policy = policy
        self.columns = tuple(it for it in items if not it.voided)
        if not self.columns:
            raise ValueError("the form has no scorable (non-voided) items")
        self.column_index = {it.item_id: c for c, it in enumerate(self.columns)}
        self.max_units = [it.max_points * POINT_UNITS for it in self.columns]
        self.total_max_units = sum(self.max_units)
        # Equality-scored kinds go through one list comprehension; the rest
        # (partial credit, constructed) get the _NEVER key and a second pass.
        fast = [it.kind != "constructed" and not it.partial_credit for it in self.columns]
        self._spec = (
            [it.item_id for it in self.columns],
            [it.key if ok else _NEVER for it, ok in zip(self.columns, fast, strict=True)],
            self.max_units,
        )
        self._special = [c for c, ok in enumerate(fast) if not ok]
        self._groups = self._compile_groups(policy)
        self._mods = self._compile_modules()
        self.ethics_columns = [c for c, it in enumerate(self.columns) if it.is_ethics]
        if policy.ethics_min_rate > 0 and not self.ethics_columns:
            raise ValueError("the ethics minimum needs at least one non-voided ethics item")
        self._eth, self._eth_weight = self._compile_ethics()
        by_max: dict[int, list[int]] = {}
        for c, m in enumerate(self.max_units):
            by_max.setdefault(m, []).append(c)
        self._weights = [(m, _getter(cols)) for m, cols in sorted(by_max.items())]

    def _compile_groups(self, policy: ScoringPolicy) -> list[tuple[int, list[int]]]:
        named = {it.choice_group for it in self.items if it.choice_group is not None}
        unknown = named - set(policy.choice_groups)
        if unknown or set(policy.choice_groups) - named:
            raise ValueError(f"choice groups on items and policy differ: {sorted(unknown)}")
        groups = []
        for name, count in sorted(policy.choice_groups.items()):
            cols = [c for c, it in enumerate(self.columns) if it.choice_group == name]
            if count < len(cols):
                groups.append((count, cols))
        return groups

    def _compile_ethics(self) -> tuple[tuple[int, list[tuple[_Getter, int]]], dict[int, int]]:
        """The ethics rate counts questions, not points (rules s.1 "最低正确率", s.2 "equal weight per
        question"): a question's credit is its units / its max units. With `unit` the lcm of the
        ethics columns' max units, a column's credit in 1/unit of a question is its units times
        unit // max units, so the rate stays exact and integer: credit / (unit * questions)."""
        by_top: dict[int, list[int]] = {}
        for c in self.ethics_columns:
            by_top.setdefault(self.max_units[c], []).append(c)
        unit = lcm(*by_top) if by_top else 1
        groups = [(_getter(cols), unit // top) for top, cols in sorted(by_top.items())]
        return (unit, groups), {c: unit // self.max_units[c] for c in self.ethics_columns}

    def _compile_modules(self) -> list[tuple[str, list[int], _Getter, int]]:
        order = list(dict.fromkeys(it.module for it in self.items))
        mods = []
        for code in order:
            cols = [c for c, it in enumerate(self.columns) if it.module == code]
            mods.append((code, cols, _getter(cols), sum(self.max_units[c] for c in cols)))
        return mods

    @property
    def module_codes(self) -> tuple[str, ...]:
        return tuple(code for code, _, _, _ in self._mods)

    def module_columns(self, code: str) -> list[int]:
        """Column indexes of one module (KeyError if not on the form)."""
        for name, cols, _, _ in self._mods:
            if name == code:
                return list(cols)
        raise KeyError(code)

    @property
    def nominal_max_units(self) -> int:
        """Most units any candidate can have available (choice groups: best k)."""
        grouped = {c for _, cols in self._groups for c in cols}
        best = sum(
            sum(sorted((self.max_units[c] for c in cols), reverse=True)[:k]) for k, cols in self._groups
        )
        return best + sum(m for c, m in enumerate(self.max_units) if c not in grouped)


def compile_form(items: Sequence[ScoringItem], policy: ScoringPolicy) -> ScoringForm:
    """Validate and compile a form's frozen items for scoring under a policy."""
    return ScoringForm(items, policy)
