"""The statistics tables, built once from the figures and shown both as HTML and as CSV.

The staff page shows exact figures; the public page the holder and result tables with small
cells withheld (certexam.domain.statistics: primary "<5", complementary "–"). What stays on the
staff page: voided results (a misconduct count names few people), the progress by year (its
yearly differences would give small counts away) and the bonus money.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _

from certexam import i18n
from certexam.domain import statistics as rules
from certexam.domain.statistics import Shown, Sum
from certexam.services.statistics.figures import LEVELS, NO_SITTING, UNKNOWN_SECTOR, Programme

Kind = Literal["text", "count", "money", "rate"]
SMALL_MARK = "<5"  # rules: MIN_CELL is 5
COMPLEMENT_MARK = "–"  # an en dash: withheld so that a small cell cannot be worked out


@dataclass(frozen=True)
class Cell:
    value: str | int | Fraction | None
    kind: Kind = "count"
    shown: Shown = Shown.VALUE


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: tuple[Cell, ...] | None = None  # the total row, if any
    note: str = ""
    withheld: bool = field(default=False)  # some cell is withheld (the page explains the marks)


def _num_locale() -> str:
    """The locale numbers are written in: Portuguese here is European/Macao usage (1 709,5), not Brazil's."""
    code = str(get_locale() or "zh_Hans")
    return "pt_MO" if code == "pt" else code


def display(cell: Cell) -> str:
    """A cell as the page shows it: thousands separators and decimal marks of the page's language."""
    if cell.shown is Shown.SMALL:
        return SMALL_MARK
    if cell.shown is Shown.COMPLEMENT:
        return COMPLEMENT_MARK
    v = cell.value
    if v is None:
        return COMPLEMENT_MARK if cell.kind == "rate" else ""
    if cell.kind == "count":
        assert isinstance(v, int)
        return str(format_decimal(v, locale=_num_locale()))
    if cell.kind == "money":
        assert isinstance(v, int)
        return str(_("RMB %(amount)s", amount=format_decimal(Decimal(v).scaleb(-2), format="#,##0.00",
                                                             locale=_num_locale())))
    if cell.kind == "rate":
        assert isinstance(v, Fraction)
        return str(format_decimal(Decimal(rules.percent(v)), format="0.0", locale=_num_locale())) + "%"
    return str(v)


def plain(cell: Cell) -> str:
    """A cell as the CSV holds it: bare numbers a spreadsheet can sum (yuan with two decimals, % with one)."""
    if cell.shown is Shown.SMALL:
        return SMALL_MARK
    if cell.shown is Shown.COMPLEMENT:
        return COMPLEMENT_MARK
    v = cell.value
    if v is None:
        return ""
    if cell.kind == "count":
        return str(v)
    if cell.kind == "money":
        assert isinstance(v, int)
        whole, cents = divmod(v, 100)
        return f"{whole}.{cents:02d}"
    if cell.kind == "rate":
        assert isinstance(v, Fraction)
        return rules.percent(v)
    text = str(v)
    # A spreadsheet runs a cell that starts like a formula (CSV injection): a sitting's name is typed by staff.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(table: Table) -> bytes:
    """The table as CSV, UTF-8 with a byte-order mark.

    Excel opens a CSV without a BOM in the machine's ANSI code page (GBK on a Chinese Windows,
    cp1252 elsewhere), which garbles every Chinese sitting name and heading; the BOM tells it the
    file is UTF-8. Other readers (Python's utf-8-sig, LibreOffice, pandas) skip it.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in (*table.rows, *((table.total,) if table.total else ())):
        writer.writerow([plain(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# -- labels -----------------------------------------------------------------------------------

def level_label(level: int) -> str:
    return str(_("Level %(n)d", n=level))


def direction_label(code: str) -> str:
    return i18n.direction_label(code)


def sector_label(code: str) -> str:
    return str({"financial_institution": _("Financial institution"), "fintech": _("FinTech enterprise"),
                "other": _("Other employer"), UNKNOWN_SECTOR: _("No confirmed employer")}.get(code, code))


# -- building ---------------------------------------------------------------------------------

def _grid(row_keys: Sequence[Hashable], col_keys: Sequence[int], value: Mapping[tuple[Hashable, int], int],
          public: bool, row_totals: bool) -> tuple[dict[tuple[Hashable, Hashable], int],
                                                    dict[tuple[Hashable, Hashable], Shown]]:
    """Cells of a rows x levels table with a total row (and a total column), and how each is shown."""
    values: dict[tuple[Hashable, Hashable], int] = {}
    for r in row_keys:
        for c in col_keys:
            values[(r, c)] = value.get((r, c), 0)
        if row_totals:
            values[(r, "total")] = sum(values[(r, c)] for c in col_keys)
    cols: list[Hashable] = [*col_keys, *(["total"] if row_totals else [])]
    for col in cols:
        values[("total", col)] = sum(values[(r, col)] for r in row_keys)
    if not public:
        return values, {k: Shown.VALUE for k in values}
    if row_totals:
        sums = rules.two_way_sums(list(row_keys), list(col_keys), "total", "total")
    else:
        sums = [Sum(tuple((r, c) for r in row_keys), ("total", c)) for c in col_keys]
    return values, rules.suppress(values, sums)


def _level_grid(slug: str, title: str, first: str, rows: Sequence[tuple[Hashable, str]],
                counts: Mapping[Any, Mapping[int, int]], public: bool, row_totals: bool = True,
                note: str = "") -> Table:
    keys = [k for k, _label in rows]
    values, shown = _grid(keys, list(LEVELS), {(r, lv): n for r, per in counts.items() for lv, n in per.items()},
                          public, row_totals)
    cols: list[Hashable] = [*LEVELS, *(["total"] if row_totals else [])]
    headers = (first, *(level_label(lv) for lv in LEVELS), *([_("Total")] if row_totals else []))

    def line(key: Hashable, label: str) -> tuple[Cell, ...]:
        return (Cell(label, "text"), *(Cell(values[(key, c)], "count", shown[(key, c)]) for c in cols))

    return Table(slug, title, headers, tuple(line(k, label) for k, label in rows), line("total", _("Total")),
                 note, any(s is not Shown.VALUE for s in shown.values()))


def _one_way(slug: str, title: str, headers: tuple[str, str], rows: list[tuple[str, int]], public: bool,
             note: str = "") -> Table:
    values = {i: n for i, (_label, n) in enumerate(rows)}
    values[-1] = sum(values.values())
    shown = (rules.suppress(values, rules.one_way_sums(list(range(len(rows))), -1)) if public
             else {k: Shown.VALUE for k in values})
    body = tuple((Cell(label, "text"), Cell(values[i], "count", shown[i])) for i, (label, _n) in enumerate(rows))
    return Table(slug, title, headers, body, (Cell(_("Total"), "text"), Cell(values[-1], "count", shown[-1])),
                 note, any(s is not Shown.VALUE for s in shown.values()))


def levels_table(p: Programme, public: bool) -> Table:
    """Persons holding each level, beside the plan's October 2022 figures (rules s.1)."""
    h = p.holders
    rows = []
    for lv in LEVELS:
        n = h.by_level.get(lv, 0)
        shown = Shown.SMALL if public and rules.is_small(n) else Shown.VALUE
        rows.append((Cell(level_label(lv), "text"), Cell(n, "count", shown),
                     Cell(rules.REFERENCE_2022[lv], "count")))
    persons_shown = Shown.SMALL if public and rules.is_small(h.persons) else Shown.VALUE
    total = (Cell(_("Persons holding a certificate"), "text"), Cell(h.persons, "count", persons_shown),
             Cell(sum(rules.REFERENCE_2022.values()), "count"))
    return Table("levels", _("Holders by level"), (_("Level"), _("Holders now"), _("October 2022")),
                 tuple(rows), total,
                 _("A level-2 holder usually holds level 1 too and counts in both rows; the last row counts each "
                   "person once, against the target of %(target)s holders by %(year)d.",
                   target=display(Cell(rules.TARGET_HOLDERS)), year=rules.TARGET_YEAR),
                 any(c[1].shown is not Shown.VALUE for c in (*rows, total)))


def progress_table(p: Programme) -> Table:
    """New holders by the year of their first valid certificate, and the running total (staff only)."""
    new = p.holders.new_holders_by_year
    rows = tuple((Cell(str(year), "text"), Cell(new.get(year, 0)), Cell(running),
                  Cell(rules.rate(running, rules.TARGET_HOLDERS), "rate"))
                 for year, running in rules.cumulative(new))
    return Table("progress", _("Holders against the target by year"),
                 (_("Year"), _("New holders"), _("Holders at the end of the year"), _("Share of the target")), rows,
                 note=_("Counts today's holders by the year of their first certificate still valid."))


def years_table(p: Programme, public: bool) -> Table:
    rows = [(y, str(y)) for y in p.holders.by_year]
    return _level_grid("years", _("Valid certificates by year of issue"), _("Year"), rows,
                       p.holders.by_year, public)


def directions_table(p: Programme, public: bool) -> Table:
    rows = [(direction_label(d), n) for d, n in p.holders.by_direction.items()]
    return _one_way("directions", _("Level-2 certificates by direction"), (_("Direction"), _("Certificates")),
                    rows, public)


def sittings_table(p: Programme, public: bool) -> Table:
    by = p.holders.by_sitting
    rows = [(_("%(name)s (level %(n)d)", name=s.name, n=s.level), sum(by.get(sid, {}).values()))
            for sid, s in p.sittings.items() if sid in by]
    if NO_SITTING in by:
        rows.append((_("Passes recorded without a sitting"), sum(by[NO_SITTING].values())))
    return _one_way("sittings", _("Valid certificates by sitting"), (_("Sitting"), _("Certificates")), rows, public)


def sectors_table(p: Programme, public: bool) -> Table:
    order = ["financial_institution", "fintech", "other", UNKNOWN_SECTOR]
    present = [s for s in order if s in p.holders.by_sector] + sorted(set(p.holders.by_sector) - set(order))
    return _level_grid("sectors", _("Holders by employer sector"), _("Employer sector"),
                       [(s, sector_label(s)) for s in present], p.holders.by_sector, public, row_totals=False,
                       note=_("The sector of the employer a holder works for today, as confirmed by that employer."))


def pass_rates_table(p: Programme, public: bool) -> Table:
    """Per sitting: candidates with a result, passes, fails and the pass rate (voided results: staff only)."""
    rows: list[tuple[Cell, ...]] = []
    withheld = False
    for r in p.results:
        label = Cell(_("%(name)s (level %(n)d)", name=r.sitting.name, n=r.sitting.level), "text")
        if public:
            values = {"passed": r.passed, "failed": r.failed, "sat": r.sat}
            shown = rules.suppress(values, [Sum(("passed", "failed"), "sat")])
            safe = all(s is Shown.VALUE for s in shown.values())
            withheld = withheld or not safe
            rows.append((label, Cell(r.sat, "count", shown["sat"]), Cell(r.passed, "count", shown["passed"]),
                         Cell(r.failed, "count", shown["failed"]),
                         Cell(r.pass_rate if safe else None, "rate", Shown.VALUE if safe else Shown.COMPLEMENT)))
        else:
            rows.append((label, Cell(r.sat), Cell(r.passed), Cell(r.failed), Cell(r.void), Cell(r.pass_rate, "rate")))
    cols: tuple[str, ...] = (_("Sitting"), _("Candidates with a result"), _("Passed"), _("Failed"))
    cols = (*cols, _("Pass rate")) if public else (*cols, _("Void (misconduct)"), _("Pass rate"))
    return Table("pass-rates", _("Pass rates by sitting"), cols, tuple(rows),
                 note=_("Released results only; the rate is passes among candidates who passed or failed."),
                 withheld=withheld)


def modules_table(p: Programme, public: bool) -> Table:
    """Per sitting and module: the mean correct rate of the candidates with a result (withheld under 5 public)."""
    rows = []
    withheld = False
    for r in p.results:
        for module, rates in r.module_rates.items():
            small = public and rules.is_small(len(rates))
            withheld = withheld or small
            rows.append((Cell(_("%(name)s (level %(n)d)", name=r.sitting.name, n=r.sitting.level), "text"),
                         Cell(module, "text"), Cell(len(rates), "count", Shown.SMALL if small else Shown.VALUE),
                         Cell(None if small else rules.mean(list(rates)), "rate",
                              Shown.COMPLEMENT if small else Shown.VALUE)))
    return Table("modules", _("Correct rate by module"),
                 (_("Sitting"), _("Module"), _("Candidates"), _("Mean correct rate")), tuple(rows),
                 note=_("Modules are not passed one by one: this is the mean of the candidates' correct rates."),
                 withheld=withheld)


def bonus_table(p: Programme) -> Table:
    """Holder-bonus money against the yearly cap (rules s.3, item 26: at most RMB 3,000,000 a year)."""
    rows = tuple((Cell(str(y.year), "text"), Cell(y.cap_fen, "money"), Cell(y.committed_fen, "money"),
                  Cell(y.paid_fen, "money"), Cell(y.remaining_fen, "money")) for y in p.bonus_years)
    return Table("bonus", _("Holder bonus against the yearly cap"),
                 (_("Year"), _("Cap (RMB)"), _("Committed (RMB)"), _("Paid (RMB)"), _("Remaining (RMB)")), rows)


def queue_table(p: Programme) -> Table:
    return Table("queue", _("Holder bonus waiting for a later year's budget"),
                 (_("Grants waiting"), _("Amount waiting (RMB)")),
                 ((Cell(p.queue_length), Cell(p.queued_fen, "money")),))


def staff_tables(p: Programme) -> list[Table]:
    return [levels_table(p, False), progress_table(p), years_table(p, False), directions_table(p, False),
            sittings_table(p, False), sectors_table(p, False), pass_rates_table(p, False), modules_table(p, False),
            bonus_table(p), queue_table(p)]


def public_tables(p: Programme) -> list[Table]:
    return [levels_table(p, True), years_table(p, True), directions_table(p, True), sittings_table(p, True),
            sectors_table(p, True), pass_rates_table(p, True), modules_table(p, True)]


def find(tables: list[Table], slug: str) -> Table | None:
    return next((t for t in tables if t.slug == slug), None)




def count(n: int) -> str:
    """A count with the page language's thousands separator."""
    return display(Cell(n))


def share(part: int, whole: int) -> str:
    """part / whole as a percentage in the page's language."""
    return display(Cell(rules.rate(part, whole), "rate"))
