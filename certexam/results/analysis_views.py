"""The item analysis page and its CSV (issue 21: figures that say what they rest on)."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from flask_babel import gettext as _

from certexam import db
from certexam.domain.psychometrics import NEGATIVE_DISCRIMINATION, VERY_EASY, VERY_HARD
from certexam.models import Role
from certexam.results import analysis_table, bp
from certexam.results.labels import direction_name, method_name, module_name
from certexam.results.views import _id, _sitting_or_404
from certexam.services.results import analysis as results_analysis
from certexam.services.results import distribution as results_distribution
from certexam.web import roles_required

FLAGS = (NEGATIVE_DISCRIMINATION, VERY_HARD, VERY_EASY)


@bp.route("/admin/results/<sitting_id>/analysis")
@roles_required(Role.RESULTS_OFFICER, read=(Role.AUDITOR,))
def admin_analysis(sitting_id: str) -> Any:  # untyped in the URL: the role check answers first
    sid = _id(sitting_id)
    sess = db.session()
    sitting = _sitting_or_404(sid)
    reports = results_analysis.analyse_sitting(sess, sitting)
    dist = results_distribution.distribution(sess, sitting)
    overall, ethics = results_distribution.charts(dist, {
        "cut": _("Pass mark"), "gate": _("Ethics minimum"),
        "overall": _("Candidates by overall correct rate (red: ethics veto)"),
        "ethics": _("Candidates by ethics correct rate"),
        "overall_axis": _("Overall correct rate"), "ethics_axis": _("Ethics correct rate")})
    q = analysis_table.TableQuery.from_args(request.args)
    tables = {rep.paper: (analysis_table.rows(rep, q), {d.item_id: d for d in rep.dif}) for rep in reports}
    return render_template("results/analysis.html", sitting=sitting, reports=reports, dist=dist,
                           overall_chart=overall, ethics_chart=ethics, module_name=module_name, q=q,
                           tables=tables, flags=FLAGS, distractors=results_distribution.distractor_chart,
                           method_name=method_name, direction_name=direction_name)


@bp.route("/admin/results/<sitting_id>/analysis.csv")
@roles_required(Role.RESULTS_OFFICER, read=(Role.AUDITOR,))
def admin_analysis_csv(sitting_id: str) -> Any:  # untyped in the URL: the role check answers first
    sid = _id(sitting_id)
    sitting = _sitting_or_404(sid)
    body = results_analysis.to_csv(results_analysis.analyse_sitting(db.session(), sitting))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="item-analysis-sitting-{sid}.csv"'})
