"""JSON API of results, marking progress and item analysis under /api/v1/results (session sign-in).

Errors are {"error": message}: 401 when not signed in, 403 for another role,
never a redirect. Rates are exact fractions as "n/d" strings plus a rounded
percentage for display. A POST needs the CSRF token in X-CSRFToken.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from certexam import db
from certexam.errors import UserError
from certexam.models import Result, Role, Sitting
from certexam.results import bp
from certexam.results.labels import REASONS
from certexam.services.results import analysis as results_analysis
from certexam.services.results import marking
from certexam.services.results import release as results
from certexam.web import api_roles


def _rate(value: str | Fraction | None) -> dict[str, Any] | None:
    if value is None:
        return None
    f = Fraction(value)
    return {"exact": f"{f.numerator}/{f.denominator}", "percent": round(float(f) * 100, 1)}


def candidate_json(v: results.CandidateResult) -> dict[str, Any]:
    """What a candidate sees: status and reasons; module rates only when not passed (rules s.2)."""
    return {
        "id": v.result.id, "sitting": {"id": v.sitting.id, "name": v.sitting.name, "level": v.sitting.level},
        "status": v.result.status, "reasons": [{"code": c, "text": str(REASONS.get(c, c))} for c in v.reasons],
        "ethics_veto": v.vetoed,
        "ethics_rate": _rate(v.ethics_rate) if v.show_rates else None,
        "module_rates": {m: _rate(r) for m, r in v.module_rates.items()} if v.show_rates else None,
        "released_at": v.sitting.results_released_at.isoformat() if v.sitting.results_released_at else None,
    }


@bp.get("/api/v1/results/mine")
@api_roles(Role.CANDIDATE)
def api_mine() -> Any:
    return jsonify(results=[candidate_json(v) for v in results.my_results(current_user)])


@bp.get("/api/v1/results/<int:result_id>")
@api_roles(Role.CANDIDATE)
def api_result(result_id: int) -> Any:
    return jsonify(candidate_json(results.my_result(current_user, result_id)))


def _sitting(sitting_id: int) -> Sitting:
    sitting = db.session().get(Sitting, sitting_id)
    if sitting is None:
        raise UserError(_("This sitting does not exist."))
    return sitting


def admin_json(r: Result, admission_no: str, direction: str | None) -> dict[str, Any]:
    return {"id": r.id, "registration_id": r.registration_id, "admission_no": admission_no, "direction": direction,
            "status": r.status, "reasons": json.loads(r.reasons), "ethics_rate": _rate(r.ethics_rate),
            "module_rates": {m: _rate(v) for m, v in json.loads(r.module_rates).items()},
            "total_points": r.total_units / 840, "max_points": r.max_total_units / 840,
            "rank": r.rank, "cohort_size": r.cohort_size, "released": r.released}


@bp.get("/api/v1/results/sittings/<int:sitting_id>")
@api_roles(Role.RESULTS_OFFICER, read=(Role.AUDITOR,))
def api_admin_sitting(sitting_id: int) -> Any:
    sitting = _sitting(sitting_id)
    rows = results.sitting_results(db.session(), sitting_id)
    return jsonify(sitting={"id": sitting.id, "name": sitting.name, "released_at": sitting.results_released_at
                            and sitting.results_released_at.isoformat()},
                   results=[admin_json(r, reg.admission_no, reg.direction) for r, reg, _u in rows])


@bp.post("/api/v1/results/sittings/<int:sitting_id>/release")
@api_roles(Role.RESULTS_OFFICER)
def api_release(sitting_id: int) -> Any:
    """Four eyes (issue 19.6): the first results officer's call asks for the release (202); a
    different results officer's call confirms it and the results go out (200)."""
    asked = results.release_request(sitting_id)
    if asked is None:
        row = results.request_release(current_user, sitting_id)
        return jsonify(status="requested", requested_by=row.requested_by_id,
                       requested_at=row.requested_at.isoformat()), 202
    report = results.release(current_user, sitting_id)
    return jsonify(status="released", results=report.results, certificates=report.certificates,
                   problem=report.problem)


@bp.get("/api/v1/results/sittings/<int:sitting_id>/marking")
@api_roles(Role.RESULTS_OFFICER, read=(Role.AUDITOR,))
def api_marking(sitting_id: int) -> Any:
    _sitting(sitting_id)
    sess = db.session()
    stats = [{"marker_id": s.marker_id, "marks": s.marks, "mean_share": s.mean_share, "sd_share": s.sd_share,
              "agreement": s.agreement, "open_tasks": s.open_tasks} for s in marking.marker_statistics(sess, sitting_id)]
    return jsonify(progress=marking.progress(sess, sitting_id), markers=stats)


def _scale(s: Any) -> dict[str, Any]:
    return {"n": s.n, "items": s.items, "mean": s.mean, "median": s.median, "sd": s.sd, "alpha": s.alpha,
            "method": s.method, "sem": s.sem, "items_per_candidate": s.alpha_items}


@bp.get("/api/v1/results/sittings/<int:sitting_id>/item-analysis")
@api_roles(Role.RESULTS_OFFICER, read=(Role.AUDITOR,))
def api_item_analysis(sitting_id: int) -> Any:
    sitting = _sitting(sitting_id)
    forms = []
    for rep in results_analysis.analyse_sitting(db.session(), sitting):
        a = rep.analysis
        dif = {d.item_id: d for d in rep.dif}
        forms.append({
            "paper": rep.paper, "forms": rep.forms, "attempts": a.attempts, "voided": list(a.voided),
            "form_stats": _scale(a.form), "modules": {code: _scale(s) for code, s in a.modules},
            "histogram": [{"lower": float(b.lower), "upper": float(b.upper), "count": b.count} for b in a.histogram],
            "items": [{"item": rep.labels[i.item_id].external_id,
                       "version": rep.labels[i.item_id].version, "module": i.module, "kind": i.kind, "n": i.stats.n,
                       "facility": None if i.stats.facility is None else float(i.stats.facility),
                       "discrimination": i.stats.discrimination, "flags": list(i.stats.flags),
                       "option_counts": dict(i.option_counts),
                       "upper_lower": {o: [h, lo] for o, h, lo in i.high_low},
                       "dif": {m.focal: m.ets_class for m in dif[i.item_id].focal} if i.item_id in dif else {}}
                      for i in a.items],
            "directions": {d: _scale(s) for d, s in rep.directions}, "small_sample": rep.small})
    return jsonify(sitting_id=sitting.id, forms=forms)
