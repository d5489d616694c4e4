"""The item table's sorting and filtering (issue 21), from the query string, without script.

The pages run under a strict CSP, so sorting is a link: ?sort=facility&order=desc&module=L1-ETH&flag=
VERY_HARD&dif=C. Unknown values fall back to the bank order rather than failing, since these are
bookmarks and hand-edited URLs, not form input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from certexam.domain.item_analysis import ItemReport
from certexam.services.results.analysis import FormReport

SORTS: Final[dict[str, Callable[[ItemReport], Any]]] = {  # None where a figure is undefined
    "n": lambda it: it.stats.n,
    "facility": lambda it: it.stats.facility,
    "discrimination": lambda it: it.stats.discrimination,
}
DIF_CLASSES: Final = ("B", "C")


@dataclass(frozen=True)
class TableQuery:
    """What the reader asked for; blank means "all" or "bank order"."""

    sort: str = ""
    order: str = "asc"
    module: str = ""
    flag: str = ""
    dif: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> TableQuery:
        sort = args.get("sort", "")
        dif = args.get("dif", "")
        return cls(sort if sort in SORTS else "", "desc" if args.get("order") == "desc" else "asc",
                   args.get("module", "")[:16], args.get("flag", "")[:32], dif if dif in DIF_CLASSES else "")

    def link(self, **changes: str) -> dict[str, str]:
        """Query arguments for a link that changes some of this query (blank ones left out)."""
        merged = {**self.__dict__, **changes}
        return {k: v for k, v in merged.items() if v and not (k == "order" and v == "asc")}

    def toggled(self, sort: str) -> dict[str, str]:
        """The header link of a column: sort by it, or flip the order when it is already the sort."""
        order = "desc" if self.sort == sort and self.order == "asc" else "asc"
        return self.link(sort=sort, order=order)


def rows(rep: FormReport, q: TableQuery) -> list[ItemReport]:
    """The paper's items, filtered and sorted as asked."""
    worst = {d.item_id: d.worst for d in rep.dif}
    items = [it for it in rep.analysis.items
             if (not q.module or it.module == q.module) and (not q.flag or q.flag in it.stats.flags)
             and (not q.dif or worst.get(it.item_id, "") in DIF_CLASSES[DIF_CLASSES.index(q.dif):])]
    if q.sort:
        key = SORTS[q.sort]
        known = sorted((it for it in items if key(it) is not None), key=key, reverse=q.order == "desc")
        return known + [it for it in items if key(it) is None]  # undefined figures last, either way
    return items
