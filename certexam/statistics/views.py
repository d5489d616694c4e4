"""Statistics pages: the programme office's figures (/admin/statistics) and the public page (/statistics)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template
from flask_babel import gettext as _

from certexam.bonus import chart as bonus_chart
from certexam.domain import statistics as rules
from certexam.models import Role
from certexam.services.bonus import labels as bonus_labels
from certexam.services.statistics import figures
from certexam.services.subsidies import budget as subsidy_budget
from certexam.services.subsidies.labels import measure_label
from certexam.statistics import bp, chart, subsidy_tables, tables
from certexam.web import roles_required

READERS = (Role.RESULTS_OFFICER, Role.CERTIFICATE_OFFICER, Role.BONUS_APPROVER, Role.AUDITOR)
"""Who reads the programme office page (it only reads: GET and HEAD): the officers whose work it
counts (results: pass rates; certificates: holders; bonus approval: the money) and the auditor. Not
the system administrator as such: accounts and keys give no duty here (issue 19.6)."""


def _csv(table: tables.Table, prefix: str) -> Response:
    return Response(tables.to_csv(table), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{prefix}-{table.slug}.csv"',
        "Cache-Control": "no-store"})


def _staff_chart(p: figures.Programme) -> chart.Chart:
    bars: list[tuple[str, int | None]] = [(str(y), n) for y, n in rules.cumulative(p.holders.new_holders_by_year)]
    return chart.target_chart(bars or [(str(p.today.year), 0)], rules.TARGET_HOLDERS)


def _public_chart(p: figures.Programme) -> chart.Chart:
    now = p.holders.persons
    return chart.target_chart([(_("October 2022"), sum(rules.REFERENCE_2022.values())),
                               (_("Now"), None if rules.is_small(now) else now)], rules.TARGET_HOLDERS)


def _subsidy_charts(p: figures.Programme) -> list[tuple[subsidy_budget.MeasureBudget, str, bonus_chart.Chart]]:
    """One budget chart per subsidy measure (rules s.4, items 24-25), drawn as the bonus's."""
    return [(m, measure_label(m.measure), bonus_chart.budget_chart(m, _("Waiting"))) for m in p.subsidies]


def _staff_tables(p: figures.Programme) -> list[tables.Table]:
    return tables.staff_tables(p) + subsidy_tables.tables(p)


def _public_tables(p: figures.Programme) -> list[tables.Table]:
    """The public tables: holders with small cells withheld, and the subsidies' money (organisations, sums)."""
    return tables.public_tables(p) + subsidy_tables.tables(p)


@bp.route("/admin/statistics/")
@roles_required(read=READERS)
def staff_page() -> Any:
    p = figures.programme()
    return render_template("statistics/staff.html", p=p, tables=tables.staff_tables(p), chart=_staff_chart(p),
                           bonus_chart=bonus_chart.budget_chart(p.budget, _("Waiting")), money=bonus_labels.money,
                           subsidy_tables=subsidy_tables.tables(p), subsidy_charts=_subsidy_charts(p),
                           display=tables.display, count=tables.count, share=tables.share, target=rules.TARGET_HOLDERS, target_year=rules.TARGET_YEAR)


@bp.route("/admin/statistics/<slug>.csv")
@roles_required(read=READERS)
def staff_csv(slug: str) -> Any:
    table = tables.find(_staff_tables(figures.programme()), slug)
    if table is None:
        abort(404)
    return _csv(table, "statistics")


@bp.route("/statistics/")
def public_page() -> Any:
    p = figures.programme()
    return render_template("statistics/public.html", p=p, tables=tables.public_tables(p), chart=_public_chart(p),
                           subsidy_tables=subsidy_tables.tables(p), subsidy_charts=_subsidy_charts(p), money=bonus_labels.money,
                           display=tables.display, count=tables.count, share=tables.share, target=rules.TARGET_HOLDERS, target_year=rules.TARGET_YEAR,
                           small=rules.is_small(p.holders.persons))


@bp.route("/statistics/<slug>.csv")
def public_csv(slug: str) -> Any:
    table = tables.find(_public_tables(figures.programme()), slug)
    if table is None:
        abort(404)
    return _csv(table, "public-statistics")
